// Training pipeline: de-duplicate, split off a held-out set, cross-fit on the
// rest (out-of-fold scores calibrate the model and choose the thresholds),
// train the final model on the whole training split, and measure it on the
// held-out set it never saw.
import { fitPlatt, calibrate, type PlattCalibration } from './calibration.js';
import { TextClassifier } from './classifier.js';
import { DataError } from './errors.js';
import { Featurizer, defaultFeatureSettings, type FeatureSettings } from './featurizer.js';
import { requireBothClasses, type LabelledText } from './labelled-data.js';
import { LogisticRegression, defaultTrainingSettings, type LabelledVector, type TrainingSettings } from './logistic-regression.js';
import { computeMetrics, type ClassifierMetrics } from './metrics.js';
import { dedupe, fingerprint, stratifiedFolds, stratifiedSplit, type PreparedExample } from './splits.js';
import { chooseThresholds, defaultThresholdTargets, type ThresholdTargets, type Thresholds } from './thresholds.js';

export interface TrainOptions {
  features?: Partial<FeatureSettings>;
  training?: Partial<TrainingSettings>;
  targets?: Partial<ThresholdTargets>;
  /** Share of each label held out for the reported metrics. */
  testFraction?: number;
  /** Folds for the out-of-fold scores that calibrate and set thresholds. */
  folds?: number;
  seed?: number;
}

export interface TrainingSummary {
  data: string;
  fingerprint: string;
  examples: number;
  ok: number;
  ng: number;
  duplicatesRemoved: number;
  conflictingLabels: number;
  trainExamples: number;
  heldOutExamples: number;
  seed: number;
  testFraction: number;
  folds: number;
  seconds: number;
}

export interface TrainedModel {
  classifier: TextClassifier;
  features: FeatureSettings;
  training: TrainingSettings;
  calibration: PlattCalibration;
  thresholds: Thresholds;
  targets: ThresholdTargets;
  metrics: ClassifierMetrics;
  summary: TrainingSummary;
}

export const MIN_EXAMPLES_PER_LABEL = 5;

function toVectors(featurizer: Featurizer, examples: readonly PreparedExample[]): LabelledVector[] {
  return examples.map((e) => ({ vector: featurizer.featurizeCopy(e.normalised), label: e.label === 'ng' ? 1 : 0 }));
}

export function trainModel(data: readonly LabelledText[], dataSpec: string, options: TrainOptions = {}): TrainedModel {
  const started = performance.now();
  const features: FeatureSettings = { ...defaultFeatureSettings, ...options.features };
  const seed = options.seed ?? 42;
  const training: TrainingSettings = { ...defaultTrainingSettings, seed, ...options.training };
  const targets: ThresholdTargets = { ...defaultThresholdTargets, ...options.targets };
  const testFraction = options.testFraction ?? 0.2;
  if (!(features.bits >= 10 && features.bits <= 24)) throw new DataError(`feature bits must be between 10 and 24, got ${features.bits}`);

  requireBothClasses(data, dataSpec);
  const { examples, duplicates, conflicts } = dedupe(data);
  const ng = examples.filter((e) => e.label === 'ng').length;
  const ok = examples.length - ng;
  if (Math.min(ng, ok) < MIN_EXAMPLES_PER_LABEL) {
    throw new DataError(`${dataSpec}: after de-duplication there are ${ok} "ok" and ${ng} "ng" examples; at least ${MIN_EXAMPLES_PER_LABEL} of each are needed`);
  }
  const { train, test } = stratifiedSplit(examples, testFraction, seed);
  const fitted = fitClassifier(train, { features, training, targets, folds: options.folds ?? 5, seed });
  const { classifier, calibration, thresholds, folds } = fitted;
  const testScores = test.map((e) => classifier.score(e.normalised));
  const metrics = computeMetrics(testScores, test.map((e) => (e.label === 'ng' ? 1 : 0)), thresholds);

  return {
    classifier,
    features,
    training,
    calibration,
    thresholds,
    targets,
    metrics,
    summary: {
      data: dataSpec,
      fingerprint: fingerprint(examples),
      examples: examples.length,
      ok,
      ng,
      duplicatesRemoved: duplicates,
      conflictingLabels: conflicts,
      trainExamples: train.length,
      heldOutExamples: test.length,
      seed,
      testFraction,
      folds,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

export interface FittedClassifier {
  classifier: TextClassifier;
  calibration: PlattCalibration;
  thresholds: Thresholds;
  folds: number;
}

/**
 * Fits a classifier on prepared training examples: out-of-fold log-odds
 * (every example scored by a model that did not see it) calibrate the model
 * and choose the thresholds; the final model is trained on all of them.
 */
export function fitClassifier(
  train: readonly PreparedExample[],
  options: { features: FeatureSettings; training: TrainingSettings; targets: ThresholdTargets; folds: number; seed: number },
): FittedClassifier {
  const { features, training, targets, seed } = options;
  const featurizer = new Featurizer(features);
  const trainVectors = toVectors(featurizer, train);
  const trainLabels = trainVectors.map((v) => v.label);
  const minority = Math.min(trainLabels.filter((y) => y === 1).length, trainLabels.filter((y) => y === 0).length);
  const folds = Math.max(2, Math.min(options.folds, minority));
  const foldOf = stratifiedFolds(train, folds, seed + 1);
  const oof = new Array<number>(trainVectors.length).fill(0);
  for (let f = 0; f < folds; f++) {
    const fit = trainVectors.filter((_, i) => foldOf[i] !== f);
    const model = LogisticRegression.train(fit, features.bits, training);
    trainVectors.forEach((v, i) => {
      if (foldOf[i] === f) oof[i] = model.logit(v.vector);
    });
  }
  const calibration = fitPlatt(oof, trainLabels);
  const thresholds = chooseThresholds(oof.map((z) => calibrate(calibration, z)), trainLabels, targets);
  const model = LogisticRegression.train(trainVectors, features.bits, training);
  return { classifier: new TextClassifier(features, model, calibration), calibration, thresholds, folds };
}

/** The held-out split a model trained on `data` with this seed and fraction was measured on. */
export function heldOutSplit(data: readonly LabelledText[], seed: number, testFraction: number): PreparedExample[] {
  return stratifiedSplit(dedupe(data).examples, testFraction, seed).test;
}
