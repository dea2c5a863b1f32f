// A deployment's canary analysis (issue 12) as the CLI shows it: the JSON
// summary `mod deploy --json` and `mod history --json` carry, the report
// table of `mod canary report` (every metric with the numbers behind its
// verdict), and the one-line forms the deploy result, history and status use.
import { Chalk } from 'chalk';
import Table from 'cli-table3';
import type { CanaryLiveCounts, CanaryRecord, MetricSide, MetricVerdict } from '../../delivery/canary/canary-types.js';
import type { DeploymentRecord } from '../../delivery/deployment.js';

type Paint = InstanceType<typeof Chalk>;

/** The canary in `mod deploy --json` / `mod history --json`; null when the deployment had none. */
export interface CanarySummaryJson {
  /** Running / Judged / Paused / Skipped. */
  status: CanaryRecord['status'];
  verdict: 'Pass' | 'Marginal' | 'Fail' | null;
  score: number | null;
  reason: string | null;
  outcome: CanaryRecord['outcome'] | null;
  /** Why it was skipped or paused. */
  note: string | null;
  metrics: { name: string; group: string; verdict: MetricVerdict['verdict']; critical: boolean; baseline: MetricSide; canary: MetricSide; reason: string }[];
}

export function canarySummaryJson(canary: CanaryRecord | undefined): CanarySummaryJson | null {
  if (!canary) return null;
  const v = canary.verdict;
  return {
    status: canary.status,
    verdict: v?.verdict ?? null,
    score: v?.score ?? null,
    reason: v?.reason ?? null,
    outcome: canary.outcome ?? null,
    note: canary.note ?? null,
    metrics: (v?.metrics ?? []).map((m) => ({ name: m.name, group: m.group, verdict: m.verdict, critical: m.critical, baseline: m.baseline, canary: m.canary, reason: m.reason })),
  };
}

/** The metrics that failed (critical first), for the one-line forms. */
export function failingMetrics(canary: CanaryRecord | undefined): MetricVerdict[] {
  const metrics = canary?.verdict?.metrics.filter((m) => m.verdict === 'fail') ?? [];
  return [...metrics.filter((m) => m.critical), ...metrics.filter((m) => !m.critical)];
}

/** One line: `canary Fail (score 40/100): decision.reject, latency failed; rolled back`; undefined without a canary. */
export function canaryLine(canary: CanaryRecord | undefined, color: boolean, model?: ModelSides): string | undefined {
  if (!canary) return undefined;
  const c = new Chalk({ level: color ? 1 : 0 });
  if (canary.status === 'Skipped') return c.dim(`canary skipped${canary.note ? `: ${canary.note}` : ''}`);
  const v = canary.verdict;
  if (!v)
    return canary.status === 'Running'
      ? c.cyan('canary running')
      : canary.endedAt
        ? `canary ended${canary.note ? `: ${canary.note}` : ' without a verdict'}${canary.outcome ? `; ${outcomeText(canary.outcome, model)}` : ''}`
        : `canary ${canary.status.toLowerCase()}${canary.note ? `: ${canary.note}` : ''}`;
  const failing = failingMetrics(canary).map((m) => m.name);
  const nodata = v.metrics.filter((m) => m.verdict === 'nodata').map((m) => m.name);
  const head = `canary ${paintVerdict(c, v.verdict)} (score ${formatNumber(v.score)}/100)`;
  const why = failing.length ? `${failing.join(', ')} failed` : nodata.length && v.verdict !== 'Pass' ? `no data for ${nodata.join(', ')}` : undefined;
  return `${head}${why ? `: ${why}` : ''}${canary.outcome ? `; ${outcomeText(canary.outcome, model)}` : ''}`;
}

/** Issue 13: a model canary's two models (a model release's record): the outcome speaks of them, not of fleets. */
export interface ModelSides {
  candidate: string;
  live: string;
}

/** A model release record's two models, for canaryLine; undefined for a code deployment. */
export function modelSides(record: DeploymentRecord): ModelSides | undefined {
  return record.kind === 'model' && record.model ? { candidate: record.model.version, live: record.model.previous?.version ?? 'the bundled model' } : undefined;
}

export function outcomeText(outcome: NonNullable<CanaryRecord['outcome']>, model?: ModelSides): string {
  if (model && (outcome === 'rolled-back' || outcome === 'rejected')) return `the candidate model is removed; model ${model.live} keeps deciding`;
  if (model && outcome === 'continued') return `model ${model.candidate} went live`;
  switch (outcome) {
    case 'continued':
      return 'the rollout continued';
    case 'rolled-back':
      return 'the canary was removed, the fleet keeps its revision';
    case 'paused':
      return 'waiting for mod approve';
    case 'approved':
      return 'approved, the rollout continued';
    case 'rejected':
      return 'rejected: the canary was removed, the fleet keeps its revision';
  }
}

