// The deployment record: what was deployed where, by whom, when, how it went,
// and each instance's lifecycle events. It is the audit trail and the source
// of truth for status, history and rollback.
import type { CanaryRecord } from './canary/canary-types.js';

export type DeploymentStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'RolledBack' | 'Stopped';
export type FinalStatus = Exclude<DeploymentStatus, 'InProgress'>;
export type EventStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';

export interface LifecycleEventRecord {
  name: string;
  status: EventStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** Exit code of the hook script, when one ran. */
  exitCode?: number | null;
  timedOut?: boolean;
  /** The last lines of the hook's output (full log path in `logFile`). */
  logTail?: string[];
  logFile?: string;
  message?: string;
}

export interface InstanceRecord {
  instanceId: string;
  status: EventStatus;
  events: LifecycleEventRecord[];
}

export interface DeploymentError {
  code: string;
  message: string;
  hint?: string;
  instanceId?: string;
  event?: string;
  exitCode?: number | null;
  logTail?: string[];
  logFile?: string;
}

export interface RevisionRef {
  commit: string;
  /** Identifies the built bundle (a tree hash locally, an S3 key on AWS). */
  bundle?: string;
  subject?: string;
  author?: string;
}

export interface DeploymentRecord {
  schemaVersion: 1;
  deploymentId: string;
  environment: string;
  provider: string;
  status: DeploymentStatus;
  revision: RevisionRef;
  initiator: string;
  startedAt: string;
  endedAt?: string;
  /** Set when this deployment rolls an environment back. */
  rollbackOf?: string;
  /** The revert commit that made the branch match a rollback. */
  revertCommit?: string;
  reason?: string;
  error?: DeploymentError;
  instances: InstanceRecord[];
  /** When a failure triggered auto-rollback: what was redeployed and how it went. */
  autoRollback?: { revision: RevisionRef; status: DeploymentStatus; instances: InstanceRecord[] };
  build?: { reused: boolean; durationMs: number; logFile?: string };
  /** The release gates judged before this deployment, overrides included. */
  gates?: { name: string; status: string; reason: string; overridden?: { reason: string; by: string } }[];
  /** AWS provider: the pipeline execution, build and CodeDeploy deployment behind it. */
  aws?: { pipelineExecutionId?: string; buildId?: string; codeDeployDeploymentId?: string };
  /** Pid of the process running it (local provider): a dead pid means abandoned. */
  pid?: number;
  /** The host `pid` is on (model records): a pid is only judged dead on its own host. */
  host?: string;
  /** Why a `Stopped` deployment stopped: Ctrl-C, `mod stop` (by whom), `--timeout`, or its process died. */
  stopReason?: string;
  /** A rollback that redeployed but whose revert commit is not made yet (`mod rollback --finish-revert`). */
  pendingRevert?: PendingRevert;
  /** In-place or blue/green (issue 12); unset = in-place. */
  deploymentType?: 'in-place' | 'blue-green';
  /** Blue/green: the fleets, and until when the original one is kept for a fast rollback. */
  blueGreen?: {
    originalInstances: string[];
    replacementInstances: string[];
    keepOriginalUntil?: string;
    originalTerminated?: boolean;
    /** A fast rollback that re-routed to the kept fleet instead of reinstalling: why (local provider). */
    reroute?: string;
  };
  /** The canary analysis of this deployment, when the environment has one. */
  canary?: CanaryRecord;
  /** What was released: code (a bundle; unset = code) or a model on its own (issue 13). */
  kind?: 'code' | 'model';
  /** A model release: which model, from which data, replacing which. */
  model?: ModelReleaseInfo;
}

/** What a model release (`kind: 'model'`) records (issue 13). */
export interface ModelReleaseInfo {
  /** release: a new live model; rollback: the previous one again; shadow / unshadow: a shadow model set or cleared. */
  action: 'release' | 'rollback' | 'shadow' | 'unshadow';
  version: string;
  checksum: string;
  location: string;
  /** The manifest's training-data fingerprint. */
  dataFingerprint: string;
  /** The moderators' labels it was trained on (manifest.training.labels), when trained --from-db. */
  labels?: { count: number; from: string | null; to: string | null; fingerprint: string };
  /** The live model before this release (null: the bundled model decided). */
  previous: { version: string; checksum: string; location: string; objectVersions?: Record<string, string> } | null;
  /** AWS: the S3 VersionIds of the artifact's files (ModelRef.objectVersions), so a rollback names the same bytes. */
  objectVersions?: Record<string, string>;
  /** A release's model gate: what it was compared with, on which check set, and each row (model-gate.ts). */
  gate?: { baseline: { version: string; source: 'released' | 'bundled' }; checkSet: string; examples: number; tolerance: number; passed: boolean; rows: { metric: string; baseline: number; candidate: number; delta: number; worse: boolean }[] };
  /** A failed or stopped one: whether the instances reported the pointer put back (asked: false where they cannot be asked); pending: each that did not, and why. */
  restored?: { asked: boolean; loaded: boolean; pending: string[] };
}

/** The revert a rollback still owes its branch: what to revert, and why it was not made. */
export interface PendingRevert {
  /** The rollback deployment that owes it. */
  deploymentId: string;
  environment: string;
  branch: string;
  /** The deployment rolled back and its commit; the target commit the branch should match. */
  rollbackOf: string;
  revertedCommit: string;
  target: string;
  targetSubject?: string;
  /** First-parent commits to revert, newest first. */
  commits: string[];
  since: string;
  /** Why the revert was not made. */
  reason: string;
}

export function newDeploymentId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const random = Math.random().toString(36).slice(2, 8);
  return `d-${stamp}-${random}`;
}

/** A new in-progress record for a deployment request. */
export function newDeploymentRecord(
  request: { environment: { name: string }; commit: { commit: string; subject: string; author: string }; initiator: string; rollbackOf?: string; reason?: string; gates?: DeploymentRecord['gates'] },
  provider: string,
  deploymentId: string,
): DeploymentRecord {
  return {
    schemaVersion: 1,
    deploymentId,
    environment: request.environment.name,
    provider,
    status: 'InProgress',
    revision: { commit: request.commit.commit, subject: request.commit.subject, author: request.commit.author },
    initiator: request.initiator,
    startedAt: new Date().toISOString(),
    rollbackOf: request.rollbackOf,
    reason: request.reason,
    instances: [],
    gates: request.gates,
  };
}

export function isFinal(status: DeploymentStatus): status is FinalStatus {
  return status !== 'InProgress';
}

/** A deployment that left the environment on its own revision. */
export function isGood(record: DeploymentRecord): boolean {
  return record.status === 'Succeeded';
}
