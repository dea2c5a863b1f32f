// Issue 13's learning loop as one journey through bin/mod.js, on the local
// provider with the REAL service (test/support/real-service-repo.ts) on two
// instances and a fresh schema of this machine's PostgreSQL: posts go to
// review through the endpoint, a moderator (a token from `mod service token
// create`) labels them through the review API, `mod model train --from-db`
// trains a candidate on those labels (the manifest counts them), the
// candidate shadows the live model (nothing released: `mod model shadow`
// pins the deployed bundle's model as live first) and `mod model shadow-report`
// counts the posts it scored, `mod model release` swaps it in and `mod model
// rollback` takes it out, requests running the whole time and none failing;
// `mod status` and `mod history` say so. A second environment that asks a
// second opinion of every review shows two moderators' agreement.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledFile, type LabelledText } from '../../src/moderation/labelled-data.js';
import { REPO_ROOT } from '../support/fixture-app.js';
import { configYaml, createRealServiceRepo, traffic, versionOf, type RealServiceRepo } from '../support/real-service-repo.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

interface ModelRecord {
  schemaVersion: number;
  status: string;
  deploymentId: string;
  kind: string;
  model: { action: string; version: string; gate?: { passed: boolean; rows: unknown[] } };
}
interface GateReport {
  passed: boolean;
  /** The candidate's version. */
  candidate: string;
  baseline: { version: string; source: string };
  rows: { metric: string; category: string | null; worse: boolean; delta: number | null }[];
  error?: { code: string };
}
interface Moderated {
  id: string;
  decision: string;
  modelVersion: string;
}

