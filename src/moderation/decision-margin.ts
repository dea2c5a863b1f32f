// How close a post's decision was to changing (issue 13, active learning):
// the review queue serves the posts the model was least sure of first.
//
// With the post's category shares and rule hits held fixed, the decision is
// a step function of the NG score whose steps can only be at the policy's
// thresholds (approveBelow, rejectAbove, each category's rejectAbove). The
// margin is the distance from the score to the nearest threshold where the
// decision (approve / review / reject) really changes; when none can change
// it (a reject-severity rule, a category the policy always reviews with a
// rule hit) the decision is certain and the margin is 1, the largest.
import type { CategoryScore } from './classifier.js';
import { decideWithPolicy, type DecisionPolicy, type RuleVerdict } from './policy.js';

/** The margin of a decision that no score can change. */
export const CERTAIN_MARGIN = 1;

const STEP = 1e-9;

export function decisionMargin(score: number, categories: readonly CategoryScore[], rules: readonly RuleVerdict[], policy: DecisionPolicy): number {
  const decisionAt = (s: number) => decideWithPolicy(s, categories, rules, policy).decision;
  const thresholds = new Set([policy.approveBelow, policy.rejectAbove, ...Object.values(policy.categories).map((c) => c.rejectAbove)]);
  let margin = CERTAIN_MARGIN;
  for (const t of thresholds) {
    if (!Number.isFinite(t)) continue;
    if (decisionAt(t - STEP) !== decisionAt(t + STEP)) margin = Math.min(margin, Math.abs(score - t));
  }
  return Math.round(margin * 1e6) / 1e6;
}
