// Drives the built CLI (bin/mod.js -> dist/) as a user would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mod.js');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function mod(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'cli', 'commands', 'model.js'))) {
    throw new Error('dist/ is not built: run `npm run build` before this test');
  }
  dir = await mkdtemp(path.join(tmpdir(), 'mod-cli-'));
  const ja = await readFile(path.join(root, 'data', 'ja-messages.csv'), 'utf8');
  await writeFile(path.join(dir, 'ja.csv'), ja);
  // The same texts with every label flipped (ok <-> NG, the context column kept): trains a model worse by construction.
  const flipped = ja
    .split('\n')
    .map((line) => (line.startsWith('#') ? line : line.replace(/,([a-z_]+),([a-z_]+)$/, (row, label: string, context: string) => (label === 'label' ? row : `,${label === 'ok' ? 'ng' : 'ok'},${context}`))))
    .join('\n');
  await writeFile(path.join(dir, 'flipped.csv'), flipped);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mod moderate', () => {
  it('--json prints one object with schemaVersion, decision, score, reasons, modelVersion', async () => {
    const run = await mod(['--json', 'moderate', 'ＬＩＮＥ交換しませんか？']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)[0]).toBe('schemaVersion');
    expect(result).toMatchObject({ schemaVersion: 1, decision: 'reject', modelVersion: expect.any(String) });
    expect(result.score).toBeTypeOf('number');
    expect(result.reasons[0]).toMatchObject({ code: 'contact.exchange-phrase' });
  });

  it('--file --json prints schemaVersion and the results in input order', async () => {
    const lines = ['{"id":"1","text":"週末は何をして過ごすことが多いですか？"}', '{"id":"2","text":"090-1234-5678に電話して"}', '{"id":"3","text":"taro@gmail.com"}'];
    await writeFile(path.join(dir, 'posts.jsonl'), `${lines.join('\n')}\n`);
    const run = await mod(['--json', 'moderate', '--file', 'posts.jsonl']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(Object.keys(document)).toEqual(['schemaVersion', 'results']);
    expect(document.schemaVersion).toBe(1);
    const results = document.results;
    expect(results.map((r: { id: string }) => r.id)).toEqual(['1', '2', '3']);
    expect(results[1].decision).toBe('reject');
    expect(results[2].reasons.map((r: { code: string }) => r.code)).toContain('contact.email');
  });

  it('prints a line per decision without --json', async () => {
    const run = await mod(['moderate', '090-1234-5678']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^REJECT\s+\d\.\d{3}/);
    expect(run.stdout).toMatch(/contact\.phone/);
  });

  it('exits 2 on a malformed file, a missing file, no input, and too long text', async () => {
    await writeFile(path.join(dir, 'bad.jsonl'), '{"text":"ok"}\nnot json\n');
    const bad = await mod(['--json', 'moderate', '--file', 'bad.jsonl']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'DATA_INVALID' });
    expect(bad.stderr).toMatch(/line 2: not valid JSON/);
    expect((await mod(['moderate', '--file', 'missing.jsonl'])).code).toBe(2);
    expect((await mod(['moderate'])).code).toBe(2);
    const long = await mod(['moderate', '--max-length', '10', 'this text is longer than ten']);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/limit is 10/);
  });

  it('exits 2 on a corrupt model', async () => {
    await writeFile(path.join(dir, 'manifest.json'), '{}');
    const run = await mod(['moderate', '--model', '.', 'hello']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a mod-moderation-model manifest/);
  });
});

