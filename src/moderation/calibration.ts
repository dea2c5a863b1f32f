// Platt scaling: maps a model's log-odds z to sigmoid(a*z + b), fitted on
// held-out scores, so a score of 0.9 means "NG about 90% of the time".
import { sigmoid } from './logistic-regression.js';

export interface PlattCalibration {
  method: 'platt';
  a: number;
  b: number;
}

export const identityCalibration: PlattCalibration = { method: 'platt', a: 1, b: 0 };

export function calibrate(calibration: PlattCalibration, logit: number): number {
  return sigmoid(calibration.a * logit + calibration.b);
}

/**
 * Fits a and b by Newton's method on the log loss, with Platt's smoothed
 * targets (so a perfectly separated set does not push a to infinity).
 */
export function fitPlatt(logits: readonly number[], labels: readonly (0 | 1)[]): PlattCalibration {
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return identityCalibration;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  const targets = labels.map((y) => (y === 1 ? hi : lo));
  const loss = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const f = a * (logits[i] as number) + b;
      const t = targets[i] as number;
      // log(1 + e^f) - t*f, computed without overflow
      sum += (f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f))) - t * f;
    }
    return sum;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  const lambda = 1e-9;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = lambda;
    let hab = 0;
    let hbb = lambda;
    for (let i = 0; i < logits.length; i++) {
      const z = logits[i] as number;
      const p = sigmoid(a * z + b);
      const d = p - (targets[i] as number);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-18)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Backtracking line search (Lin, Lin and Weng's fix of Platt's method):
    // a full Newton step can overshoot and diverge.
    let step = 1;
    let next = loss(a - step * da, b - step * db);
    while (next > current + 1e-4 * step * (ga * da + gb * db) * -1 && step > 1e-10) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (step <= 1e-10) break;
    a -= step * da;
    b -= step * db;
    const improvement = current - next;
    current = next;
    if (Math.abs(step * da) < 1e-9 && Math.abs(step * db) < 1e-9) break;
    if (improvement < 1e-12 * Math.max(1, Math.abs(current))) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0) return identityCalibration;
  return { method: 'platt', a, b };
}