/**
 * `mod canary report`: the verdict, why, then every metric with its numbers.
 * With `columns` (a terminal's width) the reason column wraps to fit it;
 * without, every metric stays on one line (logs, pipes, grep).
 */
export function canaryReportText(record: DeploymentRecord, color: boolean, columns?: number): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const canary = record.canary!;
  const lines: string[] = [];
  lines.push(`${c.bold(`canary of ${record.deploymentId}`)} ${record.revision.commit.slice(0, 8)} ${record.revision.subject ?? ''} -> ${record.environment} (deployment ${record.status})`.trimEnd());
  // Issue 13: a model canary compares two models served by the same instances.
  const groups =
    record.kind === 'model' && record.model
      ? `canary model ${record.model.version} vs the live model ${record.model.previous?.version ?? '(bundled)'} (decisions and categories only)`
      : `canary ${list(canary.canaryInstances)} (new revision) vs baseline ${list(canary.baselineInstances)} (current revision)`;
  const window = canary.startedAt ? `, ${canary.startedAt}${canary.endedAt ? ` to ${canary.endedAt} (${seconds(canary.startedAt, canary.endedAt)})` : ', still running'}` : '';
  if (canary.status === 'Skipped') {
    lines.push(`  ${c.yellow('skipped')}${canary.note ? `: ${canary.note}` : ''}`);
    return lines.join('\n');
  }
  lines.push(c.dim(`  ${groups}${window}`));
  const v = canary.verdict;
  if (!v) {
    if (canary.endedAt) lines.push(`  ended${canary.note ? `: ${canary.note}` : ' without a verdict'}`);
    else lines.push(`  ${canary.status === 'Running' ? c.cyan('running: no verdict yet') : `${canary.status}: no verdict`}${canary.note ? ` (${canary.note})` : ''}`);
    if (canary.outcome) lines.push(`  then: ${outcomeText(canary.outcome, modelSides(record))}`);
    const live = liveText(canary);
    if (live) lines.push(`  so far: ${live}`);
    return lines.join('\n');
  }
  lines.push(`  verdict ${paintVerdict(c, v.verdict)}: score ${formatNumber(v.score)}/100 (pass >= ${v.thresholds.pass}, marginal >= ${v.thresholds.marginal})`);
  lines.push(`  why: ${v.reason}`);
  if (canary.outcome) lines.push(`  then: ${outcomeText(canary.outcome, modelSides(record))}`);
  if (canary.status === 'Paused') lines.push(`  ${c.yellow(`paused${canary.note ? ` (${canary.note})` : ''}: mod approve --env ${record.environment} continues it, --reject rolls it back`)}`);
  if (v.metrics.length) {
    const head = ['metric', 'group', 'verdict', 'baseline', 'canary', 'ratio / interval / p', 'reason'];
    const rows = v.metrics.map((m) => [`${m.name}${m.critical ? ' *' : ''}`, m.group, m.verdict === 'nodata' ? 'no data' : m.verdict === 'fail' ? 'FAIL' : 'pass', sideText(m, m.baseline), sideText(m, m.canary), statisticsText(m), m.reason]);
    const table = new Table({ head, ...reasonWrap(head, rows, columns), style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
    for (const [i, row] of rows.entries()) table.push(row.map((cell, column) => (column === 2 ? paintMetric(c, v.metrics[i]!.verdict) : cell)));
    lines.push(table.toString().replace(/^/gm, '  '));
    if (v.metrics.some((m) => m.critical)) lines.push(c.dim('  * critical: failing it fails the whole verdict'));
  }
  return lines.join('\n');
}

/** Fixed widths that wrap the reason (the last column) into what the terminal has left; nothing without a width. */
function reasonWrap(head: string[], rows: string[][], columns: number | undefined): { colWidths?: number[]; wordWrap?: boolean } {
  if (!columns) return {};
  // Each cell has one space of padding on both sides, and each column one border.
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  let left = columns - 2 - widths.reduce((a, b) => a + b, 0) - head.length - 1;
  const longest = Math.max(head.at(-1)!.length, ...rows.map((r) => r.at(-1)!.length)) + 2;
  if (left >= longest) return {};
  // A narrow terminal: the numbers (baseline, canary, ratio / interval / p) wrap too, the widest first, so the reason keeps room.
  const WRAPPABLE = [3, 4, 5];
  while (left < Math.min(REASON_WIDTH, longest)) {
    const widest = WRAPPABLE.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    if (widths[widest]! <= NUMBERS_MIN_WIDTH) break;
    widths[widest]! -= 1;
    left += 1;
  }
  return { colWidths: [...widths, Math.max(MIN_REASON_WIDTH, left)], wordWrap: true };
}

/** The reason column's width the numbers give way to, and the least either keeps (cells include their padding). */
const REASON_WIDTH = 40;
const MIN_REASON_WIDTH = 24;
const NUMBERS_MIN_WIDTH = 16;

/** What one side measured, in the metric's own terms: `41 ms (p90 88, n=512)` (the median) or `12/1000 (1.2%)`. */
export function sideText(metric: MetricVerdict, side: MetricSide): string {
  // The tail metric compares the p90: it comes first.
  if (metric.name.endsWith('p90') && side.p90 !== undefined) return `p90 ${formatNumber(side.p90)} ms (${side.median !== undefined ? `median ${formatNumber(side.median)}, ` : ''}n=${side.samples})`;
  if (side.median !== undefined) return `${formatNumber(side.median)} ms (${side.p90 !== undefined ? `p90 ${formatNumber(side.p90)}, ` : ''}n=${side.samples})`;
  if (side.count !== undefined) return `${side.count}/${side.samples}${side.rate !== undefined ? ` (${percent(side.rate)})` : side.samples ? ` (${percent(side.count / side.samples)})` : ''}`;
  return metric.verdict === 'nodata' ? `n=${side.samples}` : `${side.samples} samples`;
}

/** The numbers the test compared: ratio, the Hodges-Lehmann shift with its interval, the p-value. */
export function statisticsText(m: MetricVerdict): string {
  const parts: string[] = [];
  if (m.ratio !== undefined && Number.isFinite(m.ratio)) parts.push(`x${formatNumber(m.ratio)}`);
  if (m.shift) parts.push(`${signed(m.shift.estimate)} ms [${formatNumber(m.shift.low)}, ${formatNumber(m.shift.high)}]`);
  if (m.pValue !== undefined) parts.push(`p${pValueText(m.pValue)}`);
  return parts.join(', ') || '-';
}

/** A running canary's counts so far, one line; undefined when the record has none. */
export function liveText(canary: CanaryRecord): string | undefined {
  if (!canary.live) return undefined;
  return `canary ${countsText(canary.live.canary)}; baseline ${countsText(canary.live.baseline)} (at ${canary.live.at})`;
}

function countsText(counts: CanaryLiveCounts): string {
  const parts = [`${counts.requests} requests`, `${counts.errors5xx} 5xx`];
  if (counts.errors4xx !== undefined) parts.push(`${counts.errors4xx} 4xx`);
  const decisions = Object.entries(counts.decisions ?? {}).filter(([, n]) => n !== undefined);
  if (decisions.length) parts.push(decisions.map(([d, n]) => `${d} ${n}`).join(' / '));
  return parts.join(', ');
}

export function paintVerdict(c: Paint, verdict: 'Pass' | 'Marginal' | 'Fail'): string {
  return verdict === 'Pass' ? c.green(verdict) : verdict === 'Marginal' ? c.yellow(verdict) : c.red(verdict);
}

function paintMetric(c: Paint, verdict: MetricVerdict['verdict']): string {
  return verdict === 'pass' ? c.green('pass') : verdict === 'fail' ? c.red('FAIL') : c.yellow('no data');
}

function list(ids: string[]): string {
  return ids.length ? ids.join(', ') : '-';
}

function seconds(from: string, to: string): string {
  return `${Math.round((Date.parse(to) - Date.parse(from)) / 1000)} s`;
}

function percent(rate: number): string {
  const p = rate * 100;
  return `${p === 0 ? '0' : p < 0.1 ? p.toPrecision(1) : p < 10 ? p.toFixed(2).replace(/\.?0+$/, '') : p.toFixed(1).replace(/\.0$/, '')}%`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  const fixed = Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function signed(n: number): string {
  return `${n > 0 ? '+' : ''}${formatNumber(n)}`;
}

/** `<0.0001`, `=0.0032`, `=0.31`. */
function pValueText(p: number): string {
  if (p < 0.0001) return '<0.0001';
  return `=${p < 0.01 ? p.toPrecision(2) : p.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}
