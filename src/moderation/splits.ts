// De-duplication (on normalised text, so a copy in full-width or with extra
// spaces is the same message) and seeded, stratified splits.
import { createHash } from 'node:crypto';
import type { LabelledText } from './labelled-data.js';
import { normaliseText } from './normalise.js';
import { seededRandom, shuffleInPlace } from './random.js';

export interface PreparedExample extends LabelledText {
  normalised: string;
}

export interface DedupeResult {
  examples: PreparedExample[];
  duplicates: number;
  /** Same normalised text with both labels: the first label is kept. */
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
      if (previous.label !== e.label) conflicts++;
      continue;
    }
    seen.set(key, { text: e.text, label: e.label, normalised });
  }
  return { examples: [...seen.values()], duplicates, conflicts };
}

/** A stable fingerprint of a data set: order-independent, over normalised text and label. */
export function fingerprint(examples: readonly PreparedExample[]): string {
  const lines = examples.map((e) => `${e.label}\t${e.normalised}`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return `sha256:${hash.digest('hex')}`;
}

function byLabel<T extends LabelledText>(examples: readonly T[], seed: number): [T[], T[]] {
  const random = seededRandom(seed);
  const ok = shuffleInPlace(examples.filter((e) => e.label === 'ok'), random);
  const ng = shuffleInPlace(examples.filter((e) => e.label === 'ng'), random);
  return [ok, ng];
}

/** Splits off `testFraction` of each label as the held-out set. */
export function stratifiedSplit<T extends LabelledText>(examples: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const group of byLabel(examples, seed)) {
    const nTest = Math.max(1, Math.round(group.length * testFraction));
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train, test };
}

/** Fold number (0..k-1) per example, each label spread evenly over the folds. */
export function stratifiedFolds<T extends LabelledText>(examples: readonly T[], k: number, seed: number): number[] {
  const folds = new Array<number>(examples.length).fill(0);
  const index = new Map<T, number>();
  examples.forEach((e, i) => index.set(e, i));
  for (const group of byLabel(examples, seed)) {
    group.forEach((e, i) => {
      folds[index.get(e) as number] = i % k;
    });
  }
  return folds;
}
