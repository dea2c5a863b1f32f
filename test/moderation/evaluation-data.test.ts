// Which data eval and check measure on, and the stale held-out split: eval
// warns, check refuses. Pure selection on synthetic data (no files).
import { describe, expect, it } from 'vitest';
import type { LabelledText } from '../../src/moderation/labelled-data.js';
import { checkDataChoice, checkRefusal, evalDataChoice, evalWarning, loadEvaluationData, selectEvaluationData, type TrainingRecord } from '../../src/moderation/evaluation-data.js';
import { dedupe, fingerprint } from '../../src/moderation/splits.js';
import { heldOutSplit } from '../../src/moderation/training.js';

const examples: LabelledText[] = [...Array.from({ length: 30 }, (_, i) => ({ text: `こんにちは、今日は${i}回目の練習です`, label: 'ok' as const })), ...Array.from({ length: 30 }, (_, i) => ({ text: `LINE交換しよう id${i}`, label: 'ng' as const }))];
const training: TrainingRecord = { data: 'train.csv', seed: 7, testFraction: 0.2, fingerprint: fingerprint(dedupe(examples).examples) };
const model = { version: 'v-test', training };

describe('model check policy', () => {
  it('eval: --data whole unless --held-out; no --data means the held-out split', () => {
    expect(evalDataChoice({ data: 'x.csv' })).toEqual({ data: 'x.csv', heldOut: false });
    expect(evalDataChoice({ data: 'x.csv', heldOut: true })).toEqual({ data: 'x.csv', heldOut: true });
    expect(evalDataChoice({})).toEqual({ data: undefined, heldOut: true });
  });

  it('check: --data whole (a check set), else the held-out split of the baseline data', () => {
    expect(checkDataChoice({ data: 'check.csv' })).toEqual({ data: 'check.csv', heldOut: false });
    expect(checkDataChoice({})).toEqual({ data: undefined, heldOut: true });
  });

  it('given data is used whole and never stale', () => {
    const data = selectEvaluationData({ spec: 'check.csv', examples }, { data: 'check.csv', heldOut: false }, training);
    expect(data).toEqual({ description: 'check.csv', examples, stale: false });
    expect(checkRefusal(data, model)).toBeUndefined();
  });

  it('the held-out split of unchanged training data is the one the model was measured on', () => {
    const data = selectEvaluationData({ spec: 'train.csv', examples }, { heldOut: true }, training);
    expect(data.description).toBe('train.csv (held-out split, seed 7)');
    expect(data.examples).toEqual(heldOutSplit(examples, 7, 0.2));
    expect(data.examples.length).toBeGreaterThan(0);
    expect(data.stale).toBe(false);
    expect(evalWarning(data, model)).toBeUndefined();
    expect(checkRefusal(data, model)).toBeUndefined();
  });

  it('training data that changed since: eval warns and check refuses, naming the model and pointing at --data', () => {
    const grown = [...examples, { text: 'また明日ね', label: 'ok' as const }];
    const data = selectEvaluationData({ spec: 'train.csv', examples: grown }, { heldOut: true }, training);
    expect(data.stale).toBe(true);
    const refusal = checkRefusal(data, model);
    expect(refusal?.message).toMatch(/^the train\.csv data changed since model v-test was trained/);
    expect(refusal?.hint).toMatch(/--data/);
    expect(evalWarning(data, model)).toEqual(refusal);
  });

  it('a held-out split of other given data (--data with --held-out) has no fingerprint to compare, so is not stale', () => {
    const other = [...examples, { text: 'また明日ね', label: 'ok' as const }];
    const data = selectEvaluationData({ spec: 'other.csv', examples: other }, { data: 'other.csv', heldOut: true }, training);
    expect(data.stale).toBe(false);
    expect(data.description).toBe('other.csv (held-out split, seed 7)');
  });

  it("refuses to rebuild the held-out split of a model trained on moderators' labels (data <spec>+db:<env>), and says to pass --data", async () => {
    const fromDb: TrainingRecord = { ...training, data: 'ja+ja-generated+db:stage' };
    await expect(loadEvaluationData({ heldOut: true }, fromDb, process.cwd())).rejects.toMatchObject({ code: 'DATA_INVALID', message: expect.stringContaining("stage's database"), hint: expect.stringContaining('--data') });
  });
});
