// The canary judge (issue 12): compares what a canary served with what a
// fresh baseline served over the same window and says Pass / Marginal / Fail,
// metric by metric, with the numbers behind each verdict. Pure and
// synchronous: samples in, verdict out.
//
// Metrics and their tests:
// - latency: Mann-Whitney U (two-sided) on all requests' latencies, the
//   Hodges-Lehmann shift with its 95% interval, and an effect-size gate: a
//   significant increase fails when the median ratio or the shift reaches the
//   critical increase (20%), or when the whole interval lies above the
//   allowed increase (10%, at least 1 ms). Critical.
// - latency.p90: the share of requests slower than the pooled p90 (Fisher,
//   canary worse) with the p90 ratio as effect size: catches a variability
//   regression whose median does not move (kayenta #780). Not critical.
// - errors.5xx, errors.4xx: the share of requests with such a status, Fisher
//   exact one-sided (canary worse) plus a minimum practical difference, so 0
//   vs 3 errors in 1,000 is not a failure and 0 vs 40 is. 5xx is critical.
// - decision.approve / review / reject: the share of each decision among the
//   requests that returned one, Fisher exact two-sided (a canary that
//   approves more is as suspect as one that rejects more) plus the practical
//   gate. approve and reject are critical.
// - category.<name>: the share of each category seen on either side among
//   the same requests, as decisions, not critical.
//
// A metric with fewer than minSamples on either side is `nodata`. Groups are
// weighted (latency 30, errors 30, decisions 30, categories 10); the score is
// the weighted share of passing metrics (nodata does not pass). Verdict: a
// failing critical metric fails; a score below `marginal` over the metrics
// that had data fails; any nodata makes it at most Marginal ("insufficient
// data", never Pass); else the score against the thresholds.
import type { CanarySettings, CanaryVerdict, Decision, MetricSide, MetricVerdict, RequestSample, Verdict } from './canary-types.js';
import { fisherExact, hodgesLehmann, mannWhitneyU, quantileSorted, sortNumbers } from './statistics.js';

/** A count metric's practical gate: both the absolute difference and the odds ratio must reach these. */
export interface CountGate {
  /** Minimum |canary rate - baseline rate| (0.005 = 0.5 percentage points). */
  minDifference: number;
  /** Minimum odds ratio (or its inverse for a decrease, two-sided metrics). */
  minOddsRatio: number;
}

export interface JudgeOptions {
  /** Significance level of every test. */
  alpha: number;
  /** Confidence of the Hodges-Lehmann interval. */
  confidence: number;
  latency: {
    /** A significant increase whose interval lies wholly above this share of the baseline median fails. */
    allowedIncrease: number;
    /** ...and the allowed increase is at least this many ms (sub-ms jitter is not a regression). */
    allowedIncreaseMinMs: number;
    /** A significant median ratio (or relative shift) at or above 1 + this fails. */
    criticalIncrease: number;
  };
  errors5xx: CountGate;
  errors4xx: CountGate;
  decisions: CountGate;
  categories: CountGate;
  weights: Record<'latency' | 'errors' | 'decisions' | 'categories', number>;
  /**
   * The metric groups judged; unset = all. A model canary (issue 13) judges
   * decisions and categories only: both models are served by the same
   * processes, so latency and errors cannot be told apart per model.
   */
  groups?: readonly JudgeGroup[];
}

export type JudgeGroup = 'latency' | 'errors' | 'decisions' | 'categories';

export const JUDGE_DEFAULTS: JudgeOptions = {
  alpha: 0.01,
  confidence: 0.95,
  latency: { allowedIncrease: 0.1, allowedIncreaseMinMs: 1, criticalIncrease: 0.2 },
  errors5xx: { minDifference: 0.005, minOddsRatio: 1.5 },
  errors4xx: { minDifference: 0.01, minOddsRatio: 1.5 },
  decisions: { minDifference: 0.02, minOddsRatio: 1.5 },
  categories: { minDifference: 0.02, minOddsRatio: 1.5 },
  weights: { latency: 30, errors: 30, decisions: 30, categories: 10 },
};

