// A trained text classifier: featuriser settings, logistic-regression
// weights and the calibration that turns log-odds into a probability of NG.
import { calibrate, type PlattCalibration } from './calibration.js';
import { Featurizer, type FeatureSettings } from './featurizer.js';
import type { LogisticRegression } from './logistic-regression.js';

export class TextClassifier {
  readonly featurizer: Featurizer;

  constructor(
    readonly features: FeatureSettings,
    readonly model: LogisticRegression,
    readonly calibration: PlattCalibration,
  ) {
    this.featurizer = new Featurizer(features);
  }

  /** Uncalibrated log-odds of NG for normalised text (`ruleCodes`: see Featurizer.featurize). */
  logit(normalised: string, ruleCodes?: readonly string[]): number {
    return this.model.logit(this.featurizer.featurize(normalised, ruleCodes));
  }

  /** Calibrated probability of NG for normalised text. */
  score(normalised: string, ruleCodes?: readonly string[]): number {
    return calibrate(this.calibration, this.logit(normalised, ruleCodes));
  }
}
