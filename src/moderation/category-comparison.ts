// The model gate's comparison (issue 13): is a candidate model, released on
// its own, not worse than the environment's current one on a check set, per
// category? Rows: for each category with labelled examples, the share of its
// NG posts not approved (caught) and the share named as that category
// (named); then the share of ordinary posts rejected and the share of caught
// NG whose category was named right. Pure: models and examples in, rows out.
import { CATEGORIES } from './categories.js';
import { DataError } from './errors.js';
import { evaluateModel, type Evaluation } from './evaluation.js';
import type { LabelledText } from './labelled-data.js';
import type { LoadedModel } from './model-artifact.js';

export interface CategoryGateRow {
  /** e.g. `caught.scam`, `named.scam`, `ok.rejected`, `category.named`. */
  metric: string;
  /** The category the row is about (null: all posts). */
  category: string | null;
  /** What the row measures, in words. */
  description: string;
  /** How many labelled examples the row is measured on. */
  examples: number;
  baseline: number;
  candidate: number;
  /** candidate - baseline. */
  delta: number;
  higherIsBetter: boolean;
  worse: boolean;
}

export interface CategoryComparison {
  passed: boolean;
  tolerance: number;
  examples: number;
  baselineVersion: string;
  candidateVersion: string;
  rows: CategoryGateRow[];
}

/** The candidate fails when any row is worse than the baseline's by more than `tolerance` (absolute). */
export function compareModelsByCategory(candidate: LoadedModel, baseline: LoadedModel, data: readonly LabelledText[], source: string, tolerance: number): CategoryComparison {
  if (!(tolerance >= 0 && tolerance < 1)) throw new DataError(`tolerance must be between 0 and 1, got ${tolerance}`);
  return compareEvaluations(evaluateModel(candidate, data, source), evaluateModel(baseline, data, source), tolerance);
}

/** The same comparison on two evaluations of the same data. */
export function compareEvaluations(candidate: Evaluation, baseline: Evaluation, tolerance: number): CategoryComparison {
  const rows: CategoryGateRow[] = [];
  const row = (metric: string, category: string | null, description: string, examples: number, b: number, c: number, higherIsBetter: boolean): void => {
    const delta = c - b;
    const worse = higherIsBetter ? delta < -tolerance - 1e-12 : delta > tolerance + 1e-12;
    rows.push({ metric, category, description, examples, baseline: b, candidate: c, delta, higherIsBetter, worse });
  };
  for (const category of CATEGORIES) {
    const b = baseline.decisions.categories[category];
    const c = candidate.decisions.categories[category];
    if (!b || !c || b.examples === 0) continue;
    row(`caught.${category}`, category, `${category} posts not approved`, b.examples, 1 - b.decisions.approve, 1 - c.decisions.approve, true);
    row(`named.${category}`, category, `${category} posts named ${category}`, b.examples, b.recall, c.recall, true);
  }
  row('ok.rejected', null, 'ordinary posts rejected', baseline.decisions.ok, baseline.decisions.okDecisions.reject, candidate.decisions.okDecisions.reject, false);
  row('category.named', null, 'caught NG whose category was named right', baseline.decisions.ng, baseline.decisions.categoryNamedCorrectly, candidate.decisions.categoryNamedCorrectly, true);
  return { passed: rows.every((r) => !r.worse), tolerance, examples: baseline.decisions.examples, baselineVersion: baseline.modelVersion, candidateVersion: candidate.modelVersion, rows };
}
