// A trained text classifier: featuriser settings, softmax weights over the
// classes (ok first, then the NG categories), and the calibration that turns
// the log-odds of "not ok" into a probability of NG. A category's score is
// that probability split by the model's share of it for the category, so the
// category scores add up to the NG score.
import { calibrate, type PlattCalibration } from './calibration.js';
import { isCategory, type Category } from './categories.js';
import { Featurizer, type FeatureSettings, type WordTokenizer } from './featurizer.js';
import { notOkLogit, type SoftmaxRegression } from './softmax-regression.js';

export interface CategoryScore {
  name: Category;
  score: number;
}

export interface TextScores {
  /** Calibrated probability that the text must not be published. */
  score: number;
  /** Each category's share of that probability, highest first (empty for a binary model). */
  categories: CategoryScore[];
}

export class TextClassifier {
  readonly featurizer: Featurizer;
  private readonly probabilities: Float64Array;

  constructor(
    readonly features: FeatureSettings,
    readonly model: SoftmaxRegression,
    readonly calibration: PlattCalibration,
    /** Class names, index-aligned with the model: "ok", then categories (or "ng" for a binary model). */
    readonly classes: readonly string[],
    words?: WordTokenizer,
  ) {
    this.featurizer = new Featurizer(features, words);
    this.probabilities = new Float64Array(model.classes);
  }

  private classProbabilities(normalised: string, ruleCodes?: readonly string[]): Float64Array {
    return this.model.probabilities(this.featurizer.featurize(normalised, ruleCodes), this.probabilities);
  }

  /** Uncalibrated log-odds of NG for normalised text (`ruleCodes`: see Featurizer.featurize). */
  logit(normalised: string, ruleCodes?: readonly string[]): number {
    return notOkLogit(this.classProbabilities(normalised, ruleCodes));
  }

  /** Calibrated probability of NG for normalised text. */
  score(normalised: string, ruleCodes?: readonly string[]): number {
    return calibrate(this.calibration, this.logit(normalised, ruleCodes));
  }

  /** The NG score and the categories' shares of it. */
  scores(normalised: string, ruleCodes?: readonly string[]): TextScores {
    return scoresFromProbabilities(this.classProbabilities(normalised, ruleCodes), this.classes, this.calibration);
  }
}

/** Class probabilities (ok first) to the calibrated NG score and each category's share of it. */
export function scoresFromProbabilities(p: Float64Array, classes: readonly string[], calibration: PlattCalibration): TextScores {
  const score = calibrate(calibration, notOkLogit(p));
  const notOk = Math.max(1 - (p[0] as number), 1e-15);
  const categories: CategoryScore[] = [];
  for (let c = 1; c < classes.length; c++) {
    const name = classes[c];
    if (isCategory(name)) categories.push({ name, score: (score * (p[c] as number)) / notOk });
  }
  categories.sort((a, b) => b.score - a.score);
  return { score, categories };
}
