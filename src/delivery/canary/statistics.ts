// The statistics behind the canary judge (issue 12): rank tests for latency,
// exact count tests for sparse rates. Pure functions on numbers; the
// distribution functions come from @stdlib (normal CDF/quantile, the
// hypergeometric PMF), the tests themselves follow R's wilcox.test and
// fisher.test so their results can be checked against R (or scipy.stats).
import hypergeometricPmf from '@stdlib/stats-base-dists-hypergeometric-pmf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** Exact Mann-Whitney below this size per side, when there are no ties (as R). */
const EXACT_LIMIT = 50;

export function median(sorted: readonly number[]): number {
  return quantileSorted(sorted, 0.5);
}

/** Linear interpolation between order statistics (R's type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (h - lo) * (b - a);
}

export function sortNumbers(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export interface MannWhitneyResult {
  /** R's W: the Mann-Whitney U of the first sample (sum of its ranks - n1(n1+1)/2). */
  u: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'normal';
  /** The standardised statistic (normal method only, with continuity correction). */
  z?: number;
}

/**
 * Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of x against y, as R's
 * `wilcox.test(x, y)`: exact when both samples have fewer than 50 values and
 * no ties, otherwise the normal approximation with tie and continuity
 * correction.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs two non-empty samples');
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += rank;
    if (t > 1) tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  if (n1 < EXACT_LIMIT && n2 < EXACT_LIMIT && tieTerm === 0) {
    const cdf = mannWhitneyCdf(n1, n2);
    const p = u > (n1 * n2) / 2 ? 1 - (cdf[u - 1] ?? 0) : (cdf[u] ?? 1);
    return { u, pValue: Math.min(1, 2 * p), method: 'exact' };
  }
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const d = u - (n1 * n2) / 2;
  if (sigma === 0) return { u, pValue: 1, method: 'normal', z: 0 };
  const z = (d - Math.sign(d) * 0.5) / sigma;
  const p = 2 * Math.min(normalCdf(z, 0, 1), 1 - normalCdf(z, 0, 1));
  return { u, pValue: Math.min(1, p), method: 'normal', z };
}

/** P(U <= u) for u = 0..n1*n2 under H0 (no ties): the recursion p(n,m,u) = n/(n+m) p(n-1,m,u-m) + m/(n+m) p(n,m-1,u). */
function mannWhitneyCdf(n1: number, n2: number): number[] {
  // prev[j] = distribution of U for (i - 1, j); cur[j] for (i, j).
  let prev: Float64Array[] = [];
  for (let j = 0; j <= n2; j++) prev.push(Float64Array.of(1));
  for (let i = 1; i <= n1; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n2; j++) {
      const dist = new Float64Array(i * j + 1);
      const a = prev[j]!; // (i-1, j): the largest value is from x, adds j to U
      const b = cur[j - 1]!; // (i, j-1): the largest value is from y
      const wa = i / (i + j);
      const wb = j / (i + j);
      for (let k = 0; k < a.length; k++) dist[k + j]! += wa * a[k]!;
      for (let k = 0; k < b.length; k++) dist[k]! += wb * b[k]!;
      cur.push(dist);
    }
    prev = cur;
  }
  const pmf = prev[n2]!;
  const cdf: number[] = [];
  let acc = 0;
  for (const p of pmf) cdf.push((acc += p));
  return cdf;
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of the shift y - x: the median of all pairwise differences. */
  estimate: number;
  low: number;
  high: number;
  /** The nominal confidence level of [low, high]. */
  confidence: number;
}

