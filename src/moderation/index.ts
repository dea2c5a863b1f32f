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
export { dedupe, stratifiedSplit, stratifiedFolds, fingerprint, classOf } from './splits.js';
export { DataError, ModelArtifactError, PolicyError, TextTooLongError } from './errors.js';
export { CATEGORIES, CATEGORY_DESCRIPTIONS, CATEGORY_PRIORITY, isCategory, type Category } from './categories.js';
export { TextClassifier, scoresFromProbabilities, type CategoryScore, type TextScores } from './classifier.js';
export { decideText, ruleVerdicts, runRules, type TextDecision, type RuleResults } from './decide-text.js';
export { categoryRulesIn, type CategoryRuleHit, type CategoryRuleCode } from './category-rules.js';
export { decideWithPolicy, uniformPolicy, DEFAULT_CATEGORY_ACTIONS, type DecisionPolicy, type CategoryAction, type CategoryPolicy } from './policy.js';
export { applyPolicyOverrides, parsePolicyOverrides, readPolicyFile, type PolicyOverrides } from './policy-config.js';
export { chooseDecisionThresholds, defaultDecisionTargets, type DecisionTargets, type DecisionThresholds, type ValidationItem } from './decision-thresholds.js';
export { decisionReport, type DecisionReport, type DecidedExample } from './decision-metrics.js';
export { modelPolicy } from './model-artifact.js';
export { generatedExamples, generateContactPosts, generateCountedNumberPosts, DIGIT_SPELLINGS } from './generated-data.js';
export { MODEL_CLASSES } from './training.js';

/** The shipped model artifact (trained by tools/train-default-model.mjs). */
export const defaultModelPath = path.join(packageRoot, 'models', 'default');
