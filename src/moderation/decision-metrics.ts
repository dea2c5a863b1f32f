// What the whole decision (rules + model + policy) did on labelled posts:
// the approve / review / reject shares of ordinary and NG posts (what
// moderators read, what got through, what was wrongly removed), and per
// category its precision, recall, confusion and decision shares.
import { CATEGORIES, type Category } from './categories.js';
import type { Decision } from './thresholds.js';

export interface DecisionShares {
  approve: number;
  review: number;
  reject: number;
}

export interface DecidedExample {
  /** ok, a category, or "ng" for NG of no known category. */
  trueClass: string;
  decision: Decision;
  /** The category the decision named (null when approved). */
  category: Category | null;
}

export interface CategoryReport {
  /** Examples labelled with the category. */
  examples: number;
  /** Of the posts the decision named this category, the share labelled with it. */
  precision: number;
  /** Of the posts labelled with it, the share the decision named it (reviewed or rejected). */
  recall: number;
  f1: number;
  /** Decisions on the posts labelled with it. */
  decisions: DecisionShares;
}

export interface DecisionReport {
  examples: number;
  ok: number;
  ng: number;
  /** Decisions on ordinary posts: approve is what moderators are spared. */
  okDecisions: DecisionShares;
  /** Decisions on NG posts: approve is abuse that got through. */
  ngDecisions: DecisionShares;
  /** Share of all posts that go to a person. */
  reviewRate: number;
  /** Of NG posts with a known category that were not approved, the share whose category was named correctly. */
  categoryNamedCorrectly: number;
  categories: Record<Category, CategoryReport>;
  /** confusion[true class][named category, or "approved"]: counts. */
  confusion: Record<string, Record<string, number>>;
}

function shares(decisions: readonly Decision[]): DecisionShares {
  const n = Math.max(decisions.length, 1);
  const count = (d: Decision) => decisions.filter((x) => x === d).length / n;
  return { approve: count('approve'), review: count('review'), reject: count('reject') };
}

export function decisionReport(examples: readonly DecidedExample[]): DecisionReport {
  const ok = examples.filter((e) => e.trueClass === 'ok');
  const ng = examples.filter((e) => e.trueClass !== 'ok');
  const confusion: Record<string, Record<string, number>> = {};
  for (const e of examples) {
    const row = (confusion[e.trueClass] ??= {});
    const named = e.decision === 'approve' ? 'approved' : (e.category ?? 'none');
    row[named] = (row[named] ?? 0) + 1;
  }
  const categorised = ng.filter((e) => e.trueClass !== 'ng' && e.decision !== 'approve');
  const categories = Object.fromEntries(
    CATEGORIES.map((c) => {
      const labelled = examples.filter((e) => e.trueClass === c);
      const named = examples.filter((e) => e.decision !== 'approve' && e.category === c);
      const hits = labelled.filter((e) => e.decision !== 'approve' && e.category === c).length;
      const precision = named.length === 0 ? 1 : hits / named.length;
      const recall = labelled.length === 0 ? 1 : hits / labelled.length;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return [c, { examples: labelled.length, precision, recall, f1, decisions: shares(labelled.map((e) => e.decision)) }];
    }),
  ) as Record<Category, CategoryReport>;
  return {
    examples: examples.length,
    ok: ok.length,
    ng: ng.length,
    okDecisions: shares(ok.map((e) => e.decision)),
    ngDecisions: shares(ng.map((e) => e.decision)),
    reviewRate: examples.filter((e) => e.decision === 'review').length / Math.max(examples.length, 1),
    categoryNamedCorrectly: categorised.length === 0 ? 1 : categorised.filter((e) => e.category === e.trueClass).length / categorised.length,
    categories,
    confusion,
  };
}
