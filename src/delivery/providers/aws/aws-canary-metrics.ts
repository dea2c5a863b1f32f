// The canary's metrics on AWS (issue 12.5): CloudWatch GetMetricData for the
// canary's and the baseline's target groups (ALB request count, target 5xx
// and 4xx, response time p50/p90/average, per minute) and the service's own
// decision counts (namespace `mod`, metric `Decisions`, dimensions
// Environment, Group, Decision), turned into the per-request samples the judge
// takes. CloudWatch keeps aggregates, not requests: each minute's counts
// become that many samples with those statuses and decisions, and their
// latencies are rebuilt from the minute's p50 and p90 (a log-normal through
// both), which the latency verdict's reason says.
import { GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { CanaryLiveCounts, CanaryVerdict, Decision, RequestSample } from '../../canary/canary-types.js';
import type { AwsContext } from './aws-context.js';

export type CanaryGroup = 'baseline' | 'canary';
export const CANARY_GROUPS: CanaryGroup[] = ['baseline', 'canary'];
const DECISIONS: Decision[] = ['approve', 'review', 'reject'];
/** The namespace and metric the service publishes its decisions under (PutMetricData or EMF log lines). */
export const DECISION_NAMESPACE = 'mod';
export const DECISION_METRIC = 'Decisions';
/** ALB metrics are per minute. */
const PERIOD = 60;
/** Rebuilt samples per side are capped (memory); counts are scaled down alike. */
const MAX_SAMPLES = 50_000;

export interface CanaryMetricTargets {
  environment: string;
  /** The `app/<name>/<id>` dimension of the load balancer. */
  loadBalancer: string;
  /** The `targetgroup/<name>/<id>` dimension of each side's target group. */
  targetGroups: Record<CanaryGroup, string>;
}

/** The CloudWatch dimension value of an ELBv2 ARN (`...:loadbalancer/app/x/id` -> `app/x/id`, `...:targetgroup/x/id` -> `targetgroup/x/id`). */
export function dimensionOf(arn: string): string {
  const resource = arn.split(':').pop() ?? arn;
  return resource.startsWith('loadbalancer/') ? resource.slice('loadbalancer/'.length) : resource;
}

export function canaryMetricQueries(targets: CanaryMetricTargets): MetricDataQuery[] {
  const queries: MetricDataQuery[] = [];
  for (const group of CANARY_GROUPS) {
    const dims = [
      { Name: 'TargetGroup', Value: targets.targetGroups[group] },
      { Name: 'LoadBalancer', Value: targets.loadBalancer },
    ];
    const alb = (id: string, metric: string, stat: string) => queries.push({ Id: `${group}_${id}`, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: dims }, Period: PERIOD, Stat: stat }, ReturnData: true });
    alb('requests', 'RequestCount', 'Sum');
    alb('e5xx', 'HTTPCode_Target_5XX_Count', 'Sum');
    alb('e4xx', 'HTTPCode_Target_4XX_Count', 'Sum');
    alb('p50', 'TargetResponseTime', 'p50');
    alb('p90', 'TargetResponseTime', 'p90');
    alb('avg', 'TargetResponseTime', 'Average');
    for (const decision of DECISIONS) {
      queries.push({
        Id: `${group}_decision_${decision}`,
        MetricStat: {
          Metric: {
            Namespace: DECISION_NAMESPACE,
            MetricName: DECISION_METRIC,
            Dimensions: [
              { Name: 'Environment', Value: targets.environment },
              { Name: 'Group', Value: group },
              { Name: 'Decision', Value: decision },
            ],
          },
          Period: PERIOD,
          Stat: 'Sum',
        },
        ReturnData: true,
      });
    }
  }
  return queries;
}

/** Query id -> value per minute (epoch ms of the minute). */
export type MetricSeries = Map<string, Map<number, number>>;