/**
 * Hodges-Lehmann shift of y relative to x (median of the n1*n2 differences
 * y_j - x_i) with its distribution-free confidence interval (Moses: order
 * statistics of the differences, the rank chosen with the normal
 * approximation of U; Hollander & Wolfe, ch. 4.3). The differences are never
 * materialised: each order statistic is found by bisection on the value,
 * counting differences below it in O(n1 + n2).
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[], confidence = 0.95): ShiftEstimate {
  const xs = sortNumbers(x);
  const ys = sortNumbers(y);
  const n1 = xs.length;
  const n2 = ys.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('hodgesLehmann needs two non-empty samples');
  const total = n1 * n2;
  const kth = (k: number): number => kthDifference(xs, ys, k);
  const estimate = total % 2 === 1 ? kth((total + 1) / 2) : (kth(total / 2) + kth(total / 2 + 1)) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
  const c = Math.max(1, Math.round(total / 2 - z * Math.sqrt((total * (n1 + n2 + 1)) / 12)));
  return { estimate, low: kth(c), high: kth(total + 1 - c), confidence };
}

/** How many differences y_j - x_i are <= d (xs, ys sorted ascending). */
function countAtMost(xs: readonly number[], ys: readonly number[], d: number): number {
  // For increasing x_i the number of y_j with y_j - x_i <= d only grows.
  let count = 0;
  let j = 0;
  for (const xi of xs) {
    while (j < ys.length && ys[j]! - xi <= d) j++;
    count += j;
  }
  return count;
}

/** The k-th smallest (1-based) difference y_j - x_i. */
export function kthDifference(xs: readonly number[], ys: readonly number[], k: number): number {
  let lo = ys[0]! - xs[xs.length - 1]!; // the smallest difference
  let hi = ys[ys.length - 1]! - xs[0]!; // the largest
  if (countAtMost(xs, ys, lo) >= k) return lo;
  // Invariant: count(lo) < k <= count(hi).
  for (let i = 0; i < 200; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (countAtMost(xs, ys, mid) >= k) hi = mid;
    else lo = mid;
    if (hi - lo <= 1e-9 * Math.max(1, Math.abs(hi))) break;
  }
  // Snap to the smallest actual difference above lo (it is <= hi).
  let best = Number.POSITIVE_INFINITY;
  let j = 0;
  for (const xi of xs) {
    // The smallest y_j with y_j - xi > lo: as xi grows, that index only grows.
    while (j < ys.length && ys[j]! - xi <= lo) j++;
    if (j < ys.length) best = Math.min(best, ys[j]! - xi);
  }
  return Number.isFinite(best) ? best : hi;
}

export interface CountTestResult {
  pValue: number;
  alternative: 'greater' | 'two-sided';
}

/**
 * Fisher's exact test on a 2x2 table of counts: `countB` of `totalB`
 * (canary) against `countA` of `totalA` (baseline). `greater`: the canary's
 * rate is higher, as R's `fisher.test(matrix(c(countB, totalB - countB,
 * countA, totalA - countA), 2), alternative = "greater")`; `two-sided` sums
 * the tables no more likely than the observed one, as R does. Exact for any
 * size: the sum has at most min(countA + countB, totalB) terms.
 */
export function fisherExact(countA: number, totalA: number, countB: number, totalB: number, alternative: 'greater' | 'two-sided'): CountTestResult {
  for (const [c, n] of [
    [countA, totalA],
    [countB, totalB],
  ] as const) {
    if (!Number.isInteger(c) || !Number.isInteger(n) || c < 0 || n < c) {
      throw new RangeError(`fisherExact: bad count ${c} of ${n}`);
    }
  }
  const population = totalA + totalB;
  const successes = countA + countB;
  const lowest = Math.max(0, totalB - (population - successes));
  const highest = Math.min(successes, totalB);
  const pmf = (k: number): number => hypergeometricPmf(k, population, successes, totalB);
  if (alternative === 'greater') {
    let p = 0;
    for (let k = countB; k <= highest; k++) p += pmf(k);
    return { pValue: Math.min(1, p), alternative };
  }
  const observed = pmf(countB) * (1 + 1e-7);
  let p = 0;
  for (let k = lowest; k <= highest; k++) {
    const q = pmf(k);
    if (q <= observed) p += q;
  }
  return { pValue: Math.min(1, p), alternative };
}