const DECISIONS: readonly Decision[] = ['approve', 'review', 'reject'];
const CRITICAL_DECISIONS: ReadonlySet<Decision> = new Set(['approve', 'reject']);

export function judgeCanary(samples: readonly RequestSample[], settings: CanarySettings, options: JudgeOptions = JUDGE_DEFAULTS): CanaryVerdict {
  const baseline = samples.filter((s) => s.group === 'baseline');
  const canary = samples.filter((s) => s.group === 'canary');
  const minSamples = Math.max(1, settings.minSamples);
  const metrics: MetricVerdict[] = [];
  const judges = (group: JudgeGroup): boolean => !options.groups || options.groups.includes(group);

  const latencies = (side: readonly RequestSample[]): number[] => sortNumbers(side.map((s) => s.latencyMs).filter((v) => Number.isFinite(v)));
  const latB = latencies(baseline);
  const latC = latencies(canary);
  if (judges('latency')) {
    metrics.push(latencyMetric(latB, latC, minSamples, options));
    metrics.push(latencyTailMetric(latB, latC, minSamples, options));
  }

  const statusCount = (side: readonly RequestSample[], low: number): number => side.filter((s) => s.status >= low && s.status < low + 100).length;
  if (judges('errors')) {
    metrics.push(
      countMetric({
        name: 'errors.5xx',
        group: 'errors',
        critical: true,
        what: '5xx',
        baseline: { count: statusCount(baseline, 500), samples: baseline.length },
        canary: { count: statusCount(canary, 500), samples: canary.length },
        alternative: 'greater',
        gate: options.errors5xx,
        minSamples,
        alpha: options.alpha,
      }),
      countMetric({
        name: 'errors.4xx',
        group: 'errors',
        critical: false,
        what: '4xx',
        baseline: { count: statusCount(baseline, 400), samples: baseline.length },
        canary: { count: statusCount(canary, 400), samples: canary.length },
        alternative: 'greater',
        gate: options.errors4xx,
        minSamples,
        alpha: options.alpha,
      }),
    );
  }

  // Decisions and categories: shares among the requests the service judged.
  const judged = (side: readonly RequestSample[]): RequestSample[] => side.filter((s) => s.decision !== undefined || s.category !== undefined);
  const judgedB = judged(baseline);
  const judgedC = judged(canary);
  for (const decision of judges('decisions') ? DECISIONS : []) {
    metrics.push(
      countMetric({
        name: `decision.${decision}`,
        group: 'decisions',
        critical: CRITICAL_DECISIONS.has(decision),
        what: decision,
        baseline: { count: judgedB.filter((s) => s.decision === decision).length, samples: judgedB.length },
        canary: { count: judgedC.filter((s) => s.decision === decision).length, samples: judgedC.length },
        alternative: 'two-sided',
        gate: options.decisions,
        minSamples,
        alpha: options.alpha,
      }),
    );
  }
  const categories = [...new Set([...judgedB, ...judgedC].map((s) => s.category).filter((c): c is string => !!c))].sort();
  for (const category of judges('categories') ? categories : []) {
    metrics.push(
      countMetric({
        name: `category.${category}`,
        group: 'categories',
        critical: false,
        what: category,
        baseline: { count: judgedB.filter((s) => s.category === category).length, samples: judgedB.length },
        canary: { count: judgedC.filter((s) => s.category === category).length, samples: judgedC.length },
        alternative: 'two-sided',
        gate: options.categories,
        minSamples,
        alpha: options.alpha,
      }),
    );
  }
  return combine(metrics, settings, options);
}

