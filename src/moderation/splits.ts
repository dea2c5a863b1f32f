// De-duplication (on normalised text, so a copy in full-width or with extra
// spaces is the same message) and seeded, stratified splits.
import { createHash } from 'node:crypto';
import type { LabelledText } from './labelled-data.js';
import { normaliseText } from './normalise.js';
import { seededRandom, shuffleInPlace } from './random.js';

export interface PreparedExample extends LabelledText {
  normalised: string;
}

/** ok, a category, or "ng" for NG of no known category: what splits are stratified by. */
export function classOf(e: LabelledText): string {
  return e.label === 'ok' ? 'ok' : (e.category ?? 'ng');
}

export interface DedupeResult {
  examples: PreparedExample[];
  duplicates: number;
  /** Same normalised text with two labels (or two categories): the first is kept. */
  conflicts: number;
}

export function dedupe(examples: readonly LabelledText[]): DedupeResult {
  const seen = new Map<string, PreparedExample>();
  let duplicates = 0;
  let conflicts = 0;
  for (const e of examples) {
    const normalised = normaliseText(e.text);
    const key = normalised.trim();
    const previous = seen.get(key);
    if (previous) {
      duplicates++;
      if (classOf(previous) !== classOf(e)) conflicts++;
      continue;
    }
    const prepared: PreparedExample = { text: e.text, label: e.label, category: e.label === 'ok' ? null : (e.category ?? null), normalised };
    if (e.context !== undefined) prepared.context = e.context;
    seen.set(key, prepared);
  }
  return { examples: [...seen.values()], duplicates, conflicts };
}

/** A stable fingerprint of a data set: order-independent, over normalised text and label (with its category). */
export function fingerprint(examples: readonly PreparedExample[]): string {
  const lines = examples.map((e) => `${e.label === 'ng' && e.category ? `ng:${e.category}` : e.label}\t${e.normalised}`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return `sha256:${hash.digest('hex')}`;
}

/** Shuffled groups of one class each (ok, each category, uncategorised ng), in a fixed order. */
function byClass<T extends LabelledText>(examples: readonly T[], seed: number): T[][] {
  const random = seededRandom(seed);
  const groups = new Map<string, T[]>();
  for (const e of examples) {
    const key = classOf(e);
    const group = groups.get(key) ?? [];
    group.push(e);
    groups.set(key, group);
  }
  return [...groups.keys()].sort().map((key) => shuffleInPlace(groups.get(key) as T[], random));
}

/** Splits off `testFraction` of each class (ok and each category) as the held-out set. */
export function stratifiedSplit<T extends LabelledText>(examples: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const group of byClass(examples, seed)) {
    const nTest = Math.max(1, Math.round(group.length * testFraction));
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train, test };
}

/** Fold number (0..k-1) per example, each class spread evenly over the folds. */
export function stratifiedFolds<T extends LabelledText>(examples: readonly T[], k: number, seed: number): number[] {
  const folds = new Array<number>(examples.length).fill(0);
  const index = new Map<T, number>();
  examples.forEach((e, i) => index.set(e, i));
  for (const group of byClass(examples, seed)) {
    group.forEach((e, i) => {
      folds[index.get(e) as number] = i % k;
    });
  }
  return folds;
}