export async function fetchCanaryMetrics({ clients }: AwsContext, queries: MetricDataQuery[], start: Date, end: Date): Promise<MetricSeries> {
  const series: MetricSeries = new Map();
  let NextToken: string | undefined;
  do {
    const page = await clients.call(clients.cloudwatch, new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending', NextToken }), 'canary metrics (CloudWatch GetMetricData)');
    for (const result of page.MetricDataResults ?? []) addResult(series, result);
    NextToken = page.NextToken;
  } while (NextToken);
  return series;
}

function addResult(series: MetricSeries, result: MetricDataResult): void {
  if (!result.Id) return;
  const values = series.get(result.Id) ?? new Map<number, number>();
  (result.Timestamps ?? []).forEach((t, i) => {
    const v = result.Values?.[i];
    if (v !== undefined && Number.isFinite(v)) values.set(Math.floor(t.getTime() / (PERIOD * 1000)) * PERIOD * 1000, v);
  });
  series.set(result.Id, values);
}

export interface CanarySamples {
  samples: RequestSample[];
  /** What each side served, from the counts (before any scaling). */
  totals: Record<CanaryGroup, CanaryLiveCounts>;
  /** Minutes with a latency percentile, per side. */
  latencyMinutes: Record<CanaryGroup, number>;
  /** What the verdict should say about how the samples were made. */
  notes: string[];
}

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A stride coprime with n, so that statuses and latencies are not sorted together. */
function stride(n: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let s = Math.max(1, Math.round(n * 0.618));
  while (n > 1 && gcd(s, n) !== 1) s++;
  return s;
}

/**
 * The judge's input from CloudWatch's aggregates. Per side and minute:
 * RequestCount samples, the first 5XX of them with status 500, then 4XX with
 * status 400, the rest 200; latencies spread over a log-normal through the
 * minute's p50 and p90 (the average alone when CloudWatch has no percentile).
 * The side's decision counts go to its 2xx samples. A side without `mod`
 * Decisions datapoints gets no decisions, so its decision metrics have no data.
 */
export function canarySamplesFromMetrics(series: MetricSeries): CanarySamples {
  const samples: RequestSample[] = [];
  const notes: string[] = [];
  const totals = {} as Record<CanaryGroup, CanaryLiveCounts>;
  const latencyMinutes = {} as Record<CanaryGroup, number>;
  const get = (id: string) => series.get(id) ?? new Map<number, number>();
  for (const group of CANARY_GROUPS) {
    const requests = get(`${group}_requests`);
    const e5 = get(`${group}_e5xx`);
    const e4 = get(`${group}_e4xx`);
    const p50 = get(`${group}_p50`);
    const p90 = get(`${group}_p90`);
    const avg = get(`${group}_avg`);
    const sum = (m: Map<number, number>) => [...m.values()].reduce((s, v) => s + v, 0);
    const total = Math.round(sum(requests));
    const decisionCounts = Object.fromEntries(DECISIONS.map((d) => [d, Math.round(sum(get(`${group}_decision_${d}`)))])) as Record<Decision, number>;
    const hasDecisions = DECISIONS.some((d) => get(`${group}_decision_${d}`).size > 0);
    totals[group] = { requests: total, errors5xx: Math.round(sum(e5)), errors4xx: Math.round(sum(e4)), ...(hasDecisions ? { decisions: decisionCounts } : {}) };
    latencyMinutes[group] = [...requests.keys()].filter((t) => p50.has(t) || avg.has(t)).length;
    if (!hasDecisions) notes.push(`no ${DECISION_NAMESPACE}/${DECISION_METRIC} datapoints for ${group}: its decision metrics have no data`);
    const scale = total > MAX_SAMPLES ? MAX_SAMPLES / total : 1;
    if (scale < 1) notes.push(`${group}: ${total} requests scaled to ${MAX_SAMPLES} samples`);

    const side: RequestSample[] = [];
    for (const [minute, count] of [...requests.entries()].sort((x, y) => x[0] - y[0])) {
      const n = Math.round(count * scale);
      if (n <= 0) continue;
      const fives = Math.min(n, Math.round((e5.get(minute) ?? 0) * scale));
      const fours = Math.min(n - fives, Math.round((e4.get(minute) ?? 0) * scale));
      // No latency datapoint for the minute: NaN, which the judge leaves out of the latency tests.
      const median = (p50.get(minute) ?? avg.get(minute) ?? Number.NaN) * 1000;
      const ninety = (p90.get(minute) ?? 0) * 1000;
      const sigma = median > 0 && ninety > median ? Math.log(ninety / median) / 1.2815515655446004 : 0;
      const step = stride(n);
      for (let i = 0; i < n; i++) {
        const q = (((i * step) % n) + 0.5) / n;
        side.push({ group, status: i < fives ? 500 : i < fives + fours ? 400 : 200, latencyMs: median * Math.exp(sigma * normalQuantile(q)), at: minute });
      }
    }
    // Decisions go to the side's successful requests, in the proportions the service counted.
    const ok = side.filter((s) => s.status < 400);
    const decided = DECISIONS.reduce((s, d) => s + decisionCounts[d], 0);
    if (hasDecisions && decided > 0) {
      const fit = Math.min(1, ok.length / decided);
      if (fit < 1) notes.push(`${group}: ${decided} decisions for ${ok.length} successful requests; proportions kept`);
      let next = 0;
      for (const decision of DECISIONS) {
        const n = Math.round(decisionCounts[decision] * fit * scale);
        for (let i = 0; i < n && next < ok.length; i++) ok[next++]!.decision = decision;
      }
    }
    samples.push(...side);
  }
  return { samples, totals, latencyMinutes, notes };
}

/** Says, in the verdict, that latency and counts came from CloudWatch aggregates. */
export function annotateVerdict(verdict: CanaryVerdict, from: CanarySamples): CanaryVerdict {
  const minutes = `${from.latencyMinutes.baseline}/${from.latencyMinutes.canary} min`;
  return {
    ...verdict,
    metrics: verdict.metrics.map((m) =>
      m.group === 'latency' ? { ...m, reason: `${m.reason} (CloudWatch aggregates: latencies rebuilt from per-minute TargetResponseTime p50/p90 of ${from.totals.baseline.requests}/${from.totals.canary.requests} requests over ${minutes}, not per-request samples)` } : m,
    ),
    reason: from.notes.length ? `${verdict.reason}; ${from.notes.join('; ')}` : verdict.reason,
  };
}
