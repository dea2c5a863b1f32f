// Issue 13 through bin/mod.js: `mod model train --from-db` trains on a small
// repository data set merged with the moderators' labels of an environment's
// real PostgreSQL database (a moderator's label beats the repository's, the
// latest moderator's wins, conflicting reviews and texts of the model gate's
// check set are left out), and records them in the manifest; `mod model
// shadow-report` reads the shadow scores recordPosts stored (numbers, example
// ids, texts only with --show-text; the posts the shadow decided itself left
// out), and names the env's active shadow (its pointer) when it has scored
// nothing yet.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFile, type LabelledText } from '../../src/moderation/labelled-data.js';
import type { NewPost } from '../../src/moderation/post-records.js';
import type { Decision } from '../../src/moderation/thresholds.js';
import { labelsFingerprint } from '../../src/moderation/training-labels.js';
import { createTestStore } from '../store/test-database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mod.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let labelled: Awaited<ReturnType<typeof createTestStore>>;
let empty: Awaited<ReturnType<typeof createTestStore>>;

function mod(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function git(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd: dir }, (error) => (error ? reject(error) : resolve())));
}

const repoOk = (i: number) => `今日は天気がいいですね その${i}`;
const repoNg = (i: number) => `今すぐ登録で現金プレゼント ${i}番`;
const hourAgo = new Date(Date.now() - 3_600_000);
const minute = (m: number) => new Date(hourAgo.getTime() + m * 60_000);

function reviewPost(id: string, text: string): NewPost {
  return { id, kind: null, userId: null, text, decision: 'review', category: 'spam', categories: [], score: 0.5, reasons: [], modelVersion: 'live-1' };
}

function shadowed(id: string, live: [Decision, string | null], shadow: [Decision, string | null]): NewPost {
  return {
    id,
    kind: null,
    userId: null,
    text: `shadowed text ${id}`,
    decision: live[0],
    category: live[1] as NewPost['category'],
    categories: [],
    score: 0.5,
    reasons: [],
    modelVersion: 'live-1',
    shadow: { modelVersion: 'cand-7', decision: shadow[0], category: shadow[1], score: 0.3 },
  };
}