function combine(metrics: MetricVerdict[], settings: CanarySettings, options: JudgeOptions): CanaryVerdict {
  const thresholds = { pass: settings.thresholds.pass, marginal: settings.thresholds.marginal };
  const score = weightedScore(metrics, options, false) ?? 0;
  const scoreWithData = weightedScore(metrics, options, true);
  const criticalFailures = metrics.filter((m) => m.critical && m.verdict === 'fail');
  const failures = metrics.filter((m) => m.verdict === 'fail').map((m) => m.name);
  const nodata = metrics.filter((m) => m.verdict === 'nodata').map((m) => m.name);
  const failedText = failures.length > 0 ? `; failed: ${failures.join(', ')}` : '';
  let verdict: Verdict;
  let reason: string;
  if (criticalFailures.length > 0) {
    verdict = 'Fail';
    reason = `critical metric${criticalFailures.length > 1 ? 's' : ''} failed: ${criticalFailures.map((m) => `${m.name} (${m.reason})`).join('; ')}`;
  } else if (scoreWithData !== undefined && scoreWithData < thresholds.marginal) {
    verdict = 'Fail';
    reason = `score ${fmtScore(scoreWithData)} over the metrics with data is below marginal ${thresholds.marginal}${failedText}`;
  } else if (nodata.length > 0) {
    verdict = 'Marginal';
    reason = `insufficient data (fewer than ${settings.minSamples} samples on a side): ${nodata.join(', ')}; score ${fmtScore(score)}${failedText}`;
  } else if (score >= thresholds.pass) {
    verdict = 'Pass';
    reason = `score ${fmtScore(score)} >= pass ${thresholds.pass}${failedText}`;
  } else if (score >= thresholds.marginal) {
    verdict = 'Marginal';
    reason = `score ${fmtScore(score)} is below pass ${thresholds.pass} but >= marginal ${thresholds.marginal}${failedText}`;
  } else {
    verdict = 'Fail';
    reason = `score ${fmtScore(score)} is below marginal ${thresholds.marginal}${failedText}`;
  }
  return { verdict, score: Math.round(score * 10) / 10, thresholds, metrics, reason };
}

/** The weighted share (0-100) of passing metrics; groups without metrics do not count. `withDataOnly`: ignore nodata metrics (undefined when none had data). */
function weightedScore(metrics: MetricVerdict[], options: JudgeOptions, withDataOnly: boolean): number | undefined {
  let total = 0;
  let passed = 0;
  const groups = new Map<string, MetricVerdict[]>();
  for (const m of metrics) {
    if (withDataOnly && m.verdict === 'nodata') continue;
    groups.set(m.group, [...(groups.get(m.group) ?? []), m]);
  }
  for (const [group, list] of groups) {
    const weight = (options.weights as Record<string, number>)[group] ?? 0;
    total += weight;
    passed += (weight * list.filter((m) => m.verdict === 'pass').length) / list.length;
  }
  if (total === 0) return withDataOnly ? undefined : 0;
  return (100 * passed) / total;
}

