// Multinomial logistic regression (softmax) over hashed sparse features, one
// class per label (ok and each category), trained with Adagrad and sparse L2
// like the binary model it replaces. Weights are laid out feature-major
// (w[feature * classes + class]) so scoring one feature reads one cache line.
//
// An example labelled only "NG" (old binary data) has no single class: its
// loss is -log P(not ok), whose gradient spreads over the NG classes in
// proportion to their probabilities, so it teaches ok-vs-NG and leaves the
// category split to the examples that name one.
import type { FeatureVector } from './featurizer.js';
import { seededRandom, shuffleInPlace } from './random.js';
import type { TrainingSettings } from './logistic-regression.js';

/** The class index an example is labelled with, or ANY_NG for "NG of no known category". */
export const ANY_NG = -1;

export interface ClassVector {
  vector: FeatureVector;
  /** 0..classes-1, or ANY_NG. Class 0 is always ok. */
  target: number;
}

export class SoftmaxRegression {
  constructor(
    readonly classes: number,
    readonly weights: Float32Array,
    readonly biases: Float64Array,
  ) {}

  static empty(bits: number, classes: number): SoftmaxRegression {
    return new SoftmaxRegression(classes, new Float32Array((1 << bits) * classes), new Float64Array(classes));
  }

  /** Raw class scores (logits) into `out`. */
  logits(vector: FeatureVector, out: Float64Array): Float64Array {
    const K = this.classes;
    const w = this.weights;
    const idx = vector.indices;
    for (let c = 0; c < K; c++) out[c] = 0;
    for (let i = 0; i < vector.length; i++) {
      const base = (idx[i] as number) * K;
      for (let c = 0; c < K; c++) out[c] = (out[c] as number) + (w[base + c] as number);
    }
    const v = vector.value;
    for (let c = 0; c < K; c++) out[c] = (this.biases[c] as number) + (out[c] as number) * v;
    return out;
  }

  /** Class probabilities into `out` (which may be the logits buffer). */
  probabilities(vector: FeatureVector, out: Float64Array): Float64Array {
    return softmaxInPlace(this.logits(vector, out), this.classes);
  }

  static train(examples: readonly ClassVector[], bits: number, classes: number, settings: TrainingSettings): SoftmaxRegression {
    const model = SoftmaxRegression.empty(bits, classes);
    const K = classes;
    const w = model.weights;
    const g2 = new Float32Array(w.length);
    const biasG2 = new Float64Array(K);
    const p = new Float64Array(K);
    const grad = new Float64Array(K);
    const eps = 1e-8;
    const order = examples.map((_, i) => i);
    const random = seededRandom(settings.seed);
    const { learningRate: lr, l2 } = settings;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      shuffleInPlace(order, random);
      for (const at of order) {
        const { vector, target } = examples[at] as ClassVector;
        model.probabilities(vector, p);
        if (target === ANY_NG) {
          // d/dz of -log(1 - p0): p_k - p_k/(1-p0) for NG classes, p0 for ok.
          const notOk = Math.max(1 - (p[0] as number), 1e-12);
          grad[0] = p[0] as number;
          for (let c = 1; c < K; c++) grad[c] = (p[c] as number) - (p[c] as number) / notOk;
        } else {
          for (let c = 0; c < K; c++) grad[c] = (p[c] as number) - (c === target ? 1 : 0);
        }
        const idx = vector.indices;
        const v = vector.value;
        for (let i = 0; i < vector.length; i++) {
          const base = (idx[i] as number) * K;
          for (let c = 0; c < K; c++) {
            const j = base + c;
            const wj = w[j] as number;
            const gj = (grad[c] as number) * v + l2 * wj;
            if (gj === 0) continue;
            const acc = (g2[j] as number) + gj * gj;
            g2[j] = acc;
            w[j] = wj - (lr * gj) / (Math.sqrt(acc) + eps);
          }
        }
        for (let c = 0; c < K; c++) {
          const gc = grad[c] as number;
          biasG2[c] = (biasG2[c] as number) + gc * gc;
          model.biases[c] = (model.biases[c] as number) - (lr * gc) / (Math.sqrt(biasG2[c] as number) + eps);
        }
      }
    }
    return model;
  }
}

export function softmaxInPlace(z: Float64Array, K: number): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < K; c++) if ((z[c] as number) > max) max = z[c] as number;
  let sum = 0;
  for (let c = 0; c < K; c++) {
    const e = Math.exp((z[c] as number) - max);
    z[c] = e;
    sum += e;
  }
  for (let c = 0; c < K; c++) z[c] = (z[c] as number) / sum;
  return z;
}

/** Log-odds of "not ok" from class probabilities (class 0 is ok). */
export function notOkLogit(p: Float64Array): number {
  const ok = Math.min(Math.max(p[0] as number, 1e-15), 1 - 1e-15);
  return Math.log(1 - ok) - Math.log(ok);
}
