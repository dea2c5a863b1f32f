// Issue 13, the service side: a real service on loopback (startService, real
// PostgreSQL) whose MODEL_SOURCE is a pointer file. The released model
// decides over the bundled one, is swapped without a restart and without a
// failed request, a corrupt artifact is refused (the old model keeps
// deciding), a shadow's answer is stored with the post and never returned,
// a canary decides the posts of its buckets, and no pointer is the bundled model.
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryBucket, type ModelPointer, type ModelRef, type ServiceModelState } from '../../src/moderation/model-pointer.js';
import { Moderator } from '../../src/moderation/moderator.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { startService, type RunningService } from '../../src/service/server.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DEFAULT_DIR = path.join(ROOT, 'models', 'default');
const BASELINE_DIR = path.join(ROOT, 'models', 'baseline');

let db: TestDatabase;
let tmp: string;
let pointerFile: string;
let service: RunningService;
let bundled: ModelRef;
let baseline: ModelRef;
let release = 0;

async function refOf(dir: string): Promise<ModelRef> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { version: string; checksum: { value: string } };
  return { version: manifest.version, checksum: manifest.checksum.value, location: dir };
}

/** Writes the pointer as mod does: a new file renamed over the old one. */
async function writePointer(parts: Pick<ModelPointer, 'live' | 'shadow' | 'canary'>, file = pointerFile): Promise<string> {
  const releaseId = `m-20261202T000000Z-${String(++release).padStart(6, '0')}`;
  const pointer: ModelPointer = { schemaVersion: 1, environment: 'test', releaseId, updatedAt: new Date().toISOString(), ...parts };
  await writeFile(`${file}.tmp`, JSON.stringify(pointer));
  await rename(`${file}.tmp`, file);
  return releaseId;
}

const healthz = async (): Promise<ServiceModelState> => ((await (await fetch(`${service.url}/healthz`)).json()) as { model: ServiceModelState }).model;
const metrics = async (): Promise<string> => (await fetch(`${service.url}/metrics`)).text();

