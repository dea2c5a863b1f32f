// Binary logistic regression over hashed sparse features: how models of
// format 1 score (the category model, softmax-regression.ts, replaced it for
// training), and the training settings both share.
import type { FeatureVector } from './featurizer.js';

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
}