function latencyMetric(latB: readonly number[], latC: readonly number[], minSamples: number, options: JudgeOptions): MetricVerdict {
  const base = { name: 'latency', group: 'latency', critical: true } as const;
  const baselineSide = latencySide(latB);
  const canarySide = latencySide(latC);
  if (latB.length < minSamples || latC.length < minSamples) {
    return { ...base, verdict: 'nodata', baseline: baselineSide, canary: canarySide, reason: insufficient(latB.length, latC.length, minSamples) };
  }
  const mB = baselineSide.median!;
  const mC = canarySide.median!;
  const test = mannWhitneyU(latB, latC);
  const shift = hodgesLehmann(latB, latC, options.confidence);
  const ratio = mB > 0 ? mC / mB : undefined;
  const relShift = mB > 0 ? shift.estimate / mB : undefined;
  const allowedMs = Math.max(options.latency.allowedIncrease * mB, options.latency.allowedIncreaseMinMs);
  const significant = test.pValue < options.alpha && shift.estimate > 0;
  const critical = 1 + options.latency.criticalIncrease;
  let verdict: 'pass' | 'fail' = 'pass';
  let why: string;
  if (significant && shift.estimate >= allowedMs && ((ratio ?? 0) >= critical || (relShift ?? 0) >= options.latency.criticalIncrease)) {
    verdict = 'fail';
    why = `critical increase (>= x${critical.toFixed(2)})`;
  } else if (significant && shift.low > allowedMs) {
    verdict = 'fail';
    why = `increase beyond the allowed +${fmtMs(allowedMs)} ms (the whole interval is above it)`;
  } else if (test.pValue >= options.alpha) {
    why = 'no significant difference';
  } else if (shift.estimate <= 0) {
    why = 'the canary is not slower';
  } else {
    why = `within the allowed +${fmtMs(allowedMs)} ms`;
  }
  const pct = Math.round(options.confidence * 100);
  return {
    ...base,
    verdict,
    baseline: baselineSide,
    canary: canarySide,
    ...(ratio !== undefined ? { ratio: round(ratio, 4) } : {}),
    shift: { estimate: round(shift.estimate, 3), low: round(shift.low, 3), high: round(shift.high, 3) },
    pValue: test.pValue,
    reason:
      `median ${fmtMs(mB)} -> ${fmtMs(mC)} ms${ratio !== undefined ? ` (x${ratio.toFixed(2)})` : ''}, ` +
      `shift ${signed(shift.estimate)} ms [${pct}% CI ${signed(shift.low)}, ${signed(shift.high)}], ` +
      `Mann-Whitney p=${fmtP(test.pValue)} (${test.method}, n=${latB.length}/${latC.length}): ${why}`,
  };
}

function latencyTailMetric(latB: readonly number[], latC: readonly number[], minSamples: number, options: JudgeOptions): MetricVerdict {
  const base = { name: 'latency.p90', group: 'latency', critical: false } as const;
  if (latB.length < minSamples || latC.length < minSamples) {
    return { ...base, verdict: 'nodata', baseline: latencySide(latB), canary: latencySide(latC), reason: insufficient(latB.length, latC.length, minSamples) };
  }
  const pooledP90 = quantileSorted(sortNumbers([...latB, ...latC]), 0.9);
  const slowB = latB.filter((v) => v > pooledP90).length;
  const slowC = latC.filter((v) => v > pooledP90).length;
  const p90B = quantileSorted(latB, 0.9);
  const p90C = quantileSorted(latC, 0.9);
  const ratio = p90B > 0 ? p90C / p90B : undefined;
  const { pValue } = fisherExact(slowB, latB.length, slowC, latC.length, 'greater');
  const critical = 1 + options.latency.criticalIncrease;
  // The same floor as the median: a sub-ms tail on loopback is jitter, not a regression.
  const fail = pValue < options.alpha && (ratio ?? 0) >= critical && p90C - p90B >= options.latency.allowedIncreaseMinMs;
  const why = fail ? `slower tail (p90 x${(ratio ?? 0).toFixed(2)} >= x${critical.toFixed(2)})` : pValue >= options.alpha ? 'no significant difference in the tail' : `tail within x${critical.toFixed(2)} or +${fmtMs(options.latency.allowedIncreaseMinMs)} ms`;
  return {
    ...base,
    verdict: fail ? 'fail' : 'pass',
    baseline: { ...latencySide(latB), count: slowB, rate: slowB / latB.length },
    canary: { ...latencySide(latC), count: slowC, rate: slowC / latC.length },
    ...(ratio !== undefined ? { ratio: round(ratio, 4) } : {}),
    pValue,
    reason:
      `p90 ${fmtMs(p90B)} -> ${fmtMs(p90C)} ms${ratio !== undefined ? ` (x${ratio.toFixed(2)})` : ''}, ` +
      `slower than the pooled p90 ${fmtMs(pooledP90)} ms: ${slowB}/${latB.length} (${pctOf(slowB, latB.length)}) -> ` +
      `${slowC}/${latC.length} (${pctOf(slowC, latC.length)}), Fisher one-sided p=${fmtP(pValue)}: ${why}`,
  };
}

