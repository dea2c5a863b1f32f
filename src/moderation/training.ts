// Training pipeline: de-duplicate, split off a held-out set (stratified by
// class: ok and each category), cross-fit on the rest (every training example
// scored by a model that did not see it), calibrate the NG score and choose
// the decision thresholds on those out-of-fold scores for the whole decision
// (rules + model + policy), train the final model on the whole training
// split, and measure it on the held-out set it never saw.
import { fitPlatt, type PlattCalibration } from './calibration.js';
import { CATEGORIES } from './categories.js';
import { TextClassifier, scoresFromProbabilities } from './classifier.js';
import { decideText, runRules } from './decide-text.js';
import { decisionReport, type DecisionReport } from './decision-metrics.js';
import { chooseDecisionThresholds, defaultDecisionTargets, type DecisionTargets, type DecisionThresholds, type ValidationItem } from './decision-thresholds.js';
import { DataError } from './errors.js';
import { Featurizer, defaultFeatureSettings, type FeatureSettings, type WordTokenizer } from './featurizer.js';
import { requireBothClasses, type LabelledText } from './labelled-data.js';
import { defaultTrainingSettings, type TrainingSettings } from './logistic-regression.js';
import { computeMetrics, type ClassifierMetrics } from './metrics.js';
import { normalise } from './normalise.js';
import { uniformPolicy } from './policy.js';
import { ANY_NG, SoftmaxRegression, notOkLogit, type ClassVector } from './softmax-regression.js';
import { classOf, dedupe, fingerprint, stratifiedFolds, stratifiedSplit, type PreparedExample } from './splits.js';

export interface TrainOptions {
  features?: Partial<FeatureSettings>;
  training?: Partial<TrainingSettings>;
  targets?: Partial<DecisionTargets>;
  /** Share of each class held out for the reported metrics. */
  testFraction?: number;
  /** Folds for the out-of-fold scores that calibrate and set thresholds. */
  folds?: number;
  /** Cross-fits with different fold assignments, averaged: steadier out-of-fold scores and thresholds. */
  repeats?: number;
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
  /** Examples per class: ok, each category, "ng" for NG of no known category. */
  classes: Record<string, number>;
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
  thresholds: DecisionThresholds;
  targets: DecisionTargets;
  /** The NG score alone on the held-out set (approve / generic reject thresholds). */
  metrics: ClassifierMetrics;
  /** The whole decision (rules + model + policy) on the held-out set. */
  decisions: DecisionReport;
  summary: TrainingSummary;
}

export const MIN_EXAMPLES_PER_LABEL = 5;
/**
 * Cross-fits averaged for the out-of-fold scores. The approve threshold is a
 * low quantile of NG scores, set by a handful of hard posts: with one
 * cross-fit, dropping five training lines moved it enough to change the
 * ordinary posts approved by 8 points; averaged over three it holds steadier.
 */
export const DEFAULT_REPEATS = 3;
/** The classes of every model this trains: ok first, then the categories. */
export const MODEL_CLASSES: readonly string[] = ['ok', ...CATEGORIES];

function targetOf(e: LabelledText): number {
  if (e.label === 'ok') return 0;
  return e.category ? MODEL_CLASSES.indexOf(e.category) : ANY_NG;
}

function toVectors(featurizer: Featurizer, examples: readonly PreparedExample[]): ClassVector[] {
  return examples.map((e) => ({ vector: featurizer.featurizeCopy(e.normalised), target: targetOf(e) }));
}

