// Measuring a model on labelled data, and the quality gate that compares a
// candidate with a baseline on the same held-out set.
import { DataError } from './errors.js';
import { requireBothClasses, type LabelledText } from './labelled-data.js';
import { computeMetrics, type ClassifierMetrics } from './metrics.js';
import type { LoadedModel } from './model-artifact.js';
import { dedupe } from './splits.js';
import type { Thresholds } from './thresholds.js';

export interface Evaluation {
  modelVersion: string;
  thresholds: Thresholds;
  metrics: ClassifierMetrics;
}

export function evaluateModel(model: LoadedModel, data: readonly LabelledText[], source: string): Evaluation {
  requireBothClasses(data, source);
  const { examples } = dedupe(data);
  const scores = examples.map((e) => model.classifier.score(e.normalised));
  const labels = examples.map((e) => (e.label === 'ng' ? 1 : 0) as 0 | 1);
  const thresholds = { approveBelow: model.manifest.thresholds.approveBelow, rejectAbove: model.manifest.thresholds.rejectAbove };
  return { modelVersion: model.manifest.version, thresholds, metrics: computeMetrics(scores, labels, thresholds) };
}

export type GateMetric = 'f1' | 'rocAuc' | 'reviewRate' | 'ngRecallAtApprove';

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

const GATE_METRICS: { metric: GateMetric; higherIsBetter: boolean }[] = [
  { metric: 'f1', higherIsBetter: true },
  { metric: 'rocAuc', higherIsBetter: true },
  { metric: 'ngRecallAtApprove', higherIsBetter: true },
  { metric: 'reviewRate', higherIsBetter: false },
];

/**
 * The candidate fails when any metric is worse than the baseline's by more
 * than `tolerance` (absolute: 0.01 is one point).
 */
export function compareModels(candidate: LoadedModel, baseline: LoadedModel, data: readonly LabelledText[], source: string, tolerance: number): GateResult {
  if (!(tolerance >= 0 && tolerance < 1)) throw new DataError(`tolerance must be between 0 and 1, got ${tolerance}`);
  const base = evaluateModel(baseline, data, source);
  const cand = evaluateModel(candidate, data, source);
  const rows = GATE_METRICS.map(({ metric, higherIsBetter }) => {
    const b = base.metrics[metric];
    const c = cand.metrics[metric];
    const delta = c - b;
    const worse = higherIsBetter ? delta < -tolerance - 1e-12 : delta > tolerance + 1e-12;
    return { metric, baseline: b, candidate: c, delta, higherIsBetter, worse };
  });
  return { passed: rows.every((r) => !r.worse), tolerance, examples: base.metrics.examples, baseline: base, candidate: cand, rows };
}
