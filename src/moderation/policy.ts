// The decision policy: from a post's NG score, the model's categories and the
// rule hits to approve / review / reject and the category that explains it.
// Thresholds come from the model (chosen end to end on validation data, see
// decision-thresholds.ts); the action per category and any threshold can be
// overridden in config (policy-config.ts).
import { CATEGORIES, CATEGORY_PRIORITY, type Category } from './categories.js';
import type { CategoryScore } from './classifier.js';
import type { Decision } from './thresholds.js';

/** What a confident NG of the category gets: auto-reject, or a human always looks. */
export type CategoryAction = 'reject' | 'review';

export interface CategoryPolicy {
  action: CategoryAction;
  /** NG scores above this, with this as the post's category, are auto-rejected (when the action is reject). */
  rejectAbove: number;
}

export interface DecisionPolicy {
  /** NG scores below this, with no rule hit, are auto-approved. */
  approveBelow: number;
  /** For a model without categories (format 1) and NG of no known category. */
  rejectAbove: number;
  categories: Record<Category, CategoryPolicy>;
}

/** The defaults: every category may be auto-rejected when the model or a rule is sure. */
export const DEFAULT_CATEGORY_ACTIONS: Record<Category, CategoryAction> = {
  contact: 'reject',
  solicitation: 'reject',
  scam: 'reject',
  abuse: 'reject',
  spam: 'reject',
  offplatform_payment: 'reject',
  minor: 'reject',
};

export interface RuleVerdict {
  category: Category;
  severity: 'reject' | 'review';
}

export interface PolicyDecision {
  decision: Decision;
  /** The category that explains a review or reject; null for an approved post. */
  category: Category | null;
}

const PRIORITY = new Map<Category, number>(CATEGORY_PRIORITY.map((c, i) => [c, i]));

function byPriority(a: Category, b: Category): number {
  return (PRIORITY.get(a) ?? 99) - (PRIORITY.get(b) ?? 99);
}

/** The category a decision names: a rule's, unless the model is sure of one a moderator acts on first. */
export function chooseCategory(score: number, categories: readonly CategoryScore[], rules: readonly RuleVerdict[], policy: DecisionPolicy): Category | null {
  const top = categories[0]?.name ?? null;
  if (rules.length === 0) return top;
  const ruleCategory = [...rules].map((r) => r.category).sort(byPriority)[0] as Category;
  if (top !== null && top !== ruleCategory && byPriority(top, ruleCategory) < 0 && score > policy.categories[top].rejectAbove) return top;
  return ruleCategory;
}

/**
 * Approve: no rule hit and an NG score below approveBelow. Otherwise the
 * post's category decides: a category whose action is review always goes to
 * a person; else it is rejected when the score passes the category's
 * threshold or a reject-severity rule fired (for a category that may be
 * auto-rejected), and reviewed when not.
 */
export function decideWithPolicy(score: number, categories: readonly CategoryScore[], rules: readonly RuleVerdict[], policy: DecisionPolicy): PolicyDecision {
  if (rules.length === 0 && score < policy.approveBelow) return { decision: 'approve', category: null };
  const category = chooseCategory(score, categories, rules, policy);
  const chosen = category === null ? undefined : policy.categories[category];
  if (chosen?.action === 'review') return { decision: 'review', category };
  const rejectAbove = chosen?.rejectAbove ?? policy.rejectAbove;
  const ruleRejects = rules.some((r) => r.severity === 'reject' && policy.categories[r.category].action === 'reject');
  return { decision: score > rejectAbove || ruleRejects ? 'reject' : 'review', category };
}

/** A policy with the same thresholds for every category (models without per-category ones). */
export function uniformPolicy(approveBelow: number, rejectAbove: number, perCategory: Partial<Record<Category, number>> = {}): DecisionPolicy {
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, { action: DEFAULT_CATEGORY_ACTIONS[c], rejectAbove: perCategory[c] ?? rejectAbove }])) as Record<Category, CategoryPolicy>;
  return { approveBelow, rejectAbove, categories };
}
