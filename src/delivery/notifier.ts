// What delivery tells the team (Slack, or nothing): deploy start, success,
// failure, rollback, a gate refusal and an override. Declared here, by the
// code that sends them; src/notify/slack-notifier.ts implements it.
import type { CanaryRecord, Verdict } from './canary/canary-types.js';

export interface DeliveryNotification {
  kind: 'deploy.started' | 'deploy.succeeded' | 'deploy.failed' | 'rollback' | 'gate.refused' | 'gate.overridden' | 'model.started' | 'model.released' | 'model.failed' | 'model.rolledback' | 'model.shadow';
  /** Model releases (issue 13): the model version released, shadowed or rolled back to. */
  model?: string;
  environment: string;
  commit: string;
  subject?: string;
  author?: string;
  initiator: string;
  status?: string;
  durationMs?: number;
  deploymentId?: string;
  detail?: string;
  /** Issue 12: the deployment's canary verdict and score, and the failing metrics with why. */
  canary?: CanaryNotice;
}

export interface CanaryNotice {
  status: CanaryRecord['status'];
  verdict?: Verdict;
  score?: number;
  /** Why it was skipped or paused. */
  note?: string;
  outcome?: CanaryRecord['outcome'];
  /** The metrics that failed, critical ones first. */
  failing: { name: string; critical: boolean; reason: string }[];
}

/** What a notification tells of a deployment's canary; undefined when it had none. */
export function canaryNotice(canary: CanaryRecord | undefined): CanaryNotice | undefined {
  if (!canary) return undefined;
  const failed = canary.verdict?.metrics.filter((m) => m.verdict === 'fail') ?? [];
  const failing = [...failed.filter((m) => m.critical), ...failed.filter((m) => !m.critical)].map((m) => ({ name: m.name, critical: m.critical, reason: m.reason }));
  return { status: canary.status, verdict: canary.verdict?.verdict, score: canary.verdict?.score, note: canary.note, outcome: canary.outcome, failing };
}

export interface Notifier {
  /** Never throws: a notification that cannot be sent is reported and the deploy goes on. */
  notify(notification: DeliveryNotification): Promise<void>;
}

export const silentNotifier: Notifier = { notify: async () => {} };
