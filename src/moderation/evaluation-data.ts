// What `mod model eval` and `mod model check` measure a model on, and what
// they make of a held-out split that can no longer be trusted. Without
// --data a model is measured on the held-out split of its own training data,
// rebuilt from the seed and fraction in its manifest; when that data changed
// since the model was trained (its fingerprint differs), today's split holds
// examples the model trained on and flatters it. An evaluation then warns;
// the check, the quality gate the build runs, refuses to judge. Whether the
// candidate passes is compareModels' (evaluation.ts): no gate metric worse
// than the baseline's by more than the tolerance.
import { loadData, type LoadedData } from './datasets.js';
import { DataError } from './errors.js';
import type { LabelledText } from './labelled-data.js';
import type { ModelManifest } from './model-artifact.js';
import { dedupe, fingerprint } from './splits.js';
import { heldOutSplit } from './training.js';

/** The tolerances compareModels accepts: from 0 up to, not including, 1. */
export const CHECK_TOLERANCE_BOUNDS = { atLeast: 0, below: 1 } as const;

/** Which data to measure on. */
export interface DataChoice {
  /** A file or data set spec; undefined: the model's own training data. */
  data?: string;
  /** Measure only the held-out split of that data (same seed and fraction as the model's training). */
  heldOut: boolean;
}

export interface EvaluationData {
  description: string;
  examples: LabelledText[];
  /** The held-out split of training data that changed since the model was trained (see the top of this file). */
  stale: boolean;
}

/** What a model's manifest says about its training, as far as choosing data goes. */
export type TrainingRecord = Pick<ModelManifest['training'], 'data' | 'seed' | 'testFraction' | 'fingerprint'>;

/** Which model a message is about: its version and the data it was trained on. */
export interface ModelIdentity {
  version: string;
  training: Pick<ModelManifest['training'], 'data'>;
}

export interface StaleSplitProblem {
  message: string;
  hint: string;
}

/** eval: --data as given (its held-out split with --held-out); without --data, the model's own held-out split. */
export function evalDataChoice(options: { data?: string; heldOut?: boolean }): DataChoice {
  return { data: options.data, heldOut: options.heldOut === true || options.data === undefined };
}

/** check: --data as given, whole (a check set no model trains on); without it, the baseline's held-out split. */
export function checkDataChoice(options: { data?: string }): DataChoice {
  return { data: options.data, heldOut: options.data === undefined };
}

/** The examples a choice selects from loaded data; no I/O. */
export function selectEvaluationData(loaded: Pick<LoadedData, 'spec' | 'examples'>, choice: DataChoice, training: TrainingRecord): EvaluationData {
  if (choice.data !== undefined && !choice.heldOut) return { description: loaded.spec, examples: loaded.examples, stale: false };
  const examples = heldOutSplit(loaded.examples, training.seed, training.testFraction);
  // Only the model's own training data has a fingerprint to compare with.
  const stale = choice.data === undefined && fingerprint(dedupe(loaded.examples).examples) !== training.fingerprint;
  return { description: `${loaded.spec} (held-out split, seed ${training.seed})`, examples, stale };
}

/** Loads the data a choice names (the model's training data when none) and selects from it. */
export async function loadEvaluationData(choice: DataChoice, training: TrainingRecord, cwd: string): Promise<EvaluationData> {
  // A model trained --from-db (data `<spec>+db:<env>`) learnt from moderators' labels that are not in the
  // repository: its held-out split cannot be rebuilt from the repo's data alone.
  const fromDatabase = choice.data === undefined ? training.data.split('+').find((part) => part.startsWith('db:')) : undefined;
  if (fromDatabase) {
    throw new DataError(`the model was trained on moderators' labels from ${fromDatabase.slice(3)}'s database (${training.data}), so its held-out split cannot be rebuilt from the repository's data`, {
      hint: 'pass --data with examples it did not train on, e.g. --data data/ja-check.csv (the hand-written check set)',
    });
  }
  const loaded = await loadData(choice.data ?? training.data, cwd);
  return selectEvaluationData(loaded, choice, training);
}

function staleSplitProblem(model: ModelIdentity): StaleSplitProblem {
  return {
    message: `the ${model.training.data} data changed since model ${model.version} was trained, so its held-out split cannot be rebuilt: a split of today's data holds examples it trained on`,
    hint: 'pass --data with examples neither model trained on, e.g. --data data/ja-check.csv (the hand-written check set)',
  };
}

/** Why `mod model check` will not compare on this data, or undefined when it will. */
export function checkRefusal(data: EvaluationData, baseline: ModelIdentity): StaleSplitProblem | undefined {
  return data.stale ? staleSplitProblem(baseline) : undefined;
}

/** What `mod model eval` must warn about before its figures, or undefined. */
export function evalWarning(data: EvaluationData, model: ModelIdentity): StaleSplitProblem | undefined {
  return data.stale ? staleSplitProblem(model) : undefined;
}
