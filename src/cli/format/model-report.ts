// `mod model train | eval | check`: the JSON contracts and the human reports
// (a model's metrics block, the check's baseline/candidate table and verdict).
import type { DecisionReport, DecisionShares } from '../../moderation/decision-metrics.js';
import type { Evaluation, GateResult } from '../../moderation/evaluation.js';
import type { ClassifierMetrics } from '../../moderation/metrics.js';
import type { ModelManifest, TrainingLabelsRecord } from '../../moderation/model-artifact.js';
import type { Thresholds } from '../../moderation/thresholds.js';
import type { TrainedModel } from '../../moderation/training.js';

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
// JSON has no NaN: a metric undefined on this data (ROC-AUC of one class) is null.
const nullable = (x: number): number | null => (Number.isFinite(x) ? x : null);

type ThresholdPair = Pick<Thresholds, 'approveBelow' | 'rejectAbove'>;

export function metricsText(m: ClassifierMetrics, thresholds: ThresholdPair): string {
  const c = m.confusion;
  return [
    `  examples      ${m.examples}`,
    `  precision     ${fixed(m.precision)}   recall ${fixed(m.recall)}   F1 ${fixed(m.f1)}   (NG, score >= 0.5)`,
    `  ROC-AUC       ${fixed(m.rocAuc)}`,
    `  thresholds    approve below ${fixed(thresholds.approveBelow)}, reject above ${fixed(thresholds.rejectAbove)}`,
    `  score alone   approve ${pct(m.approveRate)}, review ${pct(m.reviewRate)}, reject ${pct(m.rejectRate)}   (the model without rules, at the two thresholds above)`,
    `                NG not auto-approved ${pct(m.ngRecallAtApprove)}, auto-reject precision ${pct(m.precisionAtReject)}`,
    '  confusion     predicted NG   predicted OK',
    `    actual NG   ${String(c.truePositive).padStart(12)}   ${String(c.falseNegative).padStart(12)}`,
    `    actual OK   ${String(c.falsePositive).padStart(12)}   ${String(c.trueNegative).padStart(12)}`,
  ].join('\n');
}

export function metricsJson(m: ClassifierMetrics, thresholds: ThresholdPair) {
  return {
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    rocAuc: nullable(m.rocAuc),
    reviewRate: m.reviewRate,
    thresholds: { approveBelow: thresholds.approveBelow, rejectAbove: thresholds.rejectAbove },
    examples: m.examples,
    approveRate: m.approveRate,
    rejectRate: m.rejectRate,
    ngRecallAtApprove: m.ngRecallAtApprove,
    precisionAtReject: m.precisionAtReject,
    confusion: m.confusion,
  };
}

const shares = (d: DecisionShares): string => `approve ${pct(d.approve)}, review ${pct(d.review)}, reject ${pct(d.reject)}`;

/** The whole decision (rules + model + policy), per category. */
export function decisionsText(r: DecisionReport): string {
  const lines = [
    `  ordinary      ${shares(r.okDecisions)}   (${r.ok} posts)`,
    `  NG            ${shares(r.ngDecisions)}   (${r.ng} posts)`,
    `  review rate   ${pct(r.reviewRate)} of all posts; NG category named correctly ${pct(r.categoryNamedCorrectly)}`,
    '  category              posts  precision  recall   decisions',
  ];
  for (const [name, c] of Object.entries(r.categories)) {
    if (c.examples === 0 && c.precision === 1) continue;
    lines.push(`    ${name.padEnd(20)} ${String(c.examples).padStart(5)}  ${fixed(c.precision).padStart(9)}  ${fixed(c.recall).padStart(6)}   ${shares(c.decisions)}`);
  }
  return lines.join('\n');
}

export function decisionsJson(r: DecisionReport) {
  return {
    examples: r.examples,
    ok: { examples: r.ok, ...r.okDecisions },
    ng: { examples: r.ng, ...r.ngDecisions },
    reviewRate: r.reviewRate,
    categoryNamedCorrectly: r.categoryNamedCorrectly,
    categories: Object.fromEntries(Object.entries(r.categories).map(([name, c]) => [name, { examples: c.examples, precision: c.precision, recall: c.recall, f1: c.f1, ...c.decisions }])),
    confusion: r.confusion,
  };
}