export function trainModel(data: readonly LabelledText[], dataSpec: string, options: TrainOptions = {}): TrainedModel {
  const started = performance.now();
  const features: FeatureSettings = { ...defaultFeatureSettings, ...options.features };
  const seed = options.seed ?? 42;
  const training: TrainingSettings = { ...defaultTrainingSettings, seed, ...options.training };
  const targets: DecisionTargets = { ...defaultDecisionTargets, ...options.targets };
  const testFraction = options.testFraction ?? 0.2;
  if (!(features.bits >= 10 && features.bits <= 24)) throw new DataError(`feature bits must be between 10 and 24, got ${features.bits}`);

  requireBothClasses(data, dataSpec);
  const { examples, duplicates, conflicts } = dedupe(data);
  const ng = examples.filter((e) => e.label === 'ng').length;
  const ok = examples.length - ng;
  if (Math.min(ng, ok) < MIN_EXAMPLES_PER_LABEL) {
    throw new DataError(`${dataSpec}: after de-duplication there are ${ok} "ok" and ${ng} "ng" examples; at least ${MIN_EXAMPLES_PER_LABEL} of each are needed`);
  }
  const classes: Record<string, number> = {};
  for (const e of examples) classes[classOf(e)] = (classes[classOf(e)] ?? 0) + 1;
  const { train, test } = stratifiedSplit(examples, testFraction, seed);
  const fitted = fitClassifier(train, { features, training, targets, folds: options.folds ?? 5, repeats: options.repeats, seed });
  const { classifier, calibration, thresholds, folds } = fitted;
  const testScores = test.map((e) => classifier.score(e.normalised));
  const metrics = computeMetrics(
    testScores,
    test.map((e) => (e.label === 'ng' ? 1 : 0)),
    thresholds,
  );
  const policy = uniformPolicy(thresholds.approveBelow, thresholds.rejectAbove, thresholds.categories);
  const decisions = decisionReport(test.map((e) => ({ trueClass: classOf(e), ...decideText(classifier, policy, e.text) })));

  return {
    classifier,
    features,
    training,
    calibration,
    thresholds,
    targets,
    metrics,
    decisions,
    summary: {
      data: dataSpec,
      fingerprint: fingerprint(examples),
      examples: examples.length,
      ok,
      ng,
      duplicatesRemoved: duplicates,
      conflictingLabels: conflicts,
      classes,
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
  thresholds: DecisionThresholds;
  folds: number;
}

/**
 * Fits a classifier on prepared training examples: out-of-fold class
 * probabilities (every example scored by a model that did not see it)
 * calibrate the NG score and, with the rules' verdicts on each text, choose
 * the decision thresholds; the final model is trained on all of them.
 */
export function fitClassifier(train: readonly PreparedExample[], options: { features: FeatureSettings; training: TrainingSettings; targets?: DecisionTargets; folds: number; repeats?: number; seed: number; words?: WordTokenizer }): FittedClassifier {
  const { features, training, seed, words } = options;
  const targets = options.targets ?? defaultDecisionTargets;
  const K = MODEL_CLASSES.length;
  const featurizer = new Featurizer(features, words);
  const trainVectors = toVectors(featurizer, train);
  const isNg = train.map((e) => (e.label === 'ng' ? 1 : 0) as 0 | 1);
  const minority = Math.min(isNg.filter((y) => y === 1).length, isNg.filter((y) => y === 0).length);
  const folds = Math.max(2, Math.min(options.folds, minority));
  const repeats = Math.max(1, options.repeats ?? DEFAULT_REPEATS);
  const oof = train.map(() => new Float64Array(K));
  const p = new Float64Array(K);
  for (let r = 0; r < repeats; r++) {
    const foldOf = stratifiedFolds(train, folds, seed + 1 + r);
    for (let f = 0; f < folds; f++) {
      const fit = trainVectors.filter((_, i) => foldOf[i] !== f);
      const model = SoftmaxRegression.train(fit, features.bits, K, { ...training, seed: training.seed + r });
      trainVectors.forEach((v, i) => {
        if (foldOf[i] !== f) return;
        model.probabilities(v.vector, p);
        const acc = oof[i] as Float64Array;
        for (let c = 0; c < K; c++) acc[c] = (acc[c] as number) + (p[c] as number) / repeats;
      });
    }
  }
  const calibration = fitPlatt(oof.map(notOkLogit), isNg);
  const items: ValidationItem[] = train.map((e, i) => {
    const { score, categories } = scoresFromProbabilities(oof[i] as Float64Array, MODEL_CLASSES, calibration);
    return { ng: e.label === 'ng', score, categories, rules: runRules(normalise(e.text, { offsets: true })).verdicts };
  });
  const thresholds = chooseDecisionThresholds(items, targets);
  const model = SoftmaxRegression.train(trainVectors, features.bits, K, training);
  return { classifier: new TextClassifier(features, model, calibration, MODEL_CLASSES, words), calibration, thresholds, folds };
}

/** The held-out split a model trained on `data` with this seed and fraction was measured on. */
export function heldOutSplit(data: readonly LabelledText[], seed: number, testFraction: number): PreparedExample[] {
  return stratifiedSplit(dedupe(data).examples, testFraction, seed).test;
}
