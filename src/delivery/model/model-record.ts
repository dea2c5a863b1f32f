// A model release's record (issue 13): its id (`m-<stamp>-<random6>`), the
// candidate artifact read and verified, and the DeploymentRecord of kind
// 'model' that release, rollback and shadow write to the ModelStore as they go.
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { UsageError } from '../../errors.js';
import { ModelArtifactError } from '../../moderation/errors.js';
import { readModelArtifact, type LoadedModel, type ModelManifest } from '../../moderation/model-artifact.js';
import type { ModelPointer, ModelRef } from '../../moderation/model-pointer.js';
import type { Environment } from '../config.js';
import { newDeploymentId, type DeploymentRecord, type ModelReleaseInfo } from '../deployment.js';
import type { Provider } from '../provider.js';

/** `m-<UTC stamp>-<random6>`, like newDeploymentId's `d-...`. */
export function newModelReleaseId(now = new Date()): string {
  return `m-${newDeploymentId(now).slice(2)}`;
}

/** Reads and verifies the artifact in `dir` (its checksum); a directory that is not a model is a usage error. */
export async function readCandidate(dir: string): Promise<LoadedModel> {
  const found = await stat(dir).catch(() => undefined);
  if (!found) throw new UsageError(`--model ${dir} does not exist`, 'pass a directory `mod model train --out` wrote (manifest.json and weights.f32.gz)');
  try {
    return await readModelArtifact(dir);
  } catch (error) {
    if (error instanceof ModelArtifactError)
      throw new UsageError(`--model ${dir} is not a model artifact: ${error.message.replace(`${error.artifact}: `, '').replace(/: not a model artifact$/, '')}`, 'pass a directory `mod model train --out` wrote (manifest.json and weights.f32.gz)');
    throw error;
  }
}

/** The moderators' labels the model was trained on (manifest.training.labels, written by --from-db training), read defensively. */
export function trainingLabels(manifest: ModelManifest): ModelReleaseInfo['labels'] {
  const labels = (manifest.training as Record<string, unknown>).labels;
  if (!labels || typeof labels !== 'object') return undefined;
  const l = labels as Record<string, unknown>;
  if (typeof l.count !== 'number' || typeof l.fingerprint !== 'string') return undefined;
  const when = (v: unknown) => (typeof v === 'string' ? v : null);
  return { count: l.count, from: when(l.from), to: when(l.to), fingerprint: l.fingerprint };
}

export function sameModel(a: Pick<ModelRef, 'version' | 'checksum'> | null | undefined, b: Pick<ModelRef, 'version' | 'checksum'> | null | undefined): boolean {
  return !!a && !!b && a.version === b.version && a.checksum === b.checksum;
}

/** The release (or rollback) that made `live` the live model: what `mod status` names; undefined when no record says. */
export function madeLive(records: readonly DeploymentRecord[], live: Pick<ModelRef, 'version' | 'checksum'>): DeploymentRecord | undefined {
  return records.find((r) => r.status === 'Succeeded' && r.model && (r.model.action === 'release' || r.model.action === 'rollback') && sameModel(r.model, live));
}

/** The record's model once its artifact is published: where the instances read it. */
export function publishedAt(info: ModelReleaseInfo, ref: ModelRef): ModelReleaseInfo {
  return { ...info, location: ref.location, ...(ref.objectVersions ? { objectVersions: ref.objectVersions } : {}) };
}

export function refOf(info: Pick<ModelReleaseInfo, 'version' | 'checksum' | 'location' | 'objectVersions'>): ModelRef {
  return { version: info.version, checksum: info.checksum, location: info.location, ...(info.objectVersions ? { objectVersions: info.objectVersions } : {}) };
}

export function previousOf(pointer: ModelPointer | null): ModelReleaseInfo['previous'] {
  if (!pointer) return null;
  const { version, checksum, location, objectVersions } = pointer.live;
  return { version, checksum, location, ...(objectVersions ? { objectVersions } : {}) };
}

/** Who and where a model record is for: the release context (model-release.ts) has these. */
export interface ModelRecordOwner {
  env: Environment;
  provider: Provider;
  initiator: string;
}

/** What a model notification says of a release, rollback or shadow change. */
export type About = { environment: string; commit: string; subject: string; initiator: string; model: string };

export function aboutModel(owner: ModelRecordOwner, commit: string, version: string): About {
  return { environment: owner.env.name, commit, subject: `model ${version}`, initiator: owner.initiator, model: version };
}

/** A new InProgress model record (a fresh `m-...` id): `model <version>` as its revision subject. */
export function newModelRecord(owner: ModelRecordOwner, options: { reason?: string; commit: string; model: ModelReleaseInfo; rollbackOf?: string }): DeploymentRecord {
  return {
    schemaVersion: 1,
    deploymentId: newModelReleaseId(),
    environment: owner.env.name,
    provider: owner.provider.name,
    status: 'InProgress',
    revision: { commit: options.commit, subject: `model ${options.model.version}` },
    initiator: owner.initiator,
    startedAt: new Date().toISOString(),
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.rollbackOf ? { rollbackOf: options.rollbackOf } : {}),
    instances: [],
    // The process running it: a dead pid means abandoned (mod status says so).
    pid: process.pid,
    host: hostname(),
    kind: 'model',
    model: options.model,
  };
}

/** The code commit the env runs (its newest Succeeded deployment), '' when none: what a model record names as its revision. */
export async function deployedCommit(provider: Provider, env: Environment): Promise<string> {
  const history = await provider.deployments(env, 50).catch(() => []);
  return history.find((d) => d.status === 'Succeeded')?.revision.commit ?? '';
}

export function newPointer(env: Environment, releaseId: string, parts: Pick<ModelPointer, 'live' | 'shadow' | 'canary'>): ModelPointer {
  return {
    schemaVersion: 1,
    environment: env.name,
    releaseId,
    updatedAt: new Date().toISOString(),
    live: parts.live,
    ...(parts.shadow ? { shadow: parts.shadow } : {}),
    ...(parts.canary ? { canary: parts.canary } : {}),
  };
}
