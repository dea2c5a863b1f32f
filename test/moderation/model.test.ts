import { describe, expect, it } from 'vitest';
import { fitPlatt, calibrate } from '../../src/moderation/calibration.js';
import { Featurizer, defaultFeatureSettings } from '../../src/moderation/featurizer.js';
import { sigmoid } from '../../src/moderation/logistic-regression.js';
import { ANY_NG, SoftmaxRegression, notOkLogit } from '../../src/moderation/softmax-regression.js';
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

describe('SoftmaxRegression', () => {
  const f = new Featurizer({ ...defaultFeatureSettings, bits: 14 });
  const vector = (t: string) => f.featurizeCopy(normaliseText(t));
  // Classes: 0 ok, 1 scam, 2 abuse.
  const scam = ['win a free prize now', 'free cash prize call now', 'claim your free prize', 'urgent prize winner call', 'free entry win cash'];
  const abuse = ['you are ugly and stupid', 'shut up you idiot', 'stupid ugly loser', 'idiot go away', 'you stupid fool'];
  const ok = ['see you at lunch', 'are you coming tonight', 'thanks for dinner', 'running late sorry', 'lunch tomorrow maybe'];
  const labelled = [...ok.map((t) => ({ vector: vector(t), target: 0 })), ...scam.map((t) => ({ vector: vector(t), target: 1 })), ...abuse.map((t) => ({ vector: vector(t), target: 2 }))];
  const settings = { learningRate: 0.5, epochs: 30, l2: 0, seed: 1 };

  it('learns to tell ok and two categories apart', () => {
    const model = SoftmaxRegression.train(labelled, 14, 3, settings);
    const p = (t: string) => [...model.probabilities(f.featurize(normaliseText(t)), new Float64Array(3))];
    expect(p('free prize call now')[1]).toBeGreaterThan(0.6);
    expect(p('you stupid idiot')[2]).toBeGreaterThan(0.6);
    expect(p('see you tonight for dinner')[0]).toBeGreaterThan(0.6);
  });

  it('learns ok against NG from examples that name no category', () => {
    // Only "NG" for the abuse texts: they must move away from ok without being called scam.
    const partial = [...labelled.filter((e) => e.target !== 2), ...abuse.map((t) => ({ vector: vector(t), target: ANY_NG }))];
    const model = SoftmaxRegression.train(partial, 14, 3, settings);
    const p = model.probabilities(f.featurize(normaliseText('you stupid idiot')), new Float64Array(3));
    expect(p[0]).toBeLessThan(0.4);
    expect(notOkLogit(p)).toBeGreaterThan(0);
  });

  it('is repeatable with the same seed', () => {
    const a = SoftmaxRegression.train(labelled, 14, 3, { ...settings, epochs: 5 });
    const b = SoftmaxRegression.train(labelled, 14, 3, { ...settings, epochs: 5 });
    expect([...a.biases]).toEqual([...b.biases]);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
  });
});
