// Thresholds chosen for the whole decision (rules + model + policy), not for
// the model alone: on validation data (out-of-fold scores), approveBelow is
// the highest cut that auto-approves at most `maxNgApproved` of the NG posts
// (rules catch some NG whatever its score, so they are not counted against
// it), and each category's rejectAbove is chosen so that, with what the rules
// reject, at most `maxOkRejected` of the ordinary posts are auto-rejected,
// spending that budget where it rejects the most NG.
import { CATEGORIES, type Category } from './categories.js';
import type { CategoryScore } from './classifier.js';
import { DEFAULT_CATEGORY_ACTIONS, chooseCategory, uniformPolicy, type RuleVerdict } from './policy.js';

export interface DecisionTargets {
  /** Share of NG posts that may be auto-approved. */
  maxNgApproved: number;
  /** Share of ordinary posts that may be auto-rejected. */
  maxOkRejected: number;
  /** No category auto-rejects an NG score at or below this, whatever the validation data says. */
  minRejectScore: number;
  /** Of what a category's model threshold rejects on validation data, at least this share must be NG. */
  minRejectPrecision: number;
}

export const defaultDecisionTargets: DecisionTargets = { maxNgApproved: 0.01, maxOkRejected: 0.005, minRejectScore: 0.5, minRejectPrecision: 0.95 };

export interface ValidationItem {
  ng: boolean;
  score: number;
  categories: readonly CategoryScore[];
  rules: readonly RuleVerdict[];
}

export interface DecisionThresholds {
  approveBelow: number;
  /** For NG of no known category (a rule-less post of a binary model). */
  rejectAbove: number;
  categories: Record<Category, number>;
}

const logit = (p: number): number => {
  const q = Math.min(Math.max(p, 1e-9), 1 - 1e-9);
  return Math.log(q / (1 - q));
};

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; error < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * Bandwidth, in log-odds, of the smoothing of the NG scores' lower tail. The
 * cut is a 1% quantile set by a handful of hard posts; read off the raw
 * scores it jumps between their gaps when a few training lines change
 * (measured: ordinary approved moved by 5-8 points); smoothed, it moves with
 * the tail's shape instead.
 */
export const APPROVE_TAIL_BANDWIDTH = 0.5;

/**
 * The approve cut: the score below which the expected number of NG posts
 * without a rule hit is `maxNgApproved` of all NG, on a kernel-smoothed
 * distribution of their log-odds (rules catch the others whatever they score).
 */
export function chooseApproveBelow(items: readonly ValidationItem[], maxNgApproved: number): number {
  const ngTotal = items.filter((i) => i.ng).length;
  const unruled = items.filter((i) => i.ng && i.rules.length === 0).map((i) => logit(i.score));
  if (unruled.length === 0) return 0.5;
  const allowed = ngTotal * maxNgApproved;
  const below = (z: number): number => unruled.reduce((sum, u) => sum + normalCdf((z - u) / APPROVE_TAIL_BANDWIDTH), 0);
  let lo = Math.min(...unruled) - 10 * APPROVE_TAIL_BANDWIDTH;
  let hi = Math.max(...unruled) + 10 * APPROVE_TAIL_BANDWIDTH;
  if (below(hi) <= allowed) return 1 / (1 + Math.exp(-hi));
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (below(mid) <= allowed) lo = mid;
    else hi = mid;
  }
  return 1 / (1 + Math.exp(-lo));
}

interface ScoreGroup {
  score: number;
  ng: number;
  ok: number;
}

/** Items of one category, highest score first, equal scores together (a cut cannot split them). */
function groups(items: readonly ValidationItem[]): ScoreGroup[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const out: ScoreGroup[] = [];
  for (const item of sorted) {
    const last = out.at(-1);
    if (last && last.score === item.score) {
      if (item.ng) last.ng++;
      else last.ok++;
    } else out.push({ score: item.score, ng: item.ng ? 1 : 0, ok: item.ng ? 0 : 1 });
  }
  return out;
}

export function chooseDecisionThresholds(items: readonly ValidationItem[], targets: DecisionTargets = defaultDecisionTargets): DecisionThresholds {
  const approveBelow = chooseApproveBelow(items, targets.maxNgApproved);
  const okTotal = items.filter((i) => !i.ng).length;
  // The category each item would be decided under, as if every model threshold were at the floor.
  const probe = uniformPolicy(approveBelow, targets.minRejectScore);
  const byCategory = new Map<Category, ValidationItem[]>(CATEGORIES.map((c) => [c, []]));
  let okRejectedByRules = 0;
  for (const item of items) {
    if (item.rules.length === 0 && item.score < approveBelow) continue;
    const ruleRejects = item.rules.some((r) => r.severity === 'reject' && DEFAULT_CATEGORY_ACTIONS[r.category] === 'reject');
    if (ruleRejects) {
      if (!item.ng) okRejectedByRules++;
      continue;
    }
    const category = chooseCategory(item.score, item.categories, item.rules, probe);
    if (category !== null && item.score > targets.minRejectScore) byCategory.get(category)?.push(item);
  }
  let budget = Math.floor(okTotal * targets.maxOkRejected + 1e-9) - okRejectedByRules;
  const state = CATEGORIES.map((category) => ({ category, groups: groups(byCategory.get(category) ?? []), taken: 0, ng: 0, ok: 0 }));
  // Greedy: lower one category's cut past its next group and every group
  // after it that holds no ordinary post, choosing the category that rejects
  // the most NG per ordinary post rejected; cuts that cost nothing first.
  for (;;) {
    let best: { at: number; end: number; gain: number; cost: number } | undefined;
    state.forEach((s, at) => {
      let gain = 0;
      let cost = 0;
      let end = s.taken;
      // The next group (which may hold ordinary posts), then every group after it that holds none.
      if (end < s.groups.length) {
        const g = s.groups[end] as ScoreGroup;
        gain += g.ng;
        cost += g.ok;
        end++;
      }
      while (end < s.groups.length && (s.groups[end] as ScoreGroup).ok === 0) {
        gain += (s.groups[end] as ScoreGroup).ng;
        end++;
      }
      if (end === s.taken || cost > budget || gain === 0) return;
      if ((s.ng + gain) / (s.ng + gain + s.ok + cost) < targets.minRejectPrecision) return;
      const better = !best || (cost === 0 && best.cost > 0) || (cost > 0 && best.cost > 0 && gain / cost > best.gain / best.cost) || (cost === 0 && best.cost === 0 && gain > best.gain);
      if (better) best = { at, end, gain, cost };
    });
    if (!best) break;
    const chosen = state[best.at] as (typeof state)[number];
    chosen.taken = best.end;
    chosen.ng += best.gain;
    chosen.ok += best.cost;
    budget -= best.cost;
  }
  const categories = Object.fromEntries(
    state.map((s) => {
      // Reject strictly above the first group left out; all taken: down to the floor.
      const next = s.groups[s.taken];
      const cut = next === undefined ? targets.minRejectScore : Math.max(next.score, targets.minRejectScore);
      return [s.category, s.groups.length === 0 ? 1 : cut];
    }),
  ) as Record<Category, number>;
  const generic = Math.min(...Object.values(categories).filter((v) => v < 1), 1);
  return { approveBelow, rejectAbove: generic, categories };
}
