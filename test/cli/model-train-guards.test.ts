// mod model train refuses what would quietly spoil a model or lose one: data
// holding texts of the model gate's check set (data/ja-check.csv, a copy
// too), and an artifact directory that is already there (--name, unless
// --force). Real files in a temp directory, the real trainer.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTrain, type TrainCommandOptions } from '../../src/cli/commands/model.js';
import { runCommand, type CliContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/errors.js';
import { captureStreams } from '../support/captured-streams.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-train-guards-'));
  await writeFile(path.join(dir, 'ja.csv'), await readFile(path.join(ROOT, 'data', 'ja-messages.csv'), 'utf8'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function train(options: Partial<TrainCommandOptions>) {
  const { streams, text } = captureStreams();
  const context: CliContext = { streams, env: { CI: 'true' }, interactive: false };
  const globals = { cwd: dir, json: true };
  const exit = await runCommand(globals, context, (output) => runTrain({ out: 'models', seed: '42', bits: '12', testFraction: '0.2', approveRecall: '0.99', rejectPrecision: '0.95', maxOkRejected: '0.005', ...options }, globals, output, context));
  return { exit, ...text() };
}

describe('mod model train guards', () => {
  it('refuses the check set as training data (exit 2, naming it), and a copy of it mixed into other data', async () => {
    const direct = await train({ data: path.join(ROOT, 'data', 'ja-check.csv'), name: 'x' });
    expect(direct.exit).toBe(ExitCode.Usage);
    expect(direct.stderr).toMatch(/holds \d+ texts of data\/ja-check\.csv, the check set the model gate judges every model release on/);
    await writeFile(path.join(dir, 'copy.csv'), await readFile(path.join(ROOT, 'data', 'ja-check.csv'), 'utf8'));
    const mixed = await train({ data: 'ja.csv+copy.csv', name: 'x' });
    expect(mixed.exit).toBe(ExitCode.Usage);
    expect(mixed.stderr).toContain('data/ja-check.csv');
    expect(await stat(path.join(dir, 'models', 'x')).catch(() => undefined)).toBeUndefined();
  });

  it('refuses a --name already there unless --force (said so), and keeps what is there', async () => {
    await mkdir(path.join(dir, 'models', 'good'), { recursive: true });
    await writeFile(path.join(dir, 'models', 'good', 'manifest.json'), '{"keep": true}');
    const refused = await train({ data: 'ja.csv', name: 'good' });
    expect(refused.exit).toBe(ExitCode.Usage);
    expect(refused.stderr).toContain(`${path.join(dir, 'models', 'good')} already exists: --name good would overwrite the model there`);
    expect(refused.stderr).toContain('--force to replace it');
    expect(await readFile(path.join(dir, 'models', 'good', 'manifest.json'), 'utf8')).toBe('{"keep": true}');

    const forced = await train({ data: 'ja.csv', name: 'good', force: true });
    expect(forced.exit, forced.stderr).toBe(ExitCode.Ok);
    expect(JSON.parse(await readFile(path.join(dir, 'models', 'good', 'manifest.json'), 'utf8'))).toHaveProperty('checksum');
  }, 120_000);
});