export function trainJson(dir: string, manifest: ModelManifest, trained: TrainedModel) {
  return {
    schemaVersion: 1,
    path: dir,
    version: manifest.version,
    training: manifest.training,
    ...metricsJson(trained.metrics, trained.thresholds),
    categoryThresholds: trained.thresholds.categories,
    decisions: decisionsJson(trained.decisions),
  };
}

export function trainText(dir: string, manifest: ModelManifest, dataSpec: string, trained: TrainedModel): string {
  const s = trained.summary;
  return [
    `trained model ${manifest.version} -> ${dir}`,
    `  data          ${dataSpec}: ${s.examples} unique examples (${s.ok} ok, ${s.ng} ng; ${s.duplicatesRemoved} duplicates removed), ${s.seconds.toFixed(1)}s`,
    `  held-out set  ${s.heldOutExamples} examples (seed ${s.seed})`,
    ...(manifest.training.labels ? [labelsLine(manifest.training.labels)] : []),
    metricsText(trained.metrics, trained.thresholds),
    `  reject above  ${Object.entries(trained.thresholds.categories)
      .map(([c, t]) => `${c} ${fixed(t)}`)
      .join(', ')}`,
    decisionsText(trained.decisions),
  ].join('\n');
}

/** `--from-db`: the moderators' labels the model trained on, as the manifest records them. */
export function labelsLine(l: TrainingLabelsRecord): string {
  const span = l.from && l.to ? ` decided ${l.from} .. ${l.to}` : '';
  // Older manifests do not say how many labels were of check-set texts.
  const checkSet = l.checkSetExcluded === undefined ? '' : `, ${l.checkSetExcluded} of check-set texts left out (the model gate judges on those)`;
  return `  labels        ${l.count} from the database of ${l.environment}${span}; ${l.conflictsExcluded} conflicting left out${checkSet}, ${l.replacedRepoLabels} repository labels replaced (${l.fingerprint})`;
}

export function evalJson(evaluation: Evaluation, data: string) {
  return { schemaVersion: 1, modelVersion: evaluation.modelVersion, data, ...metricsJson(evaluation.metrics, evaluation.thresholds), decisions: decisionsJson(evaluation.decisions) };
}

export function evalText(evaluation: Evaluation, data: string): string {
  return [`model ${evaluation.modelVersion} on ${data}`, metricsText(evaluation.metrics, evaluation.thresholds), 'the whole decision (rules + model + policy):', decisionsText(evaluation.decisions)].join('\n');
}

export function checkJson(result: GateResult, tolerance: number, data: string) {
  const model = (e: Evaluation) => ({ version: e.modelVersion, ...metricsJson(e.metrics, e.thresholds) });
  return {
    schemaVersion: 1,
    passed: result.passed,
    tolerance,
    data,
    examples: result.examples,
    baseline: model(result.baseline),
    candidate: model(result.candidate),
    comparison: result.rows.map((r) => ({ metric: r.metric, baseline: nullable(r.baseline), candidate: nullable(r.candidate), delta: nullable(r.delta), worse: r.worse })),
  };
}

function gateTable(result: GateResult): string {
  const rows = [['metric', 'baseline', 'candidate', 'delta', ''], ...result.rows.map((r) => [r.metric, fixed(r.baseline), fixed(r.candidate), `${r.delta >= 0 ? '+' : ''}${fixed(r.delta)}`, r.worse ? 'WORSE' : 'ok'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()).join('\n');
}

export function checkText(result: GateResult, tolerance: number, data: string): string {
  return [
    `candidate ${result.candidate.modelVersion} vs baseline ${result.baseline.modelVersion} on ${data} (${result.examples} examples, tolerance ${tolerance})`,
    gateTable(result),
    result.passed
      ? 'PASS: the candidate is not worse than the baseline'
      : `FAIL: the candidate is worse on ${result.rows
          .filter((r) => r.worse)
          .map((r) => r.metric)
          .join(', ')}`,
  ].join('\n');
}
