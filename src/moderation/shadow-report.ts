// `mod model shadow-report` (issue 13): how a shadow model's answers compare
// with the live decisions of the same posts. Pure aggregation over the posts
// counted per (live decision, live category, shadow decision, shadow
// category), as the store reads them: the totals, agreement, the live x
// shadow decision table, agreement per live and per shadow category, and the
// newest post ids of each cell where the two disagree.
import type { Decision } from './thresholds.js';

export const DECISIONS: readonly Decision[] = ['approve', 'review', 'reject'];
/** The category key of a post with none (an approved ordinary post). */
export const NO_CATEGORY = 'none';

export interface ShadowSide {
  decision: Decision;
  category: string | null;
}

export interface ShadowExample {
  postId: string;
  createdAt: Date;
}

/** Posts with the same live and shadow answers; `examples`: the newest few (only where they disagree). */
export interface ShadowGroup {
  live: ShadowSide;
  shadow: ShadowSide;
  posts: number;
  examples: ShadowExample[];
}

/** A shadow model version seen on posts since the report's start. */
export interface ShadowVersionSeen {
  version: string;
  posts: number;
  first: Date;
  last: Date;
}

export interface Agreement {
  posts: number;
  /** Posts where both models decided alike. */
  sameDecision: number;
  /** ... and named the same category (or none). */
  sameDecisionAndCategory: number;
  /** sameDecision / posts; null when there are no posts. */
  decisionRate: number | null;
  fullRate: number | null;
}

/** A cell where the models disagree: other decisions, or the same decision with other categories. */
export interface DisagreementCell {
  live: Decision;
  shadow: Decision;
  /** Set for a same-decision cell: the categories each named. */
  liveCategory?: string;
  shadowCategory?: string;
  posts: number;
  /** Newest first, at most the report's example count. */
  examples: string[];
}

export interface ShadowReport {
  shadowVersion: string | null;
  since: Date;
  total: number;
  agreement: Agreement;
  /** matrix[live][shadow]: posts. */
  matrix: Record<Decision, Record<Decision, number>>;
  byLiveCategory: Record<string, Agreement>;
  byShadowCategory: Record<string, Agreement>;
  /** Other decisions first (most posts first), then same decision with other categories. */
  disagreements: DisagreementCell[];
}

const categoryKey = (c: string | null): string => c ?? NO_CATEGORY;

function agreement(posts: number, sameDecision: number, sameDecisionAndCategory: number): Agreement {
  return { posts, sameDecision, sameDecisionAndCategory, decisionRate: posts === 0 ? null : sameDecision / posts, fullRate: posts === 0 ? null : sameDecisionAndCategory / posts };
}

function emptyMatrix(): Record<Decision, Record<Decision, number>> {
  const row = () => ({ approve: 0, review: 0, reject: 0 });
  return { approve: row(), review: row(), reject: row() };
}

interface Tally {
  posts: number;
  same: number;
  full: number;
}

function add(tallies: Map<string, Tally>, key: string, posts: number, same: boolean, full: boolean): void {
  const t = tallies.get(key) ?? { posts: 0, same: 0, full: 0 };
  t.posts += posts;
  if (same) t.same += posts;
  if (full) t.full += posts;
  tallies.set(key, t);
}

const sortedRecord = (tallies: Map<string, Tally>): Record<string, Agreement> => Object.fromEntries([...tallies.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, t]) => [k, agreement(t.posts, t.same, t.full)]));

const newestFirst = (a: ShadowExample, b: ShadowExample): number => b.createdAt.getTime() - a.createdAt.getTime() || (a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0);

export function shadowReport(groups: readonly ShadowGroup[], options: { shadowVersion: string | null; since: Date; examples: number }): ShadowReport {
  const matrix = emptyMatrix();
  const byLive = new Map<string, Tally>();
  const byShadow = new Map<string, Tally>();
  const cells = new Map<string, { cell: Omit<DisagreementCell, 'examples'>; examples: ShadowExample[] }>();
  let total = 0;
  let same = 0;
  let full = 0;
  for (const g of groups) {
    if (g.posts <= 0) continue;
    const sameDecision = g.live.decision === g.shadow.decision;
    const sameCategory = categoryKey(g.live.category) === categoryKey(g.shadow.category);
    total += g.posts;
    if (sameDecision) same += g.posts;
    if (sameDecision && sameCategory) full += g.posts;
    matrix[g.live.decision][g.shadow.decision] += g.posts;
    add(byLive, categoryKey(g.live.category), g.posts, sameDecision, sameDecision && sameCategory);
    add(byShadow, categoryKey(g.shadow.category), g.posts, sameDecision, sameDecision && sameCategory);
    if (sameDecision && sameCategory) continue;
    const cell: Omit<DisagreementCell, 'examples'> = sameDecision
      ? { live: g.live.decision, shadow: g.shadow.decision, liveCategory: categoryKey(g.live.category), shadowCategory: categoryKey(g.shadow.category), posts: 0 }
      : { live: g.live.decision, shadow: g.shadow.decision, posts: 0 };
    const key = [cell.live, cell.shadow, cell.liveCategory ?? '', cell.shadowCategory ?? ''].join('\u0000');
    const entry = cells.get(key) ?? { cell, examples: [] };
    entry.cell.posts += g.posts;
    entry.examples.push(...g.examples);
    cells.set(key, entry);
  }
  const order = (c: Omit<DisagreementCell, 'examples'>) => (c.liveCategory === undefined ? 0 : 1);
  const disagreements = [...cells.values()]
    .map(({ cell, examples }) => ({
      ...cell,
      examples: [...examples]
        .sort(newestFirst)
        .slice(0, Math.max(0, options.examples))
        .map((e) => e.postId),
    }))
    .sort(
      (a, b) =>
        order(a) - order(b) ||
        b.posts - a.posts ||
        DECISIONS.indexOf(a.live) - DECISIONS.indexOf(b.live) ||
        DECISIONS.indexOf(a.shadow) - DECISIONS.indexOf(b.shadow) ||
        (a.liveCategory ?? '').localeCompare(b.liveCategory ?? '') ||
        (a.shadowCategory ?? '').localeCompare(b.shadowCategory ?? ''),
    );
  return {
    shadowVersion: options.shadowVersion,
    since: options.since,
    total,
    agreement: agreement(total, same, full),
    matrix,
    byLiveCategory: sortedRecord(byLive),
    byShadowCategory: sortedRecord(byShadow),
    disagreements,
  };
}