describe('mod model train / eval / check', () => {
  it('trains, evaluates and gates', async () => {
    const train = await mod(['--json', 'model', 'train', '--data', 'ja.csv', '--out', 'models', '--name', 'good', '--bits', '16']);
    expect(train.code).toBe(0);
    const trained = JSON.parse(train.stdout);
    expect(trained).toMatchObject({ schemaVersion: 1, path: path.join(dir, 'models', 'good') });
    expect(existsSync(path.join(dir, 'models', 'good', 'manifest.json'))).toBe(true);

    const evaluation = await mod(['--json', 'model', 'eval', '--model', 'models/good', '--data', 'ja.csv', '--held-out']);
    expect(evaluation.code).toBe(0);
    const e = JSON.parse(evaluation.stdout);
    for (const key of ['precision', 'recall', 'f1', 'rocAuc', 'reviewRate']) expect(e[key]).toBeTypeOf('number');
    expect(e).toMatchObject({ schemaVersion: 1, thresholds: { approveBelow: expect.any(Number), rejectAbove: expect.any(Number) } });
    expect(e.f1).toBeCloseTo(trained.f1, 6);
    expect(e.confusion).toMatchObject({ truePositive: expect.any(Number) });

    const human = await mod(['model', 'eval', '--model', 'models/good']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ROC-AUC/);
    expect(human.stdout).toMatch(/confusion/);

    const bad = await mod(['--json', 'model', 'train', '--data', 'flipped.csv', '--out', 'models', '--name', 'bad', '--bits', '16']);
    expect(bad.code).toBe(0);

    const same = await mod(['model', 'check', '--candidate', 'models/good', '--baseline', 'models/good', '--data', 'ja.csv']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/PASS/);

    const worse = await mod(['--json', 'model', 'check', '--candidate', 'models/bad', '--baseline', 'models/good']);
    expect(worse.code).toBe(1);
    const gate = JSON.parse(worse.stdout);
    expect(gate).toMatchObject({ schemaVersion: 1, passed: false });
    expect(gate.comparison.some((r: { worse: boolean }) => r.worse)).toBe(true);

    const table = await mod(['model', 'check', '--candidate', 'models/bad', '--baseline', 'models/good']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/metric\s+baseline\s+candidate/);
    expect(table.stdout).toMatch(/FAIL/);
  });

  it('refuses to gate on a held-out split of data that changed since the baseline was trained', async () => {
    await writeFile(path.join(dir, 'grow.csv'), await readFile(path.join(dir, 'ja.csv'), 'utf8'));
    const train = await mod(['--json', 'model', 'train', '--data', 'grow.csv', '--out', 'models', '--name', 'before', '--bits', '16']);
    expect(train.code).toBe(0);
    const unchanged = await mod(['model', 'check', '--candidate', 'models/before', '--baseline', 'models/before']);
    expect(unchanged.code).toBe(0);
    // More labelled lines: today's split of grow.csv now holds examples "before" trained on.
    await writeFile(path.join(dir, 'grow.csv'), `${await readFile(path.join(dir, 'grow.csv'), 'utf8')}\nまた明日ね,ok,small_talk\nLINE教えてよ,contact,small_talk\n`);
    const stale = await mod(['model', 'check', '--candidate', 'models/before', '--baseline', 'models/before']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/data changed since model .* was trained/);
    expect(stale.stderr).toMatch(/--data/);
    const evaluation = await mod(['model', 'eval', '--model', 'models/before']);
    expect(evaluation.code).toBe(0);
    expect(evaluation.stderr).toMatch(/flatter the model/);
    const explicit = await mod(['model', 'check', '--candidate', 'models/before', '--baseline', 'models/before', '--data', path.join(root, 'data', 'ja-check.csv')]);
    expect(explicit.code).toBe(0);
  });

  it('exits 2 on empty, malformed and single-class data', async () => {
    await writeFile(path.join(dir, 'empty.csv'), '');
    await writeFile(path.join(dir, 'malformed.csv'), 'text,label\n"unclosed,ok\n');
    await writeFile(path.join(dir, 'single.jsonl'), '{"text":"a","label":"ok"}\n{"text":"b","label":"ok"}\n');
    for (const file of ['empty.csv', 'malformed.csv', 'single.jsonl']) {
      const run = await mod(['model', 'train', '--data', file, '--out', 'models']);
      expect(run.code, file).toBe(2);
    }
    const single = await mod(['--json', 'model', 'eval', '--data', 'single.jsonl']);
    expect(single.code).toBe(2);
    expect(JSON.parse(single.stdout).error.message).toMatch(/both "ok" and "ng" are needed/);
  });

  it('exits 2 on bad flags and a missing artifact', async () => {
    expect((await mod(['model', 'train', '--data', 'ja.csv', '--out', 'models', '--bits', '99'])).code).toBe(2);
    expect((await mod(['model', 'check', '--candidate', 'nope', '--baseline', 'nope'])).code).toBe(2);
    expect((await mod(['model', 'check', '--candidate', 'models/good'])).code).toBe(2);
  });
});
