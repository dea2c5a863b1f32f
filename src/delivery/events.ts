// Progress events the delivery domain emits. Renderers in the CLI turn them
// into spinners, plain lines or nothing (JSON mode); the domain never prints.
import type { DeploymentRecord, EventStatus } from './deployment.js';

export type DeliveryEvent =
  | { type: 'notice'; level: 'info' | 'warn'; message: string }
  | { type: 'build.start'; commit: string }
  | { type: 'build.reused'; commit: string; bundle: string }
  | { type: 'build.phase'; phase: string; status: 'start' | 'succeeded' | 'failed' | 'skipped'; durationMs?: number }
  | { type: 'build.output'; line: string }
  | { type: 'build.done'; commit: string; durationMs: number }
  | { type: 'deploy.start'; deploymentId: string; environment: string; commit: string; instanceIds: string[]; rollout: string }
  | { type: 'batch.start'; batch: number; of: number; instanceIds: string[] }
  | { type: 'lifecycle'; instanceId: string; event: string; status: EventStatus; durationMs?: number; message?: string }
  | { type: 'autorollback.start'; deploymentId: string; commit: string; instanceIds: string[] }
  | { type: 'deploy.done'; record: DeploymentRecord }
  | { type: 'git'; message: string }
  | { type: 'gate'; name: string; status: 'pass' | 'fail' | 'skipped'; reason: string; fix?: string; overridden?: { reason: string; by: string } };

export type DeliveryEvents = (event: DeliveryEvent) => void;

export const ignoreEvents: DeliveryEvents = () => {};