/** What the moderators' labels below train as (one per text: the latest decision; conflicts left out). */
const expectedLabels: LabelledText[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-learning-'));
  labelled = await createTestStore('postgres');
  empty = await createTestStore('postgres');
  await git('init', '-q');
  await writeFile(
    path.join(dir, 'mod.config.yml'),
    [
      'app: learning-loop',
      'environments:',
      '  stage:',
      '    branch: stage',
      `    databaseUrl: "${labelled.db.url}"`,
      '  quiet:',
      '    branch: quiet',
      `    databaseUrl: "${empty.db.url}"`,
      '  nodb:',
      '    branch: nodb',
      '  gone:',
      '    branch: gone',
      '    databaseUrl: "postgres://postgres@127.0.0.1:9/none"',
      '',
    ].join('\n'),
  );
  const csv = ['text,label', ...Array.from({ length: 30 }, (_, i) => `${repoOk(i)},ok`), ...Array.from({ length: 30 }, (_, i) => `${repoNg(i)},spam`)];
  await writeFile(path.join(dir, 'small.csv'), `${csv.join('\n')}\n`);

  // A few dozen moderators' labels (decided reviews), two conflicts and two pending.
  const s = labelled.store;
  const decide = (id: string, label: string, category: string | null, at: Date, by: string, conflict = false) =>
    labelled.db.admin(`UPDATE reviews SET state = 'decided', label = $2, category = $3, decided_by = $4, decided_at = $5, conflict = $6 WHERE post_id = $1`, [id, label, category, by, at, conflict]);
  const posts: NewPost[] = [];
  for (let i = 0; i < 12; i++) posts.push(reviewPost(`ng-${i}`, `LINEのIDはabc${i}です`), reviewPost(`ok-${i}`, `趣味は映画鑑賞です ${i}`));
  // Texts the repository labels ok, written with a doubled space (the same normalised text): moderators say spam.
  for (let i = 0; i < 4; i++) posts.push(reviewPost(`relabel-${i}`, repoOk(i).replace(' ', '  ')));
  for (let i = 0; i < 2; i++) posts.push(reviewPost(`agree-${i}`, repoNg(i)));
  posts.push(reviewPost('twice-a', 'また会いましょう！'), reviewPost('twice-b', 'また会いましょう!'));
  posts.push(reviewPost('conflict-0', '高収入のお仕事あります'), reviewPost('conflict-1', '副業で月収100万'));
  posts.push(reviewPost('pending-0', 'まだ誰も見ていない'), reviewPost('pending-1', 'これも未決'));
  // Two posts whose texts are in data/ja-check.csv, the check set the model gate judges on: never trained on.
  const check = (await readLabelledFile(path.join(root, 'data', 'ja-check.csv'))).slice(0, 2);
  check.forEach((example, i) => posts.push(reviewPost(`check-${i}`, example.text)));
  await s.recordPosts(posts, hourAgo);
  for (let i = 0; i < 12; i++) {
    await decide(`ng-${i}`, 'ng', 'contact', minute(i), 'ann');
    await decide(`ok-${i}`, 'ok', null, minute(i), 'bob');
    expectedLabels.push({ text: `LINEのIDはabc${i}です`, label: 'ng', category: 'contact' }, { text: `趣味は映画鑑賞です ${i}`, label: 'ok', category: null });
  }
  for (let i = 0; i < 4; i++) {
    await decide(`relabel-${i}`, 'ng', 'spam', minute(20), 'ann');
    expectedLabels.push({ text: repoOk(i), label: 'ng', category: 'spam' });
  }
  for (let i = 0; i < 2; i++) {
    await decide(`agree-${i}`, 'ng', 'spam', minute(21), 'bob');
    expectedLabels.push({ text: repoNg(i), label: 'ng', category: 'spam' });
  }
  await decide('twice-a', 'ok', null, minute(22), 'ann');
  await decide('twice-b', 'ng', 'solicitation', minute(30), 'bob');
  expectedLabels.push({ text: 'また会いましょう!', label: 'ng', category: 'solicitation' });
  await decide('conflict-0', 'ng', 'scam', minute(31), 'cy', true);
  await decide('conflict-1', 'ok', null, minute(32), 'cy', true);
  for (const [i, example] of check.entries()) await decide(`check-${i}`, example.label, example.category ?? null, minute(33 + i), 'ann');

  // Shadow scores: 3 agree, 2 approve -> review (spam), 1 reject with another category; one post of another shadow model long ago.
  await s.recordPosts([shadowed('s-1', ['approve', null], ['approve', null]), shadowed('s-2', ['approve', null], ['approve', null])], minute(40));
  await s.recordPosts([shadowed('s-3', ['approve', null], ['review', 'spam'])], minute(41));
  await s.recordPosts([shadowed('s-4', ['approve', null], ['review', 'spam']), shadowed('s-5', ['reject', 'contact'], ['reject', 'scam'])], minute(42));
  await s.recordPosts([shadowed('s-6', ['reject', 'contact'], ['reject', 'contact'])], minute(43));
  // Decided by cand-7 itself (a model canary whose candidate was also the shadow, stored by an older service): never counted.
  await s.recordPosts([{ ...shadowed('s-self', ['approve', null], ['reject', 'spam']), modelVersion: 'cand-7' }], minute(43));
  await s.recordPosts([{ ...shadowed('s-old', ['approve', null], ['reject', 'spam']), shadow: { modelVersion: 'cand-1', decision: 'reject', category: 'spam', score: 0.9 } }], new Date(Date.now() - 30 * 86_400_000));
});
afterAll(async () => {
  await labelled?.close();
  await empty?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mod model train --from-db', () => {
  it("trains on the repository data merged with the env's labels and records them in the manifest", async () => {
    const run = await mod(['--json', 'model', 'train', '--from-db', '--env', 'stage', '--data', 'small.csv', '--out', 'models', '--name', 'candidate', '--epochs', '3', '--bits', '12']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const labels = {
      source: 'database',
      environment: 'stage',
      count: 31,
      from: minute(0).toISOString(),
      to: minute(30).toISOString(),
      fingerprint: labelsFingerprint(expectedLabels),
      conflictsExcluded: 2,
      checkSetExcluded: 2,
      replacedRepoLabels: 4,
    };
    expect(result.training).toMatchObject({ data: 'small.csv+db:stage', labels });
    // 60 repository texts + 24 new + 1 new (twice) = 85 unique; the 2 agreeing copies and the relabelled four are not counted twice.
    expect(result.training.examples).toBe(85);
    expect(result.training.ng).toBe(30 + 12 + 4 + 1);
    const manifest = JSON.parse(await readFile(path.join(dir, 'models', 'candidate', 'manifest.json'), 'utf8'));
    expect(manifest.training.labels).toEqual(labels);
    // The artifact loads (the checksum covers the labels record).
    const evaluated = await mod(['--json', 'model', 'eval', '--model', 'models/candidate', '--data', 'small.csv']);
    expect(evaluated.code).toBe(0);
  });

  it('the text report has a labels line', async () => {
    const run = await mod(['model', 'train', '--from-db', '--env', 'stage', '--data', 'small.csv', '--out', 'models', '--name', 'text', '--epochs', '2', '--bits', '12']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/data {10}small\.csv\+db:stage: 85 unique examples/);
    expect(run.stdout).toMatch(/labels {8}31 from the database of stage decided .*; 2 conflicting left out, 2 of check-set texts left out \(the model gate judges on those\), 4 repository labels replaced \(sha256:[0-9a-f]{64}\)/);
    expect(run.stderr).toMatch(/2 moderators' labels of stage left out: their texts are in data\/ja-check\.csv, the check set the model gate judges on/);
  });

  it('a checksum edit of the labels record is refused', async () => {
    const file = path.join(dir, 'models', 'candidate', 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    manifest.training.labels.count = 99;
    await writeFile(file, JSON.stringify(manifest));
    const run = await mod(['model', 'eval', '--model', 'models/candidate', '--data', 'small.csv']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/checksum mismatch/);
  });

  it('refuses without --data (no --from-db), without --env, with no known or no reachable database', async () => {
    const noData = await mod(['model', 'train', '--out', 'models']);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toMatch(/--data is required/);
    const noEnv = await mod(['model', 'train', '--from-db', '--out', 'models']);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toMatch(/--from-db needs --env/);
    const nodb = await mod(['model', 'train', '--from-db', '--env', 'nodb', '--data', 'small.csv', '--out', 'models']);
    expect(nodb.code).toBe(2);
    expect(nodb.stderr).toMatch(/no database is known for nodb/);
    expect(nodb.stderr).toMatch(/mod deploy --env nodb.*databaseUrl/s);
    const gone = await mod(['--json', 'model', 'train', '--from-db', '--env', 'gone', '--data', 'small.csv', '--out', 'models']);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout).error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
  });
});

describe('mod model shadow-report', () => {
  it('--json: the newest shadow version since 7 days, agreement, the table, categories and example ids (no texts)', async () => {
    const run = await mod(['--json', 'model', 'shadow-report', '--env', 'stage']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      schemaVersion: 1,
      environment: 'stage',
      shadowVersion: 'cand-7',
      liveVersions: ['live-1'],
      total: 6,
      agreement: { posts: 6, sameDecision: 4, sameDecisionAndCategory: 3, decisionAgreement: 4 / 6, fullAgreement: 3 / 6 },
      matrix: { approve: { approve: 2, review: 2, reject: 0 }, review: { approve: 0, review: 0, reject: 0 }, reject: { approve: 0, review: 0, reject: 2 } },
    });
    expect(report.versionsSeen.map((v: { version: string }) => v.version)).toEqual(['cand-7']);
    expect(report.byLiveCategory.contact).toMatchObject({ posts: 2, sameDecision: 2, sameDecisionAndCategory: 1 });
    expect(report.byShadowCategory.spam).toMatchObject({ posts: 2, sameDecision: 0 });
    expect(report.disagreements).toEqual([
      { live: 'approve', shadow: 'review', posts: 2, examples: [{ postId: 's-4' }, { postId: 's-3' }] },
      { live: 'reject', shadow: 'reject', liveCategory: 'contact', shadowCategory: 'scam', posts: 1, examples: [{ postId: 's-5' }] },
    ]);
    expect(run.stdout).not.toMatch(/shadowed text/);
  });

  it('--examples, --since and --model choose what is read; --show-text adds the texts', async () => {
    const one = JSON.parse((await mod(['--json', 'model', 'shadow-report', '--env', 'stage', '--examples', '1', '--show-text'])).stdout);
    expect(one.disagreements[0].examples).toEqual([{ postId: 's-4', text: 'shadowed text s-4' }]);
    const old = JSON.parse((await mod(['--json', 'model', 'shadow-report', '--env', 'stage', '--since', '60d', '--model', 'cand-1'])).stdout);
    expect(old).toMatchObject({ shadowVersion: 'cand-1', total: 1, matrix: { approve: { reject: 1 } } });
    // Every post was recorded before this test began: a second ago reads none.
    const later = JSON.parse((await mod(['--json', 'model', 'shadow-report', '--env', 'stage', '--since', new Date(Date.now() - 1000).toISOString()])).stdout);
    expect(later).toMatchObject({ shadowVersion: null, total: 0, disagreements: [] });
    const future = await mod(['--json', 'model', 'shadow-report', '--env', 'stage', '--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(future.code).toBe(2);
    expect(JSON.parse(future.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/is in the future/) });
  });

  it('the text report: the table and example ids; texts only with --show-text', async () => {
    const plain = await mod(['model', 'shadow-report', '--env', 'stage']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/shadow model cand-7 next to live live-1, 6 posts since/);
    expect(plain.stdout).toMatch(/same decision 66\.7% \(4\), same decision and category 50\.0% \(3\)/);
    expect(plain.stdout).toMatch(/live approve \/ shadow review: 2 posts\n\s+s-4, s-3/);
    expect(plain.stdout).not.toMatch(/shadowed text/);
    const shown = await mod(['model', 'shadow-report', '--env', 'stage', '--show-text']);
    expect(shown.stdout).toMatch(/s-4 {2}shadowed text s-4/);
  });

  it('nothing shadowed: exit 0, zero counts, and how to start a shadow', async () => {
    const json = await mod(['--json', 'model', 'shadow-report', '--env', 'quiet']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ shadowVersion: null, total: 0, agreement: { posts: 0, decisionAgreement: null }, disagreements: [] });
    const text = await mod(['model', 'shadow-report', '--env', 'quiet']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/no post was scored by a shadow model since/);
    expect(text.stdout).toMatch(/mod model shadow --env quiet --model <dir>/);
  });

  it("an active shadow that has scored nothing yet is named (the env's pointer); a --model that never shadowed scored nothing", async () => {
    const pointerFile = path.join(dir, '.mod', 'envs', 'quiet', 'models', 'pointer.json');
    await mkdir(path.dirname(pointerFile), { recursive: true });
    const ref = (version: string) => ({ version, checksum: 'a'.repeat(64), location: path.join(dir, 'models', version) });
    await writeFile(pointerFile, JSON.stringify({ schemaVersion: 1, environment: 'quiet', releaseId: 'm-20261202T070716Z-3r7679', updatedAt: new Date().toISOString(), live: ref('live-9'), shadow: ref('cand-9') }));
    try {
      const json = await mod(['--json', 'model', 'shadow-report', '--env', 'quiet']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ shadowVersion: 'cand-9', activeShadow: { version: 'cand-9', releaseId: 'm-20261202T070716Z-3r7679' }, total: 0 });
      const text = await mod(['model', 'shadow-report', '--env', 'quiet']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/quiet: shadow model cand-9 is active \(release m-20261202T070716Z-3r7679\), but no post has been scored by it since .*: none has arrived yet/);
      expect(text.stdout).not.toMatch(/to start one/);
      const never = await mod(['model', 'shadow-report', '--env', 'quiet', '--model', 'never-1']);
      expect(never.code).toBe(0);
      expect(never.stdout).toMatch(/quiet: model never-1 scored no posts as a shadow since/);
      expect(never.stdout).toMatch(/the active shadow is cand-9 \(release m-20261202T070716Z-3r7679\)/);
    } finally {
      await rm(pointerFile, { force: true });
    }
    // No active shadow (stage has no pointer): the version asked for scored nothing, and how to shadow it.
    const none = await mod(['model', 'shadow-report', '--env', 'stage', '--model', 'never-1']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/stage: model never-1 scored no posts as a shadow since .* \(shadow models seen since then: cand-7 6 posts\)/);
    expect(none.stdout).toMatch(/to shadow it: mod model shadow --env stage --model <its artifact dir>/);
    expect(JSON.parse((await mod(['--json', 'model', 'shadow-report', '--env', 'stage'])).stdout).activeShadow).toBeNull();
  });

  it('refuses a bad --since', async () => {
    const run = await mod(['model', 'shadow-report', '--env', 'stage', '--since', 'yesterday']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--since must be an ISO 8601 time or a duration/);
  });
});