/** Waits (polling /healthz) until the process holds what `done` wants; fails with the last state after 20 s. */
async function until(done: (state: ServiceModelState) => boolean): Promise<ServiceModelState> {
  let state = await healthz();
  for (let i = 0; !done(state); i++) {
    if (i > 400) throw new Error(`the service never got there: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 50));
    state = await healthz();
  }
  return state;
}

const moderate = (body: object) => fetch(`${service.url}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function config(extra: Record<string, string> = {}) {
  return parseServiceConfig({ DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', MODEL_SOURCE: `file:${pointerFile}`, MODEL_POLL_MS: '100', MAX_TEXT_LENGTH: '1000', ...extra }, tmp);
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-model-swap-'));
  pointerFile = path.join(tmp, 'pointer.json');
  bundled = await refOf(DEFAULT_DIR);
  baseline = await refOf(BASELINE_DIR);
  expect(bundled.version).not.toBe(baseline.version);
  // Released before the start: it decides from the first request.
  await writePointer({ live: baseline });
  service = await startService(config(), { migrate: true });
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
  await rm(tmp, { recursive: true, force: true });
});

describe('the released model (issue 13)', () => {
  it('decides from the first request when released before the start, and says so in /healthz, x-mod-model and /metrics', async () => {
    const answer = await moderate({ text: 'see you at the station at 7', id: 'first-1' });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { modelVersion: string }).modelVersion).toBe(baseline.version);
    expect(answer.headers.get('x-mod-model')).toBe(baseline.version);
    expect(await healthz()).toMatchObject({ version: baseline.version, source: 'released', releaseId: expect.stringMatching(/^m-/), bundled: bundled.version, shadow: null, canary: null });
    const text = await metrics();
    expect(text).toContain(`mod_model_info{version="${baseline.version}",role="live",source="released"} 1`);
    expect(text).not.toContain(`mod_model_info{version="${bundled.version}"`);
    // /readyz's model check stays the live version.
    expect(((await (await fetch(`${service.url}/readyz`)).json()) as { checks: { model: string } }).checks.model).toBe(baseline.version);
  });

  it('swaps between two real models while requests run, without a failed request', async () => {
    let stop = false;
    const statuses: number[] = [];
    const versions = new Set<string>();
    let n = 0;
    const client = async () => {
      while (!stop) {
        const response = await moderate({ text: `loop post ${n++}: meet me at the station`, kind: 'message' });
        statuses.push(response.status);
        const body = (await response.json()) as { modelVersion?: string };
        if (body.modelVersion) versions.add(body.modelVersion);
        if (response.headers.get('x-mod-model') !== body.modelVersion) statuses.push(-1);
      }
    };
    const clients = [client(), client(), client()];
    const swapsBefore = Number(/mod_model_swaps_total (\d+)/.exec(await metrics())![1]);
    try {
      for (const next of [bundled, baseline, bundled]) {
        const releaseId = await writePointer({ live: next });
        await until((s) => s.releaseId === releaseId);
        const seen = statuses.length;
        while (statuses.length < seen + 20) await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect([...versions].sort()).toEqual([bundled.version, baseline.version].sort());
    const state = await healthz();
    expect(state).toMatchObject({ version: bundled.version, source: 'released' });
    expect(state.error).toBeUndefined();
    const text = await metrics();
    expect(text).toContain(`mod_model_info{version="${bundled.version}",role="live",source="released"} 1`);
    expect(text).not.toContain(`mod_model_info{version="${baseline.version}"`);
    expect(Number(/mod_model_swaps_total (\d+)/.exec(text)![1])).toBe(swapsBefore + 3);
    // Each post is stored with the version that decided it.
    const stored = await db.admin(`SELECT DISTINCT model_version FROM posts WHERE text LIKE 'loop post %'`);
    expect(stored.rows.map((r: { model_version: string }) => r.model_version).sort()).toEqual([bundled.version, baseline.version].sort());
  });

  it('refuses a corrupt artifact: keeps deciding with the model it has, /healthz says why, the failure is counted', async () => {
    const live = (await until((s) => s.error === undefined)).version;
    const corrupt = path.join(tmp, 'corrupt');
    await cp(BASELINE_DIR, corrupt, { recursive: true });
    const weights = path.join(corrupt, 'weights.f32.gz');
    const bytes = await readFile(weights);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(weights, bytes);
    const failuresBefore = Number(/mod_model_load_failures_total (\d+)/.exec(await metrics())![1]);

    const releaseId = await writePointer({ live: { ...baseline, location: corrupt } });
    const state = await until((s) => s.error?.releaseId === releaseId);
    expect(state.version).toBe(live);
    expect(state.error!.message).toContain(releaseId);
    const answer = await moderate({ text: 'still answered', id: 'corrupt-1' });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { modelVersion: string }).modelVersion).toBe(live);
    expect(Number(/mod_model_load_failures_total (\d+)/.exec(await metrics())![1])).toBeGreaterThan(failuresBefore);

    // A pointer whose checksum is not the artifact's is refused the same way.
    const wrongSum = await writePointer({ live: { ...baseline, checksum: '0'.repeat(64) } });
    expect((await until((s) => s.error?.releaseId === wrongSum)).error!.message).toMatch(/checksum/);
    expect((await healthz()).version).toBe(live);

    // A good pointer after them clears the error.
    const good = await writePointer({ live: baseline });
    expect(await until((s) => s.releaseId === good)).toMatchObject({ version: baseline.version });
    expect((await healthz()).error).toBeUndefined();

    // A failed release restores the pointer it replaced, verbatim (same release id): the error is over too.
    const restored = await readFile(pointerFile, 'utf8');
    const bad = await writePointer({ live: { ...baseline, location: corrupt } });
    expect((await until((s) => s.error?.releaseId === bad)).releaseId).toBe(good);
    await writeFile(`${pointerFile}.tmp`, restored);
    await rename(`${pointerFile}.tmp`, pointerFile);
    expect(await until((s) => s.error === undefined)).toMatchObject({ releaseId: good, version: baseline.version });
  });

  it('scores every new post with the shadow and stores its answer with the post, the answer unchanged', async () => {
    const releaseId = await writePointer({ live: baseline, shadow: bundled });
    expect(await until((s) => s.releaseId === releaseId)).toMatchObject({ version: baseline.version, shadow: bundled.version });
    const alone = await Moderator.load(BASELINE_DIR, { maxTextLength: 1000 });
    const shadowAlone = await Moderator.load(DEFAULT_DIR, { maxTextLength: 1000 });
    const texts = ['see you at the station at 7', 'send 5000 yen by bank transfer first, then I ship', 'invest with me, 30% a month guaranteed, line id abc123'];
    for (const [i, text] of texts.entries()) {
      const id = `shadow-${i}`;
      const response = await moderate({ text, id });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      const { decision, category, categories, score, reasons, modelVersion } = alone.moderate({ text, id });
      expect(body).toEqual({ id, decision, category, categories, score, reasons, modelVersion });
      expect(JSON.stringify(body)).not.toContain(bundled.version);
      expect(response.headers.get('x-mod-model')).toBe(baseline.version);
    }
    const rows = (await db.admin(`SELECT id, model_version, shadow_model_version, shadow_decision, shadow_category, shadow_score FROM posts WHERE id LIKE 'shadow-%' ORDER BY id`)).rows;
    expect(rows).toEqual(
      texts.map((text, i) => {
        const expected = shadowAlone.moderate({ text });
        return { id: `shadow-${i}`, model_version: baseline.version, shadow_model_version: bundled.version, shadow_decision: expected.decision, shadow_category: expected.category, shadow_score: expected.score };
      }),
    );
    const text = await metrics();
    expect(text).toContain(`mod_model_info{version="${bundled.version}",role="shadow",source="released"} 1`);
    const scored = [...text.matchAll(/mod_shadow_scored_total\{agreement="(?:agree|disagree)"\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(scored).toBe(texts.length);
  });

  it('lets the canary decide the posts whose bucket is below its weight, the same way for a retried id', async () => {
    const releaseId = await writePointer({ live: baseline, canary: { ...bundled, weight: 30 } });
    expect(await until((s) => s.releaseId === releaseId)).toMatchObject({ version: baseline.version, shadow: null, canary: { version: bundled.version, weight: 30 } });
    const ids = Array.from({ length: 60 }, (_, i) => `canary-${i}`);
    const expected = (id: string) => (canaryBucket(id) < 30 ? bundled.version : baseline.version);
    expect(new Set(ids.map(expected)).size).toBe(2);
    for (const id of ids) {
      const response = await moderate({ text: `hello from ${id}`, id });
      expect(((await response.json()) as { modelVersion: string }).modelVersion).toBe(expected(id));
      expect(response.headers.get('x-mod-model')).toBe(expected(id));
    }
    const again = await moderate({ text: 'hello from canary-0', id: 'canary-0' });
    expect(again.headers.get('x-mod-model')).toBe(expected('canary-0'));
    // A batch: the header names the live model; each item its deciding model.
    const batch = await fetch(`${service.url}/v1/moderate/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: ids.slice(0, 10).map((id) => ({ id: `b-${id}`, text: `batch ${id}` })) }) });
    expect(batch.headers.get('x-mod-model')).toBe(baseline.version);
    const { results } = (await batch.json()) as { results: { id: string; modelVersion: string }[] };
    expect(results.map((r) => r.modelVersion)).toEqual(ids.slice(0, 10).map((id) => expected(`b-${id}`)));
    expect(await metrics()).toContain(`mod_model_info{version="${bundled.version}",role="canary",source="released"} 1`);
  });

  it('does not shadow-score the posts the shadow model decided itself (a model canary whose candidate is also the shadow)', async () => {
    const releaseId = await writePointer({ live: baseline, shadow: bundled, canary: { ...bundled, weight: 30 } });
    expect(await until((s) => s.releaseId === releaseId)).toMatchObject({ version: baseline.version, shadow: bundled.version, canary: { version: bundled.version, weight: 30 } });
    const ids = Array.from({ length: 40 }, (_, i) => `self-${i}`);
    const byCanary = (id: string) => canaryBucket(id) < 30;
    expect(new Set(ids.map(byCanary)).size).toBe(2);
    for (const id of ids) expect((await moderate({ text: `self comparison ${id}`, id })).status).toBe(200);
    const batch = await fetch(`${service.url}/v1/moderate/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: ids.slice(0, 10).map((id) => ({ id: `b-${id}`, text: `batch ${id}` })) }) });
    expect(batch.status).toBe(200);
    const rows = (await db.admin(`SELECT id, model_version, shadow_model_version FROM posts WHERE id LIKE 'self-%' OR id LIKE 'b-self-%'`)).rows as { id: string; model_version: string; shadow_model_version: string | null }[];
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      // The canary's posts: decided by the shadow model, so no shadow score; the live model's: scored by the shadow.
      if (byCanary(row.id)) expect(row, row.id).toMatchObject({ model_version: bundled.version, shadow_model_version: null });
      else expect(row, row.id).toMatchObject({ model_version: baseline.version, shadow_model_version: bundled.version });
    }
  });

  it('goes back to the bundled model when the pointer is removed', async () => {
    await rm(pointerFile);
    expect(await until((s) => s.source === 'bundled')).toMatchObject({ version: bundled.version, releaseId: null, shadow: null, canary: null, bundled: bundled.version });
    const text = await metrics();
    expect(text).toContain(`mod_model_info{version="${bundled.version}",role="live",source="bundled"} 1`);
    expect(text).not.toMatch(/role="(shadow|canary)"/);
    const answer = await moderate({ text: 'back to the bundle', id: 'bundled-1' });
    expect(answer.headers.get('x-mod-model')).toBe(bundled.version);
  });
});

describe('a pointer that cannot be loaded at the start (issue 13)', () => {
  it('starts with the bundled model and records the error, never refusing to start', async () => {
    const badPointer = path.join(tmp, 'bad-pointer.json');
    await writeFile(badPointer, '{"schemaVersion": 1, "live": ');
    const other = await startService(config({ MODEL_SOURCE: `file:${badPointer}` }), { migrate: false });
    try {
      const state = ((await (await fetch(`${other.url}/healthz`)).json()) as { model: ServiceModelState }).model;
      expect(state).toMatchObject({ version: bundled.version, source: 'bundled', releaseId: null });
      expect(state.error?.message).toContain('not JSON');
      const answer = await fetch(`${other.url}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi', id: 'bad-start-1' }) });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-mod-model')).toBe(bundled.version);
      expect(await (await fetch(`${other.url}/metrics`)).text()).toContain('mod_model_load_failures_total 1');
    } finally {
      await other.close();
    }
  });
});
