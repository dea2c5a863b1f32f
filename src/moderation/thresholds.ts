// The two cut points that split posts into auto-approve, human review and
// auto-reject, chosen on held-out scores for targets: NG recall of what is
// not auto-approved, and precision of what is auto-rejected.

export interface ThresholdTargets {
  /** Share of NG posts that must score at or above approveBelow (not auto-approved). */
  approveNgRecall: number;
  /** Share of auto-rejected posts that must really be NG. */
  rejectPrecision: number;
}

export const defaultThresholdTargets: ThresholdTargets = { approveNgRecall: 0.99, rejectPrecision: 0.99 };

export interface Thresholds {
  /** Scores below this are approved. */
  approveBelow: number;
  /** Scores above this are rejected; between the two, a person reviews. */
  rejectAbove: number;
}

export type Decision = 'approve' | 'review' | 'reject';

export function decide(score: number, thresholds: Thresholds): Decision {
  if (score > thresholds.rejectAbove) return 'reject';
  if (score < thresholds.approveBelow) return 'approve';
  return 'review';
}

export function chooseThresholds(scores: readonly number[], labels: readonly (0 | 1)[], targets: ThresholdTargets = defaultThresholdTargets): Thresholds {
  const ng = scores.filter((_, i) => labels[i] === 1).sort((x, y) => x - y);
  // approveBelow: the lowest NG score we may still approve below, allowing
  // floor(m * (1 - target)) misses.
  let approveBelow = 0;
  if (ng.length > 0) {
    const misses = Math.floor(ng.length * (1 - targets.approveNgRecall) + 1e-9);
    approveBelow = ng[Math.min(misses, ng.length - 1)] as number;
  }
  // rejectAbove: reject as many top scores as precision allows, cutting only
  // between distinct scores.
  const order = scores.map((s, i) => [s, labels[i] as number] as const).sort((x, y) => y[0] - x[0]);
  let rejectAbove = 1;
  let truePositives = 0;
  for (let k = 0; k < order.length; k++) {
    const [score, label] = order[k] as readonly [number, number];
    truePositives += label;
    const next = order[k + 1];
    if (next && next[0] === score) continue;
    if (truePositives / (k + 1) >= targets.rejectPrecision) rejectAbove = next ? next[0] : 0;
  }
  if (approveBelow > rejectAbove) approveBelow = rejectAbove;
  return { approveBelow, rejectAbove };
}
