// The canary analysis model (issue 12): what the endpoint records for each
// request, the settings of a canary, and the verdict the judge returns, metric
// by metric with the numbers behind it. Shared by the judge (pure domain
// code), the providers that collect samples, and the CLI that shows verdicts.

export type Decision = 'approve' | 'review' | 'reject';

/** One request the endpoint served, as seen at the load balancer. */
export interface RequestSample {
  /** Which side served it. */
  group: 'baseline' | 'canary';
  status: number;
  latencyMs: number;
  /** The service's decision for a moderation request (its `x-mod-decision` header), when it made one. */
  decision?: Decision;
  /** The category it named (`x-mod-category`), when any. */
  category?: string;
  /** Epoch ms. */
  at?: number;
}

/** `environments.<env>.canary` in mod.config.yml, with defaults applied. */
export interface CanarySettings {
  /** % of traffic to the canary; the same share goes to a fresh baseline. */
  weight: number;
  durationSeconds: number;
  /** Per metric: fewer samples on either side is "insufficient data". */
  minSamples: number;
  thresholds: { pass: number; marginal: number };
  onMarginal: 'pause' | 'continue' | 'fail';
}

export type Verdict = 'Pass' | 'Marginal' | 'Fail';
export type MetricVerdictKind = 'pass' | 'fail' | 'nodata';

/** What one side measured for one metric (only the fields that apply are set). */
export interface MetricSide {
  samples: number;
  /** Count metrics: how many of `samples` had the property (5xx, decision = reject, ...). */
  count?: number;
  /** count / samples. */
  rate?: number;
  /** Latency metrics. */
  median?: number;
  p90?: number;
}

export interface MetricVerdict {
  /** e.g. `latency`, `errors.5xx`, `errors.4xx`, `decision.reject`, `category.scam`. */
  name: string;
  /** Weighted groups: `latency`, `errors`, `decisions`, `categories`. */
  group: string;
  verdict: MetricVerdictKind;
  /** A failing critical metric fails the whole verdict. */
  critical: boolean;
  baseline: MetricSide;
  canary: MetricSide;
  /** canary / baseline of the compared statistic (median latency, or rate). */
  ratio?: number;
  /** Hodges-Lehmann shift (canary - baseline) with its confidence interval, latency only (ms). */
  shift?: { estimate: number; low: number; high: number };
  pValue?: number;
  /** Why, in one line with the numbers. */
  reason: string;
}

export interface CanaryVerdict {
  verdict: Verdict;
  /** 0-100: the weighted share of metric groups that passed. */
  score: number;
  thresholds: { pass: number; marginal: number };
  metrics: MetricVerdict[];
  /** One line: why this verdict (which critical metric failed, or the score). */
  reason: string;
}

/** What a deployment records of its canary (DeploymentRecord.canary). */
export interface CanaryRecord {
  status: 'Running' | 'Judged' | 'Paused' | 'Skipped';
  /** Why it was skipped (first deploy: nothing to compare), or paused. */
  note?: string;
  startedAt?: string;
  endedAt?: string;
  canaryInstances: string[];
  baselineInstances: string[];
  verdict?: CanaryVerdict;
  /** What followed the verdict: the rollout continued, was rolled back, or waits for `mod approve`. */
  outcome?: 'continued' | 'rolled-back' | 'paused' | 'approved' | 'rejected';
  /** While `Running`: what each side has served so far (refreshed as samples come in); `mod status` shows it. */
  live?: { at: string; baseline: CanaryLiveCounts; canary: CanaryLiveCounts };
  /** The canary's and the baseline's lifecycle events (local provider: each is installed as a deployment installs an instance). */
  instances?: { instanceId: string; status: string; events: { name: string; status: string; durationMs?: number; message?: string; logFile?: string }[] }[];
  /** The `mod approve` answer to a paused canary: which, why, by whom, when. */
  answer?: { approved: boolean; summary: string; by: string; at: string };
}

/** Running totals of one side of a canary in flight. */
export interface CanaryLiveCounts {
  requests: number;
  errors5xx: number;
  errors4xx?: number;
  /** How many requests got each decision. */
  decisions?: Partial<Record<Decision, number>>;
}
