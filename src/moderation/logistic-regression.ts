// Binary logistic regression over hashed sparse features, trained with
// Adagrad (per-feature learning rates suit hashed n-grams, where rare features
// need bigger steps than common ones) and sparse L2 regularisation.
import type { FeatureVector } from './featurizer.js';
import { seededRandom, shuffleInPlace } from './random.js';

export interface TrainingSettings {
  learningRate: number;
  epochs: number;
  /** L2 strength, applied to the weights a step touches. */
  l2: number;
  seed: number;
}

// l2 1e-4: measured best of 1e-6..3e-4 for the category model on data/ja-check.csv (bench/README.md, "Decisions").
export const defaultTrainingSettings: TrainingSettings = { learningRate: 0.5, epochs: 12, l2: 1e-4, seed: 42 };

export interface LabelledVector {
  vector: FeatureVector;
  /** 1 for NG, 0 for OK. */
  label: 0 | 1;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export class LogisticRegression {
  readonly weights: Float32Array;
  bias: number;

  constructor(weights: Float32Array, bias = 0) {
    this.weights = weights;
    this.bias = bias;
  }

  static empty(bits: number): LogisticRegression {
    return new LogisticRegression(new Float32Array(1 << bits), 0);
  }

  /** The raw log-odds of NG. */
  logit(vector: FeatureVector): number {
    const w = this.weights;
    const idx = vector.indices;
    let sum = 0;
    for (let i = 0; i < vector.length; i++) sum += w[idx[i] as number] as number;
    return this.bias + sum * vector.value;
  }

  probability(vector: FeatureVector): number {
    return sigmoid(this.logit(vector));
  }

  static train(examples: readonly LabelledVector[], bits: number, settings: TrainingSettings = defaultTrainingSettings): LogisticRegression {
    const model = LogisticRegression.empty(bits);
    const w = model.weights;
    const g2 = new Float32Array(w.length);
    let biasG2 = 0;
    const eps = 1e-8;
    const order = examples.map((_, i) => i);
    const random = seededRandom(settings.seed);
    const { learningRate: lr, l2 } = settings;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      shuffleInPlace(order, random);
      for (const at of order) {
        const { vector, label } = examples[at] as LabelledVector;
        const g = model.probability(vector) - label;
        const idx = vector.indices;
        const v = vector.value;
        for (let i = 0; i < vector.length; i++) {
          const j = idx[i] as number;
          const wj = w[j] as number;
          const grad = g * v + l2 * wj;
          const acc = (g2[j] as number) + grad * grad;
          g2[j] = acc;
          w[j] = wj - (lr * grad) / (Math.sqrt(acc) + eps);
        }
        biasG2 += g * g;
        model.bias -= (lr * g) / (Math.sqrt(biasG2) + eps);
      }
    }
    return model;
  }
}
