// `mod model eval --agreement --env E` (issue 13) in process against an
// environment whose databaseUrl is real PostgreSQL: the same figures as GET
// /v1/reviews/agreement, as JSON and text; usage errors for the flags that
// do not go together.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import { runCli } from '../support/run-cli.js';
import { createTestStore } from '../store/test-database.js';

let dir: string;
let env: Awaited<ReturnType<typeof createTestStore>>;
let quiet: Awaited<ReturnType<typeof createTestStore>>;

const post = (id: string): NewPost => ({ id, kind: null, userId: null, text: `text ${id}`, decision: 'review', category: null, categories: [], score: 0.5, reasons: [], modelVersion: 'v1', margin: 0.1 });
const at = (m: number) => new Date(Date.UTC(2026, 4, 1, 0, m));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-agreement-'));
  env = await createTestStore('postgres');
  quiet = await createTestStore('postgres');
  await new Promise<void>((resolve, reject) => execFile('git', ['init', '-q'], { cwd: dir }, (error) => (error ? reject(error) : resolve())));
  await writeFile(path.join(dir, 'mod.config.yml'), ['app: agreement', 'environments:', '  stage:', '    branch: stage', `    databaseUrl: "${env.db.url}"`, '  quiet:', '    branch: quiet', `    databaseUrl: "${quiet.db.url}"`, ''].join('\n'));
  const s = env.store;
  await s.recordPosts(['a', 'b', 'c', 'd', 'single'].map(post), at(0));
  // Pairs: spam/spam, ok/spam (a conflict), ok/ok, scam/scam; one review with one opinion is not a pair.
  const pairs: [string, ['ok' | 'ng', string | null], ['ok' | 'ng', string | null]][] = [
    ['a', ['ng', 'spam'], ['ng', 'spam']],
    ['b', ['ok', null], ['ng', 'spam']],
    ['c', ['ok', null], ['ok', null]],
    ['d', ['ng', 'scam'], ['ng', 'scam']],
  ];
  for (const [i, [id, first, second]] of pairs.entries()) {
    await s.decideReview(id, 'alice', first[0], first[1] as never, at(1 + i), 2);
    await s.decideReview(id, 'bob', second[0], second[1] as never, at(10 + i), 2);
  }
  await s.decideReview('single', 'alice', 'ok', null, at(20), 1);
});
afterAll(async () => {
  await env?.close();
  await quiet?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mod model eval --agreement', () => {
  it('prints the agreement of the env database as JSON', async () => {
    const run = await runCli(['--json', 'model', 'eval', '--agreement', '--env', 'stage'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json()).toEqual({
      schemaVersion: 1,
      environment: 'stage',
      pairs: 4,
      agreed: 3,
      observedAgreement: 0.75,
      kappa: 0.636364,
      byCategory: {
        spam: { pairs: 2, agreed: 1, specificAgreement: 0.666667 },
        ok: { pairs: 2, agreed: 1, specificAgreement: 0.666667 },
        scam: { pairs: 1, agreed: 1, specificAgreement: 1 },
      },
      conflicts: { count: 1, ids: ['b'] },
    });
  });

  it('prints it as text, and says so when no post has two labels', async () => {
    const run = await runCli(['--plain', 'model', 'eval', '--agreement', '--env', 'stage'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/moderator agreement in stage: 4 posts with two labels/);
    expect(run.stdout).toMatch(/agreed\s+3 \(75\.0%\)/);
    expect(run.stdout).toMatch(/kappa\s+0\.636/);
    expect(run.stdout).toMatch(/conflicts 1 .*: b/);
    const none = await runCli(['--plain', 'model', 'eval', '--agreement', '--env', 'quiet'], { cwd: dir });
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/quiet: no post has two moderators' labels yet/);
  });

  it('refuses flags that do not go together, saying what to run', async () => {
    const noEnv = await runCli(['model', 'eval', '--agreement'], { cwd: dir });
    expect([noEnv.exitCode, noEnv.stderr]).toEqual([2, expect.stringMatching(/--agreement needs --env <name>/)]);
    const noAgreement = await runCli(['model', 'eval', '--env', 'stage'], { cwd: dir });
    expect([noAgreement.exitCode, noAgreement.stderr]).toEqual([2, expect.stringMatching(/--env goes with --agreement/)]);
    const withModel = await runCli(['model', 'eval', '--agreement', '--env', 'stage', '--held-out'], { cwd: dir });
    expect([withModel.exitCode, withModel.stderr]).toEqual([2, expect.stringMatching(/drop --held-out/)]);
    const unknown = await runCli(['model', 'eval', '--agreement', '--env', 'nope'], { cwd: dir });
    expect(unknown.exitCode).toBe(2);
  });
});
