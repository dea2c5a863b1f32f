// Progress events the delivery domain emits. Renderers in the CLI turn them
// into spinners, plain lines or nothing (JSON mode); the domain never prints.
import type { CanaryRecord, CanaryVerdict } from './canary/canary-types.js';
import type { DeploymentRecord, EventStatus } from './deployment.js';

export type DeliveryEvent =
  | { type: 'notice'; level: 'info' | 'warn'; message: string }
  | { type: 'build.start'; commit: string; /** Where the build's full output goes. */ logFile?: string }
  | { type: 'build.reused'; commit: string; bundle: string }
  | { type: 'build.phase'; phase: string; status: 'start' | 'succeeded' | 'failed' | 'skipped'; durationMs?: number }
  | { type: 'build.output'; line: string }
  /** A buildspec command about to run in `phase`. */
  | { type: 'build.command'; phase: string; command: string }
  /** Packaging the artifacts into the revision bundle. */
  | { type: 'build.package'; status: 'start' | 'succeeded' | 'failed'; durationMs?: number }
  /** One line a lifecycle hook wrote (shown with -v). */
  | { type: 'hook.output'; instanceId: string; event: string; line: string }
  | { type: 'build.done'; commit: string; durationMs: number }
  | { type: 'deploy.start'; deploymentId: string; environment: string; commit: string; instanceIds: string[]; rollout: string }
  | { type: 'batch.start'; batch: number; of: number; instanceIds: string[] }
  | { type: 'lifecycle'; instanceId: string; event: string; status: EventStatus; durationMs?: number; message?: string }
  | { type: 'autorollback.start'; deploymentId: string; commit: string; instanceIds: string[] }
  /** Canary analysis (issue 12): a canary of the new revision and a fresh baseline of the current one start, each taking `weight`% of the traffic. */
  | { type: 'canary'; phase: 'start'; deploymentId: string; canaryInstances: string[]; baselineInstances: string[]; weight: number; durationSeconds: number; baselineCommit: string }
  /** Both answer and take their share; samples are collected for `durationSeconds`. */
  | { type: 'canary'; phase: 'sampling'; durationSeconds: number }
  /** The judge's verdict and what follows it (the rollout continues, stops, or waits for `mod approve`). */
  | {
      type: 'canary';
      phase: 'verdict';
      verdict: CanaryVerdict;
      samples: { baseline: number; canary: number };
      outcome: NonNullable<CanaryRecord['outcome']>;
      /** A model canary (issue 13): the two models, counted in posts. */
      model?: { candidate: string; live: string };
    }
  /** A Marginal verdict with onMarginal: pause: the deployment waits for `mod approve --env E` (or `--reject`). */
  | { type: 'canary'; phase: 'paused'; deploymentId: string; environment: string }
  /** The answer to a paused canary. */
  | { type: 'canary'; phase: 'answered'; approved: boolean; summary: string }
  /** No canary this time, and why (a first deploy has nothing to compare with; a fast rollback never waits for analysis). */
  | { type: 'canary'; phase: 'skipped'; reason: string }
  | { type: 'deploy.done'; record: DeploymentRecord }
  | { type: 'git'; message: string }
  | { type: 'gate'; name: string; status: 'pass' | 'fail' | 'skipped'; reason: string; fix?: string; overridden?: { reason: string; by: string } };

export type DeliveryEvents = (event: DeliveryEvent) => void;

export const ignoreEvents: DeliveryEvents = () => {};
