// Quality figures of a scored, labelled set: NG is the positive class.
import { decide, type Thresholds } from './thresholds.js';

export interface ConfusionMatrix {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

export interface ClassifierMetrics {
  examples: number;
  /** Precision, recall and F1 of NG at score >= 0.5. */
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  confusion: ConfusionMatrix;
  /** With the two thresholds: share sent to people, and what the machine decided alone. */
  reviewRate: number;
  approveRate: number;
  rejectRate: number;
  /** Share of NG not auto-approved. */
  ngRecallAtApprove: number;
  /** Share of auto-rejected that is NG (1 when nothing is rejected). */
  precisionAtReject: number;
}

export function confusionAt(scores: readonly number[], labels: readonly (0 | 1)[], cut = 0.5): ConfusionMatrix {
  const m: ConfusionMatrix = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
  scores.forEach((s, i) => {
    const predicted = s >= cut;
    const actual = labels[i] === 1;
    if (predicted && actual) m.truePositive++;
    else if (predicted) m.falsePositive++;
    else if (actual) m.falseNegative++;
    else m.trueNegative++;
  });
  return m;
}

/** Area under the ROC curve by ranks (Mann-Whitney U), ties counted half. */
export function rocAuc(scores: readonly number[], labels: readonly (0 | 1)[]): number {
  const order = scores.map((s, i) => [s, labels[i] as number] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((order[k] as readonly [number, number])[1] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function ratio(a: number, b: number, empty: number): number {
  return b === 0 ? empty : a / b;
}

export function computeMetrics(scores: readonly number[], labels: readonly (0 | 1)[], thresholds: Thresholds): ClassifierMetrics {
  const confusion = confusionAt(scores, labels);
  const precision = ratio(confusion.truePositive, confusion.truePositive + confusion.falsePositive, 0);
  const recall = ratio(confusion.truePositive, confusion.truePositive + confusion.falseNegative, 0);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  let review = 0;
  let approve = 0;
  let reject = 0;
  let ngTotal = 0;
  let ngApproved = 0;
  let rejectedNg = 0;
  scores.forEach((s, i) => {
    const d = decide(s, thresholds);
    const ng = labels[i] === 1;
    if (ng) ngTotal++;
    if (d === 'review') review++;
    else if (d === 'approve') {
      approve++;
      if (ng) ngApproved++;
    } else {
      reject++;
      if (ng) rejectedNg++;
    }
  });
  const n = scores.length;
  return {
    examples: n,
    precision,
    recall,
    f1,
    rocAuc: rocAuc(scores, labels),
    confusion,
    reviewRate: ratio(review, n, 0),
    approveRate: ratio(approve, n, 0),
    rejectRate: ratio(reject, n, 0),
    ngRecallAtApprove: ratio(ngTotal - ngApproved, ngTotal, 1),
    precisionAtReject: ratio(rejectedNg, reject, 1),
  };
}
