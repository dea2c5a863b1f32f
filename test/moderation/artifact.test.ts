import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData, packageRoot } from '../../src/moderation/datasets.js';
import { normaliseText } from '../../src/moderation/normalise.js';
import { ModelArtifactError } from '../../src/moderation/errors.js';
import { compareModels, evaluateModel } from '../../src/moderation/evaluation.js';
import { MANIFEST_FILE, WEIGHTS_FILE, readModelArtifact, writeModelArtifact } from '../../src/moderation/model-artifact.js';
import { heldOutSplit, trainModel, type TrainedModel } from '../../src/moderation/training.js';
import type { LabelledText } from '../../src/moderation/labelled-data.js';

let dir: string;
let data: LabelledText[];
let trained: TrainedModel;
let artifact: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-artifact-'));
  data = (await loadData('ja')).examples;
  trained = trainModel(data, 'ja', { features: { bits: 16 }, seed: 7, repeats: 1 });
  artifact = path.join(dir, 'model');
  await writeModelArtifact(artifact, trained, new Date('2025-01-02T03:04:05Z'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyArtifact(name: string): Promise<string> {
  const target = path.join(dir, name);
  await cp(artifact, target, { recursive: true });
  return target;
}

async function expectArtifactError(location: string, message: RegExp): Promise<void> {
  const error = await readModelArtifact(location).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelArtifactError);
  expect((error as ModelArtifactError).exitCode).toBe(2);
  expect((error as Error).message).toMatch(message);
}

describe('training on the Japanese fixture', () => {
  it('measures the model on a held-out set it never saw', () => {
    const s = trained.summary;
    expect(s.trainExamples + s.heldOutExamples).toBe(s.examples);
    expect(trained.metrics.examples).toBe(s.heldOutExamples);
    expect(trained.metrics.rocAuc).toBeGreaterThan(0.8);
    expect(trained.thresholds.approveBelow).toBeLessThanOrEqual(trained.thresholds.rejectAbove);
  });
});

describe('model artifacts', () => {
  it('round-trip: a loaded model scores exactly like the trained one', async () => {
    const loaded = await readModelArtifact(artifact);
    for (const text of ['LINE交換しよ', 'こんにちは、よろしくお願いします', '副業で稼げます']) {
      const normalised = text.toLowerCase();
      expect(loaded.classifier.score(normalised)).toBeCloseTo(trained.classifier.score(normalised), 6);
    }
    expect(loaded.manifest.version).toMatch(/^20250102-[0-9a-f]{8}$/);
    expect(loaded.manifest.thresholds.approveBelow).toBe(trained.thresholds.approveBelow);
  });

  it('records version, created, data fingerprint, features, metrics, thresholds and checksum', async () => {
    const manifest = JSON.parse(await readFile(path.join(artifact, MANIFEST_FILE), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'mod-moderation-model',
      formatVersion: 2,
      created: '2025-01-02T03:04:05.000Z',
      training: { data: 'ja', seed: 7 },
      features: { bits: 16, charNgramMin: 1, charNgramMax: 4, numberShapes: true, lengthFeature: true },
      model: { kind: 'softmax-regression', classes: ['ok', 'contact', 'solicitation', 'scam', 'abuse', 'spam', 'offplatform_payment', 'minor'] },
      thresholds: { targets: { maxNgApproved: 0.01, maxOkRejected: 0.005 } },
      weights: { file: WEIGHTS_FILE, length: 65536 * 8 },
      checksum: { algorithm: 'sha256' },
    });
    expect(manifest.training.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest.metrics.f1).toBeTypeOf('number');
    expect(Object.keys(manifest.thresholds.categories).sort()).toEqual(['abuse', 'contact', 'minor', 'offplatform_payment', 'scam', 'solicitation', 'spam']);
    expect(manifest.metrics.decisions.okDecisions.approve).toBeGreaterThan(0);
  });

  it('still reads a format-1 (binary) model as a two-class model with no categories', async () => {
    const old = await readModelArtifact(path.join(packageRoot, 'models', 'baseline'));
    expect(old.manifest.formatVersion).toBe(1);
    expect(old.classifier.classes).toEqual(['ok', 'ng']);
    const text = normaliseText('LINE交換しよ');
    const { score, categories } = old.classifier.scores(text);
    expect(categories).toEqual([]);
    expect(score).toBeCloseTo(old.classifier.score(text), 10);
  });

  it('can also be loaded by its manifest path', async () => {
    const loaded = await readModelArtifact(path.join(artifact, MANIFEST_FILE));
    expect(loaded.path).toBe(artifact);
  });

  it('refuses corrupt weights', async () => {
    const copy = await copyArtifact('corrupt-weights');
    const bytes = await readFile(path.join(copy, WEIGHTS_FILE));
    bytes[bytes.length - 10] = (bytes[bytes.length - 10]! + 1) % 256;
    await writeFile(path.join(copy, WEIGHTS_FILE), bytes);
    await expectArtifactError(copy, /checksum mismatch/);
  });

  it('refuses a hand-edited threshold', async () => {
    const copy = await copyArtifact('edited');
    const manifest = JSON.parse(await readFile(path.join(copy, MANIFEST_FILE), 'utf8'));
    manifest.thresholds.rejectAbove = 0.5;
    await writeFile(path.join(copy, MANIFEST_FILE), JSON.stringify(manifest));
    await expectArtifactError(copy, /checksum mismatch/);
  });

  it('refuses another format version with a hint', async () => {
    const copy = await copyArtifact('future');
    const manifest = JSON.parse(await readFile(path.join(copy, MANIFEST_FILE), 'utf8'));
    manifest.formatVersion = 3;
    await writeFile(path.join(copy, MANIFEST_FILE), JSON.stringify(manifest));
    await expectArtifactError(copy, /format version 3 is not supported \(this mod reads versions 1 and 2\)/);
  });

  it('refuses a manifest that is not JSON, not a model, or incomplete', async () => {
    const notJson = await copyArtifact('not-json');
    await writeFile(path.join(notJson, MANIFEST_FILE), '{"format":');
    await expectArtifactError(notJson, /not valid JSON/);
    const other = await copyArtifact('other');
    await writeFile(path.join(other, MANIFEST_FILE), '{"name":"something else"}');
    await expectArtifactError(other, /not a mod-moderation-model manifest/);
    const partial = await copyArtifact('partial');
    const manifest = JSON.parse(await readFile(path.join(partial, MANIFEST_FILE), 'utf8'));
    delete manifest.calibration;
    await writeFile(path.join(partial, MANIFEST_FILE), JSON.stringify(manifest));
    await expectArtifactError(partial, /calibration/);
  });

  it('refuses a missing weights file and a directory that is not an artifact', async () => {
    const copy = await copyArtifact('no-weights');
    await rm(path.join(copy, WEIGHTS_FILE));
    await expectArtifactError(copy, /cannot read weights/);
    await expectArtifactError(dir, /no manifest.json here/);
    await expectArtifactError(path.join(dir, 'missing'), /no manifest.json here/);
  });

  it('replaces an existing artifact whole', async () => {
    const target = await copyArtifact('replaced');
    await writeFile(path.join(target, 'stale.txt'), 'old');
    await writeModelArtifact(target, trained);
    await expect(readFile(path.join(target, 'stale.txt'))).rejects.toThrow();
    await readModelArtifact(target);
  });
});

describe('evaluation and the quality gate', () => {
  it('evaluates on the held-out split with the model thresholds', async () => {
    const loaded = await readModelArtifact(artifact);
    const heldOut = heldOutSplit(data, 7, 0.2);
    const evaluation = evaluateModel(loaded, heldOut, 'ja held-out');
    expect(evaluation.metrics.examples).toBe(trained.metrics.examples);
    expect(evaluation.metrics.f1).toBeCloseTo(trained.metrics.f1, 6);
    expect(evaluation.metrics.rocAuc).toBeCloseTo(trained.metrics.rocAuc, 6);
  });

  it('passes a model against itself and fails a worse one', async () => {
    const good = await readModelArtifact(artifact);
    // Same data with every label flipped: a model that is worse by construction.
    const flipped = data.map((e) => ({ text: e.text, label: e.label === 'ok' ? ('ng' as const) : ('ok' as const) }));
    const badDir = path.join(dir, 'bad');
    await writeModelArtifact(badDir, trainModel(flipped, 'ja-flipped', { features: { bits: 16 }, seed: 7, repeats: 1 }));
    const bad = await readModelArtifact(badDir);
    const heldOut = heldOutSplit(data, 7, 0.2);
    const same = compareModels(good, good, heldOut, 'held-out', 0.01);
    expect(same.passed).toBe(true);
    expect(same.rows.every((r) => r.delta === 0)).toBe(true);
    const worse = compareModels(bad, good, heldOut, 'held-out', 0.01);
    expect(worse.passed).toBe(false);
    expect(worse.rows.find((r) => r.metric === 'rocAuc')).toMatchObject({ worse: true });
    const lenient = compareModels(bad, good, heldOut, 'held-out', 0.99);
    expect(lenient.passed).toBe(true);
  });
});
