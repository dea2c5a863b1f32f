// Measuring a model on labelled data, and the quality gate that compares a
// candidate with a baseline on the same held-out set. Both measure the model
// alone (its NG score) and the whole decision (rules + model + policy: what
// moderators would read, what would get through, per category).
import { decideText } from './decide-text.js';
import { decisionReport, type DecisionReport } from './decision-metrics.js';
import { DataError } from './errors.js';
import { requireBothClasses, type LabelledText } from './labelled-data.js';
import { computeMetrics, type ClassifierMetrics } from './metrics.js';
import { modelPolicy, type LoadedModel } from './model-artifact.js';
import type { DecisionPolicy } from './policy.js';
import { classOf, dedupe } from './splits.js';
import type { Thresholds } from './thresholds.js';

export interface Evaluation {
  modelVersion: string;
  thresholds: Thresholds;
  /** The NG score alone, at the approve and generic reject thresholds. */
  metrics: ClassifierMetrics;
  /** The whole decision with the policy: shares, per-category precision / recall, confusion. */
  decisions: DecisionReport;
}

export function evaluateModel(model: LoadedModel, data: readonly LabelledText[], source: string, policy: DecisionPolicy = modelPolicy(model.manifest)): Evaluation {
  requireBothClasses(data, source);
  const { examples } = dedupe(data);
  const scores = examples.map((e) => model.classifier.score(e.normalised));
  const labels = examples.map((e) => (e.label === 'ng' ? 1 : 0) as 0 | 1);
  const thresholds = { approveBelow: policy.approveBelow, rejectAbove: policy.rejectAbove };
  const decisions = decisionReport(examples.map((e) => ({ trueClass: classOf(e), ...decideText(model.classifier, policy, e.text) })));
  return { modelVersion: model.manifest.version, thresholds, metrics: computeMetrics(scores, labels, thresholds), decisions };
}

/**
 * rocAuc: the model alone. okApproved / ngApproved / ngRejected: the whole
 * decision (what moderators are spared, what gets through, what is removed
 * without a person). categoryNamed: NG whose category the decision names right.
 */
export type GateMetric = 'rocAuc' | 'okApproved' | 'ngApproved' | 'ngRejected' | 'categoryNamed';

export interface GateRow {
  metric: GateMetric;
  baseline: number;
  candidate: number;
  /** candidate - baseline. */
  delta: number;
  /** Whether a higher value is better. */
  higherIsBetter: boolean;
  worse: boolean;
}

export interface GateResult {
  passed: boolean;
  tolerance: number;
  examples: number;
  baseline: Evaluation;
  candidate: Evaluation;
  rows: GateRow[];
}

const GATE_METRICS: { metric: GateMetric; higherIsBetter: boolean; of: (e: Evaluation) => number }[] = [
  { metric: 'rocAuc', higherIsBetter: true, of: (e) => e.metrics.rocAuc },
  { metric: 'okApproved', higherIsBetter: true, of: (e) => e.decisions.okDecisions.approve },
  { metric: 'ngApproved', higherIsBetter: false, of: (e) => e.decisions.ngDecisions.approve },
  { metric: 'ngRejected', higherIsBetter: true, of: (e) => e.decisions.ngDecisions.reject },
  { metric: 'categoryNamed', higherIsBetter: true, of: (e) => e.decisions.categoryNamedCorrectly },
];

/**
 * The candidate fails when any metric is worse than the baseline's by more
 * than `tolerance` (absolute: 0.01 is one point).
 */
export function compareModels(candidate: LoadedModel, baseline: LoadedModel, data: readonly LabelledText[], source: string, tolerance: number): GateResult {
  if (!(tolerance >= 0 && tolerance < 1)) throw new DataError(`tolerance must be between 0 and 1, got ${tolerance}`);
  const base = evaluateModel(baseline, data, source);
  const cand = evaluateModel(candidate, data, source);
  const rows = GATE_METRICS.map(({ metric, higherIsBetter, of }) => {
    const b = of(base);
    const c = of(cand);
    const delta = c - b;
    const worse = higherIsBetter ? delta < -tolerance - 1e-12 : delta > tolerance + 1e-12;
    return { metric, baseline: b, candidate: c, delta, higherIsBetter, worse };
  });
  return { passed: rows.every((r) => !r.worse), tolerance, examples: base.metrics.examples, baseline: base, candidate: cand, rows };
}
