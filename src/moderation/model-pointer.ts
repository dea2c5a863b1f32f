// Issue 13: a model is released on its own, apart from code. The pointer is
// what an environment's instances read to know which model decides (live),
// which one scores next to it without deciding (shadow), and which one
// decides for a share of new posts while it is judged (canary). mod writes
// it (locally a file in the env's state; on AWS an SSM parameter), the
// service polls it, loads and verifies the model it names, then swaps.
// Pure types and their checks, shared by src/delivery and src/service.
import { z } from 'zod';

/** One released model artifact, where instances can read it. */
export interface ModelRef {
  /** The manifest's version (e.g. 20261202-6542a508). */
  version: string;
  /** The manifest's checksum: the service refuses an artifact whose checksum differs. */
  checksum: string;
  /** Local: an absolute directory holding manifest.json and weights.f32.gz. AWS: s3://bucket/prefix (no trailing slash). */
  location: string;
  /** AWS: the S3 VersionId of each file under the prefix (manifest.json, weights.f32.gz), so a release names exact bytes. */
  objectVersions?: Record<string, string>;
}

export interface ModelPointer {
  schemaVersion: 1;
  environment: string;
  /** The model release (DeploymentRecord.deploymentId, `m-...`) that wrote this pointer. */
  releaseId: string;
  updatedAt: string;
  /** Decides every post (but the canary's share). */
  live: ModelRef;
  /** Scores every post next to live; never changes the answer; its result is stored with the post. */
  shadow?: ModelRef;
  /** Decides for `weight` % of new posts (by canaryBucket(post id)) while a model release is judged. */
  canary?: ModelRef & { weight: number };
}

/** Where the model a service process decides with came from. */
export type ModelSourceKind = 'released' | 'bundled';

/** What `GET /healthz` says of the models a process holds (its `model` field); `mod status` shows it per instance. */
export interface ServiceModelState {
  /** The live model's version. */
  version: string;
  /** released: named by the env's pointer; bundled: the build's models/default (or MODEL_DIR), no model released. */
  source: ModelSourceKind;
  /** The release that named it (null when bundled). */
  releaseId: string | null;
  /** The version the code bundle ships (what decides when nothing is released). */
  bundled: string;
  shadow: string | null;
  canary: { version: string; weight: number } | null;
  /** When the live model was loaded (ISO 8601). */
  loadedAt: string;
  /** The last pointer the process could not load (it keeps deciding with the model it has). */
  error?: { releaseId: string; message: string; at: string };
}

/** A shadow model's answer for one post, stored with the post (migration 0003). */
export interface ShadowScore {
  modelVersion: string;
  decision: 'approve' | 'review' | 'reject';
  category: string | null;
  score: number;
}

/**
 * A version names a directory (the artifact's copy, the service's cache):
 * letters, digits, dot, dash and underscore, not starting with a dot, so a
 * pointer written by someone else can never name a path outside them.
 */
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A checksum is hex (a SHA-256), optionally `sha256:`-prefixed; its first 12 characters name directories too. */
export const MODEL_CHECKSUM_PATTERN = /^(sha256:)?[0-9a-fA-F]{1,128}$/;

const ref = z.strictObject({
  version: z.string().regex(MODEL_VERSION_PATTERN, 'must be letters, digits, ".", "-" or "_", not starting with "."'),
  checksum: z.string().regex(MODEL_CHECKSUM_PATTERN, 'must be a hex checksum (optionally sha256:)'),
  location: z.string().min(1),
  objectVersions: z.record(z.string(), z.string()).optional(),
});

const pointerSchema = z.strictObject({
  schemaVersion: z.literal(1),
  environment: z.string().min(1),
  releaseId: z.string().regex(MODEL_VERSION_PATTERN, 'must be letters, digits, ".", "-" or "_"'),
  updatedAt: z.string(),
  live: ref,
  shadow: ref.optional(),
  canary: ref.extend({ weight: z.number().min(0).max(100) }).optional(),
});

/** Throws unless `version` and `checksum` may name directories (MODEL_VERSION_PATTERN, MODEL_CHECKSUM_PATTERN): before a path is built from them. */
export function assertModelNames(ref: Pick<ModelRef, 'version' | 'checksum'>): void {
  if (!MODEL_VERSION_PATTERN.test(ref.version)) throw new Error(`model version ${JSON.stringify(ref.version)} cannot name a directory: letters, digits, ".", "-" or "_", not starting with "."`);
  if (!MODEL_CHECKSUM_PATTERN.test(ref.checksum)) throw new Error(`model checksum ${JSON.stringify(ref.checksum)} is not a hex checksum`);
}

/** Checks a pointer read from a file or a parameter; throws an Error naming what is wrong. */
export function parseModelPointer(value: unknown): ModelPointer {
  const parsed = pointerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`model pointer is invalid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * A post's place in 0..99, stable for its id (FNV-1a): the canary decides
 * the posts whose bucket is below its weight, so a retried id is decided by
 * the same model.
 */
export function canaryBucket(postId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < postId.length; i++) {
    hash ^= postId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}
