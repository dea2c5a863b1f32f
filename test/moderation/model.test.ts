import { describe, expect, it } from 'vitest';
import { fitPlatt, calibrate } from '../../src/moderation/calibration.js';
import { Featurizer, defaultFeatureSettings } from '../../src/moderation/featurizer.js';
import { LogisticRegression, sigmoid } from '../../src/moderation/logistic-regression.js';
import { computeMetrics, confusionAt, rocAuc } from '../../src/moderation/metrics.js';
import { normaliseText } from '../../src/moderation/normalise.js';
import { chooseThresholds, decide } from '../../src/moderation/thresholds.js';

describe('metrics', () => {
  it('computes ROC-AUC by ranks', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // one inversion out of four pairs
    expect(rocAuc([0.1, 0.6, 0.5, 0.9], [0, 0, 1, 1])).toBe(0.75);
    expect(Number.isNaN(rocAuc([0.1, 0.2], [1, 1]))).toBe(true);
  });

  it('builds the confusion matrix at 0.5', () => {
    expect(confusionAt([0.9, 0.6, 0.4, 0.1, 0.7], [1, 0, 1, 0, 1])).toEqual({ truePositive: 2, falsePositive: 1, trueNegative: 1, falseNegative: 1 });
  });

  it('computes precision, recall, F1 and decision rates', () => {
    const m = computeMetrics([0.9, 0.6, 0.4, 0.1, 0.7], [1, 0, 1, 0, 1], { approveBelow: 0.2, rejectAbove: 0.8 });
    expect(m.precision).toBeCloseTo(2 / 3);
    expect(m.recall).toBeCloseTo(2 / 3);
    expect(m.f1).toBeCloseTo(2 / 3);
    expect(m.approveRate).toBeCloseTo(0.2);
    expect(m.rejectRate).toBeCloseTo(0.2);
    expect(m.reviewRate).toBeCloseTo(0.6);
    expect(m.ngRecallAtApprove).toBe(1);
    expect(m.precisionAtReject).toBe(1);
  });
});

describe('thresholds', () => {
  it('decides by the two cut points', () => {
    const t = { approveBelow: 0.1, rejectAbove: 0.9 };
    expect(decide(0.05, t)).toBe('approve');
    expect(decide(0.1, t)).toBe('review');
    expect(decide(0.9, t)).toBe('review');
    expect(decide(0.95, t)).toBe('reject');
  });

  it('meet the NG recall and precision targets on the data they were chosen on', () => {
    const scores: number[] = [];
    const labels: (0 | 1)[] = [];
    for (let i = 0; i < 1000; i++) {
      const ng = i % 4 === 0;
      // overlapping score distributions
      const s = ng ? 0.3 + (0.7 * ((i * 7919) % 1000)) / 1000 : (0.7 * ((i * 104729) % 1000)) / 1000;
      scores.push(s);
      labels.push(ng ? 1 : 0);
    }
    const t = chooseThresholds(scores, labels, { approveNgRecall: 0.99, rejectPrecision: 0.99 });
    const m = computeMetrics(scores, labels, t);
    expect(m.ngRecallAtApprove).toBeGreaterThanOrEqual(0.99);
    expect(m.precisionAtReject).toBeGreaterThanOrEqual(0.99);
    expect(t.approveBelow).toBeLessThanOrEqual(t.rejectAbove);
    expect(m.reviewRate).toBeGreaterThan(0);
    expect(m.reviewRate).toBeLessThan(1);
  });

  it('rejects nothing when no cut reaches the precision target', () => {
    const t = chooseThresholds([0.9, 0.8, 0.7], [0, 1, 0], { approveNgRecall: 0.99, rejectPrecision: 0.99 });
    expect(t.rejectAbove).toBe(1);
  });
});

describe('Platt calibration', () => {
  it('recovers a known scaling', () => {
    const logits: number[] = [];
    const labels: (0 | 1)[] = [];
    // true probability sigmoid(0.5 z - 1), sampled deterministically
    for (let i = 0; i < 4000; i++) {
      const z = -8 + (16 * i) / 4000;
      const p = sigmoid(0.5 * z - 1);
      labels.push(((i * 2654435761) % 1000) / 1000 < p ? 1 : 0);
      logits.push(z);
    }
    const c = fitPlatt(logits, labels);
    expect(c.a).toBeGreaterThan(0.35);
    expect(c.a).toBeLessThan(0.65);
    expect(c.b).toBeGreaterThan(-1.4);
    expect(c.b).toBeLessThan(-0.6);
    expect(calibrate(c, 2)).toBeCloseTo(sigmoid(c.a * 2 + c.b));
  });

  it('falls back to identity on one class', () => {
    expect(fitPlatt([1, 2, 3], [1, 1, 1])).toEqual({ method: 'platt', a: 1, b: 0 });
  });
});

describe('LogisticRegression', () => {
  it('learns to separate two kinds of text', () => {
    const f = new Featurizer({ ...defaultFeatureSettings, bits: 14 });
    const ng = ['win a free prize now', 'free cash prize call now', 'claim your free prize', 'urgent prize winner call', 'free entry win cash'];
    const ok = ['see you at lunch', 'are you coming tonight', 'thanks for dinner', 'running late sorry', 'lunch tomorrow maybe'];
    const examples = [...ng.map((t) => ({ vector: f.featurizeCopy(normaliseText(t)), label: 1 as const })), ...ok.map((t) => ({ vector: f.featurizeCopy(normaliseText(t)), label: 0 as const }))];
    const model = LogisticRegression.train(examples, 14, { learningRate: 0.5, epochs: 20, l2: 0, seed: 1 });
    expect(model.probability(f.featurize('free prize call now'))).toBeGreaterThan(0.7);
    expect(model.probability(f.featurize('see you tonight for dinner'))).toBeLessThan(0.3);
  });

  it('is repeatable with the same seed', () => {
    const f = new Featurizer({ ...defaultFeatureSettings, bits: 12 });
    const examples = ['a b c', 'x y z', 'a c', 'y z'].map((t, i) => ({ vector: f.featurizeCopy(t), label: (i % 2) as 0 | 1 }));
    const a = LogisticRegression.train(examples, 12, { learningRate: 0.5, epochs: 5, l2: 1e-6, seed: 7 });
    const b = LogisticRegression.train(examples, 12, { learningRate: 0.5, epochs: 5, l2: 1e-6, seed: 7 });
    expect(a.bias).toBe(b.bias);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
  });
});
