// The check set (data/ja-check.csv) measures the shipped model on text no
// model trains on: no check text may stand in the training data, compared
// after normalisation (NFKC, width, case, katakana, spacing).
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../src/moderation/categories.js';
import { loadData, packageRoot } from '../../src/moderation/datasets.js';
import { readLabelledFile } from '../../src/moderation/labelled-data.js';
import { normaliseText } from '../../src/moderation/normalise.js';
import { stratifiedSplit, dedupe, classOf } from '../../src/moderation/splits.js';
import path from 'node:path';

const key = (text: string) => normaliseText(text).replace(/\s+/g, '');

describe('training data and the check set', () => {
  it('share no text', async () => {
    const training = (await loadData('default', packageRoot)).examples;
    const check = await readLabelledFile(path.join(packageRoot, 'data', 'ja-check.csv'));
    const trained = new Set(training.map((e) => key(e.text)));
    const shared = check.filter((e) => trained.has(key(e.text))).map((e) => e.text);
    expect(shared).toEqual([]);
  });

  it('the check set holds every category and many ordinary posts', async () => {
    const check = await readLabelledFile(path.join(packageRoot, 'data', 'ja-check.csv'));
    expect(check.filter((e) => e.label === 'ok').length).toBeGreaterThanOrEqual(300);
    for (const c of CATEGORIES) expect(check.filter((e) => e.category === c).length, c).toBeGreaterThanOrEqual(25);
  });

  it('the training data has every category with a context, and thousands of ordinary posts', async () => {
    const training = (await loadData('ja', packageRoot)).examples;
    expect(training.filter((e) => e.label === 'ok').length).toBeGreaterThanOrEqual(3000);
    expect(training.filter((e) => e.label === 'ng').length).toBeGreaterThanOrEqual(1000);
    for (const c of CATEGORIES) expect(training.filter((e) => e.category === c).length, c).toBeGreaterThanOrEqual(100);
    expect(training.filter((e) => e.context === undefined)).toEqual([]);
  });

  it('the held-out split keeps every class in proportion and shares no text with the training split', async () => {
    const { examples } = dedupe((await loadData('default', packageRoot)).examples);
    const { train, test } = stratifiedSplit(examples, 0.2, 42);
    const inTrain = new Set(train.map((e) => e.normalised));
    expect(test.filter((e) => inTrain.has(e.normalised))).toEqual([]);
    for (const c of ['ok', ...CATEGORIES]) {
      const all = examples.filter((e) => classOf(e) === c).length;
      const held = test.filter((e) => classOf(e) === c).length;
      expect(Math.abs(held - all * 0.2), c).toBeLessThanOrEqual(1);
    }
  });
});
