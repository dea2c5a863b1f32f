// Issue 13: where an environment's released models live, declared by the
// model release (model-release.ts) that uses it. The local provider keeps
// them in the env's state directory and hands the pointer file to its
// instances (MODEL_SOURCE=file:<path>); the AWS provider keeps them in a
// versioned S3 bucket with the pointer in an SSM parameter
// (MODEL_SOURCE=ssm:<name>). Never through a code pipeline run.
import type { ModelPointer, ModelRef, ServiceModelState } from '../../moderation/model-pointer.js';
import type { Environment } from '../config.js';
import type { DeploymentRecord } from '../deployment.js';

/** What one instance's process says it decides with (its /healthz `model`). */
export interface InstanceModel {
  instanceId: string;
  /** null: the instance did not answer. */
  model: ServiceModelState | null;
}

export interface ModelStore {
  /**
   * Copies (locally) or uploads (S3) the artifact in `dir` where the env's
   * instances can read it, and returns its ref. The same version and
   * checksum published again returns the same ref without copying.
   */
  publish(environment: Environment, dir: string, manifest: { version: string; checksum: string }): Promise<ModelRef>;
  /**
   * Refuses, before anything is written, a store that cannot take a release
   * (AWS: no aws.modelBucket, or a bucket without versioning). Unset: always ready.
   */
  ready?(environment: Environment): Promise<void>;
  /** A local directory holding the artifact `ref` names (downloaded when remote): the model gate evaluates it. */
  fetch(environment: Environment, ref: ModelRef): Promise<string>;
  /** The pointer the instances read now; null when no model was ever released to the env. */
  readPointer(environment: Environment): Promise<ModelPointer | null>;
  /** Replaces the pointer (atomically: instances read the old one or the new one, never half). */
  writePointer(environment: Environment, pointer: ModelPointer): Promise<void>;
  /** Removes the pointer: the instances go back to the model their code bundle ships (a rollback past the first release). */
  clearPointer(environment: Environment): Promise<void>;
  /** Model release records (`kind: 'model'`), newest first. */
  releases(environment: Environment, limit?: number): Promise<DeploymentRecord[]>;
  /** Creates or replaces a release record (by deploymentId). */
  saveRelease(environment: Environment, record: DeploymentRecord): Promise<void>;
  /**
   * What each instance says it decides with, where the provider can ask
   * them (local: each instance's /healthz); undefined where it cannot (AWS:
   * instances poll the parameter within MODEL_POLL_MS).
   */
  instanceModels(environment: Environment): Promise<InstanceModel[] | undefined>;
}

/** What a model canary reads of the env's database: the posts each model decided since the canary began. */
export interface DecisionRow {
  modelVersion: string;
  decision: 'approve' | 'review' | 'reject';
  category: string | null;
  /** How many posts this row stands for (the store counts in SQL); 1 when unset. */
  count?: number;
}

export interface ReleaseDatabase {
  /** New posts created at or after `since` decided by one of `versions` (the canary's window). */
  decisionsSince(since: Date, versions: string[]): Promise<DecisionRow[]>;
  close(): Promise<void>;
}