describe('the learning loop, end to end on the local provider with the real service (issue 13)', () => {
  let repo: RealServiceRepo;
  let db: TestDatabase;
  let pairsDb: TestDatabase;
  let temp: string;
  let endpoint: string;
  let token: string;
  let bundled: string;
  let candidate: string;
  let candidateDir: string;
  /** What the moderator labelled: the posts' texts with the label given (the repository data's). */
  const labelled: LabelledText[] = [];
  const ids: Record<string, string> = {};
  /** Texts the bundled model sent to review. */
  const reviewedTexts: string[] = [];

  const authorised = (bearer: string) => ({ authorization: `Bearer ${bearer}`, 'content-type': 'application/json' });
  async function post<T>(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<T> {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`POST ${url}: HTTP ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
  async function get<T>(url: string, bearer: string): Promise<T> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${bearer}` }, signal: AbortSignal.timeout(20_000) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
  /** A moderator token in the env's database (`mod service token create --env`). */
  async function createToken(name: string, env: string): Promise<string> {
    const run = await repo.json<{ token: string; name: string }>(['service', 'token', 'create', '--name', name, '--env', env]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.body.name).toBe(name);
    return run.body.token;
  }
  /** The label a moderator gives a post whose true label is `truth`: `ok` or its category. */
  const labelOf = (truth: LabelledText) => (truth.label === 'ok' ? 'ok' : (truth.category ?? 'ng'));

  beforeAll(async () => {
    bundled = await versionOf(path.join(REPO_ROOT, 'models', 'default'));
    db = await createTestDatabase('postgres');
    pairsDb = await createTestDatabase('postgres');
    temp = await mkdtemp(path.join(tmpdir(), 'mod-journey-'));
    repo = await createRealServiceRepo(
      configYaml(db.url, {
        // Labels decide at once on stage; on `pairs` every review needs two moderators.
        variables: { REVIEW_SECOND_OPINION_SHARE: 0 },
        more: { pairs: { databaseUrl: pairsDb.url, instances: 1, variables: { REVIEW_SECOND_OPINION_SHARE: 1 } } },
      }),
      'mod-e2e-journey-',
    );
    await repo.git('branch', 'pairs');
    // A small repository data set, no text of which a moderator labels below.
    const csv = ['text,label', ...Array.from({ length: 30 }, (_, i) => `今日は天気がいいですね その${i},ok`), ...Array.from({ length: 30 }, (_, i) => `今すぐ登録で現金プレゼント ${i}番,spam`)];
    await writeFile(path.join(temp, 'small.csv'), `${csv.join('\n')}\n`);
  }, 120_000);

  afterAll(async () => {
    await repo?.dispose(['stage', 'pairs']);
    await db?.drop();
    await pairsDb?.drop();
    if (temp) await rm(temp, { recursive: true, force: true });
  }, 180_000);

  it('deploys stage, and a moderator labels the posts the endpoint sent to review', { timeout: 300_000 }, async () => {
    const deploy = await repo.json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    endpoint = deploy.body.endpoint;
    expect(Object.values(await repo.instanceModels())).toHaveLength(2);
    token = await createToken('alice', 'stage');

    // Labelled posts of the repository's data through the endpoint: some go to review. None is in the check set
    // the model gate judges on (data/ja-check.csv; its normalised texts), which training leaves out.
    const key = (text: string) => text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
    const checkSet = new Set((await readLabelledFile(path.join(REPO_ROOT, 'data', 'ja-check.csv'))).map((e) => key(e.text)));
    const data = [...(await readLabelledFile(path.join(REPO_ROOT, 'data', 'ja', 'ng-more.jsonl'))), ...(await readLabelledFile(path.join(REPO_ROOT, 'data', 'ja', 'ok-lookalikes.jsonl'))).slice(0, 300)];
    const check = data.filter((e) => !checkSet.has(key(e.text)));
    const truth = new Map<string, LabelledText>();
    const reviewed: string[] = [];
    for (let start = 0; start < check.length; start += 100) {
      const items = check.slice(start, start + 100).map((example, i) => ({ id: `data-${start + i}`, text: example.text }));
      items.forEach((item, i) => truth.set(item.id, check[start + i]!));
      const { results } = await post<{ results: Moderated[] }>(`${endpoint}/v1/moderate/batch`, { items });
      for (const result of results) if (result.decision === 'review') reviewed.push(result.id);
      for (const result of results) if (result.decision === 'review') reviewedTexts.push(truth.get(result.id)!.text);
    }
    expect(reviewed.length).toBeGreaterThanOrEqual(24);

    // Claim a few dozen and label each as the data does.
    const { items } = await get<{ items: { id: string; text: string; decision: string; margin: number | null }[] }>(`${endpoint}/v1/reviews?limit=36`, token);
    expect(items.length).toBe(Math.min(36, reviewed.length));
    for (const item of items) {
      expect(reviewed).toContain(item.id);
      const example = truth.get(item.id)!;
      const answer = await post<{ label: string; category: string | null; state: string; secondOpinion: boolean; decidedBy: string }>(`${endpoint}/v1/reviews/${item.id}/decision`, { label: labelOf(example) }, authorised(token));
      expect(answer).toMatchObject({ label: example.label, category: example.label === 'ok' ? null : example.category, state: 'decided', secondOpinion: false, decidedBy: 'alice' });
      labelled.push({ text: item.text, label: example.label, category: example.label === 'ok' ? null : (example.category ?? null) });
    }
    // Varied: ok and several categories.
    expect(new Set(labelled.map(labelOf)).size).toBeGreaterThanOrEqual(3);
  });

  it('mod model train --from-db trains a candidate on the labels, and its manifest counts them', { timeout: 300_000 }, async () => {
    const out = path.join(temp, 'models');
    const train = await repo.mod(['model', 'train', '--from-db', '--env', 'stage', '--out', out, '--name', 'candidate', '--data', path.join(temp, 'small.csv'), '--epochs', '3', '--json']);
    expect(train.exitCode, train.stderr).toBe(0);
    candidateDir = path.join(out, 'candidate');
    const manifest = JSON.parse(await readFile(path.join(candidateDir, 'manifest.json'), 'utf8')) as { version: string; training: { data: string; labels: Record<string, unknown> } };
    candidate = manifest.version;
    expect(candidate).not.toBe(bundled);
    expect(manifest.training.data).toMatch(/\+db:stage$/);
    expect(manifest.training.labels).toMatchObject({ source: 'database', environment: 'stage', count: labelled.length, conflictsExcluded: 0, replacedRepoLabels: 0 });
    expect(manifest.training.labels.fingerprint).toMatch(/^sha256:/);
  });

  it('the candidate shadows the live model (the bundled one, pinned by the shadow), and mod model shadow-report counts the posts it scored', { timeout: 300_000 }, async () => {
    // Nothing is released yet: the shadow pins the deployed bundle's model as the live one first (a release record of its own).
    const shadow = await repo.json<ModelRecord>(['model', 'shadow', '--env', 'stage', '--model', candidateDir]);
    expect(shadow.exitCode, shadow.stderr).toBe(0);
    expect(shadow.body).toMatchObject({ status: 'Succeeded', kind: 'model', model: { action: 'shadow', version: candidate } });
    ids.shadow = shadow.body.deploymentId;
    const history = await repo.json<{ deployments: { deploymentId: string; status: string; kind?: string; model?: { action: string; version: string } }[] }>(['history', '--env', 'stage']);
    const pin = history.body.deployments.find((d) => d.kind === 'model' && d.model?.action === 'release');
    expect(pin).toMatchObject({ status: 'Succeeded', model: { version: bundled } });
    ids.pin = pin!.deploymentId;
    for (const model of Object.values(await repo.instanceModels())) expect(model).toMatchObject({ version: bundled, source: 'released', releaseId: ids.shadow, shadow: candidate });

    const texts = ['今日はいい天気ですね', 'LINE交換しよ！ID教えて', '週末に映画でもどうですか', '副業で月収100万円、詳しくはDMで', 'お疲れさまです', 'JKです、今日会える人'];
    for (let i = 0; i < 18; i++) {
      const answer = await post<Moderated>(`${endpoint}/v1/moderate`, { id: `shadowed-${i}`, text: `${texts[i % texts.length]} ${i}` });
      expect(answer.modelVersion).toBe(bundled); // the shadow never decides
    }
    const report = await repo.json<{ shadowVersion: string; total: number; agreement: { posts: number; decisionAgreement: number | null }; versionsSeen: { version: string; posts: number }[] }>(['model', 'shadow-report', '--env', 'stage']);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(report.body.shadowVersion).toBe(candidate);
    expect(report.body.total).toBe(18);
    expect(report.body.agreement.posts).toBe(18);
    expect(report.body.agreement.decisionAgreement).toBeGreaterThanOrEqual(0);
    expect(report.body.versionsSeen).toEqual([expect.objectContaining({ version: candidate, posts: 18 })]);
  });

  it('mod model release swaps the candidate in under requests, none failing; /healthz and mod status name it per instance', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    const args = ['model', 'release', '--env', 'stage', '--model', candidateDir];
    let release = await repo.json<ModelRecord | GateReport>(args);
    if (release.exitCode === 3) {
      // A candidate trained on 60 repository lines and a few dozen labels may well be worse than the bundled model: the gate says where.
      const gate = release.body as GateReport;
      expect(gate).toMatchObject({ passed: false, candidate, baseline: { version: bundled, source: 'released' }, error: { code: 'GATE_REFUSED' } });
      expect(gate.rows.some((row) => row.worse)).toBe(true);
      release = await repo.json<ModelRecord>([...args, '--override', 'model', '--reason', 'e2e: the tiny candidate on purpose']);
    } else {
      expect((release.body as ModelRecord).model.gate).toMatchObject({ passed: true });
    }
    const seen = await load.stop();
    expect(release.exitCode, release.stderr).toBe(0);
    const record = release.body as ModelRecord;
    expect(record).toMatchObject({ schemaVersion: 1, status: 'Succeeded', kind: 'model', model: { action: 'release', version: candidate } });
    expect(record.model.gate?.rows.length).toBeGreaterThan(0);
    ids.release = record.deploymentId;
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(0);

    for (const model of Object.values(await repo.instanceModels())) expect(model).toMatchObject({ version: candidate, source: 'released', releaseId: ids.release, bundled });
    const status = await repo.json<{ environments: { name: string; model: { live: { version: string } } | null; instances: { id: string; running?: { model?: { version: string } } | null }[] }[] }>(['status', '--env', 'stage']);
    const stage = status.body.environments.find((e) => e.name === 'stage')!;
    expect(stage.model?.live.version).toBe(candidate);
    expect(stage.instances).toHaveLength(2);
    for (const instance of stage.instances) expect(instance.running?.model?.version, instance.id).toBe(candidate);
  });

  it('mod model rollback returns to the previous model under requests, none failing; history lists the model releases', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    const rollback = await repo.json<ModelRecord>(['model', 'rollback', '--env', 'stage']);
    const seen = await load.stop();
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    expect(rollback.body).toMatchObject({ status: 'Succeeded', kind: 'model', model: { action: 'rollback', version: bundled } });
    ids.rollback = rollback.body.deploymentId;
    expect(seen.failed).toEqual([]);
    for (const model of Object.values(await repo.instanceModels())) expect(model).toMatchObject({ version: bundled, source: 'released', releaseId: ids.rollback });
    const after = traffic(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await after.stop();
    expect(answered.failed).toEqual([]);
    expect([...answered.models]).toEqual([bundled]);

    const history = await repo.json<{ deployments: { deploymentId: string; kind?: string; model?: { action: string; version: string } }[] }>(['history', '--env', 'stage']);
    expect(history.exitCode, history.stderr).toBe(0);
    const models = history.body.deployments.filter((d) => d.kind === 'model');
    for (const id of [ids.pin, ids.shadow, ids.release, ids.rollback]) expect(models.map((d) => d.deploymentId)).toContain(id);
    expect(models.find((d) => d.deploymentId === ids.release)?.model).toMatchObject({ action: 'release', version: candidate });
    expect(history.body.deployments.filter((d) => d.kind !== 'model')).toHaveLength(1); // the one code deploy

    // One moderator, no second opinions on stage: no pairs to agree on, and it says so.
    const agreement = await repo.json<{ schemaVersion: number; environment: string; pairs: number; kappa: number | null; conflicts: { count: number } }>(['model', 'eval', '--agreement', '--env', 'stage']);
    expect(agreement.exitCode, agreement.stderr).toBe(0);
    expect(agreement.body).toMatchObject({ schemaVersion: 1, environment: 'stage', pairs: 0, kappa: null, conflicts: { count: 0 } });
  });

  it('with REVIEW_SECOND_OPINION_SHARE=1 every review waits for a second moderator; agreement and conflicts are counted, and training leaves conflicts out', { timeout: 300_000 }, async () => {
    const deploy = await repo.json<{ status: string; endpoint: string }>(['deploy', '--env', 'pairs']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    const pairs = deploy.body.endpoint;
    const ann = await createToken('ann', 'pairs');
    const bob = await createToken('bob', 'pairs');
    // Texts the bundled model (which decides on pairs) sends to review, as it did on stage.
    const texts = reviewedTexts.slice(-5);
    const { results } = await post<{ results: Moderated[] }>(`${pairs}/v1/moderate/batch`, { items: texts.map((text, i) => ({ id: `pair-${i}`, text })) });
    const held = results.filter((r) => r.decision === 'review').map((r) => r.id);
    expect(held).toHaveLength(texts.length);

    // ann labels each first (spam), bob agrees on all but the first.
    const first = await get<{ items: { id: string }[] }>(`${pairs}/v1/reviews?limit=20`, ann);
    expect(first.items.map((i) => i.id).sort()).toEqual([...held].sort());
    for (const { id } of first.items) expect(await post(`${pairs}/v1/reviews/${id}/decision`, { label: 'spam' }, authorised(ann))).toMatchObject({ state: 'pending', secondOpinion: true });
    const second = await get<{ items: { id: string }[] }>(`${pairs}/v1/reviews?limit=20`, bob);
    expect(second.items.map((i) => i.id).sort()).toEqual([...held].sort());
    const conflicted = held[0]!;
    for (const { id } of second.items) {
      const answer = await post<{ state: string; conflict?: boolean }>(`${pairs}/v1/reviews/${id}/decision`, { label: id === conflicted ? 'ok' : 'spam' }, authorised(bob));
      expect(answer.state).toBe('decided');
      expect(answer.conflict ?? false).toBe(id === conflicted);
    }

    const agreement = await repo.json<{ environment: string; pairs: number; agreed: number; observedAgreement: number; conflicts: { count: number; ids: string[] } }>(['model', 'eval', '--agreement', '--env', 'pairs']);
    expect(agreement.exitCode, agreement.stderr).toBe(0);
    expect(agreement.body).toMatchObject({ environment: 'pairs', pairs: held.length, agreed: held.length - 1, conflicts: { count: 1, ids: [conflicted] } });
    expect(agreement.body.observedAgreement).toBeCloseTo((held.length - 1) / held.length, 6);

    const train = await repo.mod(['model', 'train', '--from-db', '--env', 'pairs', '--out', path.join(temp, 'models'), '--name', 'pairs', '--data', path.join(temp, 'small.csv'), '--epochs', '3', '--json']);
    expect(train.exitCode, train.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(temp, 'models', 'pairs', 'manifest.json'), 'utf8')) as { training: { labels: Record<string, unknown> } };
    expect(manifest.training.labels).toMatchObject({ environment: 'pairs', count: held.length - 1, conflictsExcluded: 1 });
  });
});
