// How often two moderators agree on the posts both labelled (issue 13, the
// second opinions): observed agreement and Cohen's kappa (agreement beyond
// what chance would give with each side's own label frequencies), overall
// and per label word. Pure: the store counts the pairs.
//
// The label space is the word a moderator chose: ok, a category, or ng for
// an NG label without one. "first" and "second" are the two opinions in the
// order they were given.
import type { Label } from './labelled-data.js';

/** How many reviews got `first` then `second` as their two labels. */
export interface LabelPairCount {
  first: string;
  second: string;
  count: number;
}

export interface WordAgreement {
  /** Pairs in which at least one moderator chose the word. */
  pairs: number;
  /** Pairs in which both did. */
  agreed: number;
  /** Specific agreement, 2·agreed / (times the first chose it + times the second did); null without pairs. */
  specificAgreement: number | null;
}

export interface AgreementSummary {
  pairs: number;
  agreed: number;
  /** agreed / pairs; null without pairs. */
  observedAgreement: number | null;
  /** Cohen's kappa, (po - pe) / (1 - pe); null without pairs or when chance agreement is 1 (both always chose one same word). */
  kappa: number | null;
  /** Per label word, most frequent first. */
  byCategory: Record<string, WordAgreement>;
}

/** The word of a label: ok, the NG category, or ng without one. */
export function labelWord(label: Label, category: string | null): string {
  return label === 'ok' ? 'ok' : (category ?? 'ng');
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function agreementOf(counts: readonly LabelPairCount[]): AgreementSummary {
  let pairs = 0;
  let agreed = 0;
  const firstTotals = new Map<string, number>();
  const secondTotals = new Map<string, number>();
  const both = new Map<string, number>();
  const either = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const { first, second, count } of counts) {
    if (count <= 0) continue;
    pairs += count;
    add(firstTotals, first, count);
    add(secondTotals, second, count);
    add(either, first, count);
    if (first === second) {
      agreed += count;
      add(both, first, count);
    } else add(either, second, count);
  }
  if (pairs === 0) return { pairs, agreed, observedAgreement: null, kappa: null, byCategory: {} };
  const po = agreed / pairs;
  let pe = 0;
  for (const [word, n] of firstTotals) pe += (n / pairs) * ((secondTotals.get(word) ?? 0) / pairs);
  const kappa = pe >= 1 - 1e-12 ? null : round((po - pe) / (1 - pe));
  const words = [...either.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const byCategory: Record<string, WordAgreement> = {};
  for (const [word, n] of words) {
    const a = both.get(word) ?? 0;
    const marginals = (firstTotals.get(word) ?? 0) + (secondTotals.get(word) ?? 0);
    byCategory[word] = { pairs: n, agreed: a, specificAgreement: marginals === 0 ? null : round((2 * a) / marginals) };
  }
  return { pairs, agreed, observedAgreement: round(po), kappa, byCategory };
}