interface CountInput {
  name: string;
  group: string;
  critical: boolean;
  what: string;
  baseline: { count: number; samples: number };
  canary: { count: number; samples: number };
  alternative: 'greater' | 'two-sided';
  gate: CountGate;
  minSamples: number;
  alpha: number;
}

function countMetric(input: CountInput): MetricVerdict {
  const { baseline: b, canary: c, gate } = input;
  const side = (s: { count: number; samples: number }): MetricSide => (s.samples > 0 ? { samples: s.samples, count: s.count, rate: s.count / s.samples } : { samples: 0, count: s.count });
  const base = { name: input.name, group: input.group, critical: input.critical, baseline: side(b), canary: side(c) };
  if (b.samples < input.minSamples || c.samples < input.minSamples) {
    return { ...base, verdict: 'nodata', reason: `${input.what}: ${insufficient(b.samples, c.samples, input.minSamples)}` };
  }
  const rB = b.count / b.samples;
  const rC = c.count / c.samples;
  const diff = rC - rB;
  const { pValue } = fisherExact(b.count, b.samples, c.count, c.samples, input.alternative);
  const odds = oddsRatio(rB, rC);
  const worse = input.alternative === 'greater' ? diff > 0 : diff !== 0;
  const practical = worse && Math.abs(diff) >= gate.minDifference && Math.max(odds, 1 / odds) >= gate.minOddsRatio;
  const significant = pValue < input.alpha;
  const fail = significant && practical;
  const test = input.alternative === 'greater' ? 'Fisher one-sided' : 'Fisher two-sided';
  const why = fail
    ? `${diff > 0 ? 'higher' : 'lower'} by more than ${pp(gate.minDifference)} and odds x${gate.minOddsRatio}`
    : !significant
      ? 'no significant difference'
      : !worse
        ? 'the canary is not worse'
        : `difference below the practical minimum (${pp(gate.minDifference)}, odds x${gate.minOddsRatio})`;
  const ratio = rB > 0 ? rC / rB : undefined;
  return {
    ...base,
    verdict: fail ? 'fail' : 'pass',
    ...(ratio !== undefined ? { ratio: round(ratio, 4) } : {}),
    pValue,
    reason:
      `${input.what} ${b.count}/${b.samples} (${pctOf(b.count, b.samples)}) -> ${c.count}/${c.samples} (${pctOf(c.count, c.samples)}), ` +
      `diff ${diff >= 0 ? '+' : '-'}${pp(Math.abs(diff))}${ratio !== undefined ? `, x${ratio.toFixed(2)}` : ''}, ` +
      `${test} p=${fmtP(pValue)}: ${why}`,
  };
}

/** Odds ratio of the canary's rate to the baseline's, a tiny share added to each side so 0 counts stay finite. */
function oddsRatio(rB: number, rC: number): number {
  const eps = 1e-6;
  const oB = (rB + eps) / (1 - rB + eps);
  const oC = (rC + eps) / (1 - rC + eps);
  return oC / oB;
}

function latencySide(sorted: readonly number[]): MetricSide {
  if (sorted.length === 0) return { samples: 0 };
  return { samples: sorted.length, median: round(quantileSorted(sorted, 0.5), 3), p90: round(quantileSorted(sorted, 0.9), 3) };
}

function insufficient(nB: number, nC: number, minSamples: number): string {
  return `insufficient data: baseline ${nB}, canary ${nC} samples (minSamples ${minSamples})`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function fmtMs(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : '-'}${fmtMs(Math.abs(v))}`;
}

function fmtP(p: number): string {
  if (p === 0) return '<1e-300';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

function fmtScore(score: number): string {
  return (Math.round(score * 10) / 10).toString();
}

function pctOf(count: number, total: number): string {
  return total > 0 ? `${((100 * count) / total).toFixed(2)}%` : 'n/a';
}

function pp(v: number): string {
  return `${(100 * v).toFixed(2)} pp`;
}
