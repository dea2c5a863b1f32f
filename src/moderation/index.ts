// The moderation library: pure code (no HTTP, no database, no terminal).
import path from 'node:path';
import { packageRoot } from './datasets.js';

export { normalise, normaliseText, originalSpan, type NormalisedText } from './normalise.js';
export { findContactInfo, findContactInfoIn, type ContactReasonCode, type RuleHit, type RuleSeverity } from './contact-rules.js';
export { Featurizer, defaultFeatureSettings, type FeatureSettings, type FeatureVector } from './featurizer.js';
export { LogisticRegression, defaultTrainingSettings, type TrainingSettings } from './logistic-regression.js';
export { fitPlatt, calibrate, type PlattCalibration } from './calibration.js';
export { chooseThresholds, decide, defaultThresholdTargets, type Decision, type ThresholdTargets, type Thresholds } from './thresholds.js';
export { computeMetrics, rocAuc, confusionAt, type ClassifierMetrics, type ConfusionMatrix } from './metrics.js';
export { parseLabelledCsv, parseLabelledJsonl, readLabelledFile, type Label, type LabelledText } from './labelled-data.js';
export { datasets, defaultDataSpec, loadData, packageRoot } from './datasets.js';
export { trainModel, fitClassifier, heldOutSplit, type TrainOptions, type TrainedModel } from './training.js';
export { readModelArtifact, writeModelArtifact, MODEL_FORMAT_VERSION, type LoadedModel, type ModelManifest } from './model-artifact.js';
export { Moderator, scoreText, DEFAULT_MAX_TEXT_LENGTH, type ModerationRequest, type ModerationResult, type ModerationReason } from './moderator.js';
export { evaluateModel, compareModels, type Evaluation, type GateResult } from './evaluation.js';
export { dedupe, stratifiedSplit, fingerprint } from './splits.js';
export { DataError, ModelArtifactError, TextTooLongError } from './errors.js';

/** The shipped model artifact (trained by tools/train-default-model.mjs). */
export const defaultModelPath = path.join(packageRoot, 'models', 'default');
