// Service events (issue 15) from a real service on loopback (startService,
// real PostgreSQL): one 'start' row naming MOD_INSTANCE_ID, the revision and
// the live model (the released one when a pointer names it before the
// start); one 'model-swap' row per swap, none per request; <hostname>:<port>
// without MOD_INSTANCE_ID; GET /v1/stats lists them and the model change; a
// database without migration 0006 starts the service anyway, with a
// warning.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelPointer, ModelRef } from '../../src/moderation/model-pointer.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { startService, type RunningService } from '../../src/service/server.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

let db: TestDatabase;
let tmp: string;
let pointerFile: string;
let release = 0;
const running: RunningService[] = [];

async function refOf(dir: string): Promise<ModelRef> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { version: string; checksum: { value: string } };
  return { version: manifest.version, checksum: manifest.checksum.value, location: dir };
}

async function writePointer(live: ModelRef): Promise<string> {
  const releaseId = `m-20261202T000000Z-${String(++release).padStart(6, '0')}`;
  const pointer: ModelPointer = { schemaVersion: 1, environment: 'test', releaseId, updatedAt: new Date().toISOString(), live };
  await writeFile(`${pointerFile}.tmp`, JSON.stringify(pointer));
  await rename(`${pointerFile}.tmp`, pointerFile);
  return releaseId;
}

async function start(env: Record<string, string>, options: { migrate: boolean; revision?: { commit: string | null }; logStream?: { write(line: string): void } }): Promise<RunningService> {
  const config = parseServiceConfig({ DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', MODEL_POLL_MS: '100', MAX_TEXT_LENGTH: '1000', ...env }, tmp);
  const service = await startService(config, { logStream: { write: () => undefined }, ...options });
  running.push(service);
  return service;
}

type EventRow = { instance: string; revision: string | null; model_version: string; release_id: string | null; event: string };
const events = async (): Promise<EventRow[]> => (await db.admin('SELECT instance, revision, model_version, release_id, event FROM service_events ORDER BY at, id')).rows as EventRow[];

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let value = await read();
  for (let i = 0; !done(value); i++) {
    if (i > 400) throw new Error(`${what} never happened: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-service-events-'));
  pointerFile = path.join(tmp, 'pointer.json');
});
afterAll(async () => {
  for (const service of running) await service.close();
  await db?.drop();
  await rm(tmp, { recursive: true, force: true });
});

describe('service events (issue 15)', () => {
  it('records the start with the instance, revision and released model, each model swap once, and nothing per request', async () => {
    const baseline = await refOf(path.join(ROOT, 'models', 'baseline'));
    const bundled = await refOf(path.join(ROOT, 'models', 'default'));
    const first = await writePointer(baseline);
    const service = await start({ MODEL_SOURCE: `file:${pointerFile}`, MOD_INSTANCE_ID: 'local-i-1' }, { migrate: true, revision: { commit: 'c0ffee1' } });
    expect(await until(events, (r) => r.length >= 1, 'the start event')).toEqual([{ instance: 'local-i-1', revision: 'c0ffee1', model_version: baseline.version, release_id: first, event: 'start' }]);

    for (let i = 0; i < 5; i++) expect((await fetch(`${service.url}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `post ${i}` }) })).status).toBe(200);
    expect(await events()).toHaveLength(1);

    const second = await writePointer(bundled);
    const rows = await until(events, (r) => r.length >= 2, 'the model-swap event');
    expect(rows[1]).toEqual({ instance: 'local-i-1', revision: 'c0ffee1', model_version: bundled.version, release_id: second, event: 'model-swap' });

    // GET /v1/stats shows both and the model change.
    const token = generateToken();
    await service.database.store.saveModeratorToken('support-1', hashToken(token), new Date());
    const res = await fetch(`${service.url}/v1/stats?hours=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { timeline: { instance: string; model: string; event: string; revision: string }[]; changes: { kind: string; from: string; to: string }[] };
    expect(body.timeline.map((e) => [e.instance, e.revision, e.model, e.event])).toEqual([
      ['local-i-1', 'c0ffee1', baseline.version, 'start'],
      ['local-i-1', 'c0ffee1', bundled.version, 'model-swap'],
    ]);
    expect(body.changes.map((c) => [c.kind, c.from, c.to])).toEqual([['model', baseline.version, bundled.version]]);
    await service.close();
  });

  it('names the instance <hostname>:<port> without MOD_INSTANCE_ID, with no revision when it knows none', async () => {
    await db.admin('TRUNCATE service_events');
    const service = await start({}, { migrate: false });
    const port = new URL(service.url).port;
    const [row] = await until(events, (r) => r.length >= 1, 'the start event');
    expect(row).toMatchObject({ instance: `${os.hostname()}:${port}`, revision: null, event: 'start', release_id: null });
    await service.close();
  });

  it('starts on a database without migration 0006, logging that the event was not recorded', async () => {
    await db.admin('DROP TABLE service_events');
    const lines: string[] = [];
    const service = await start({ MOD_INSTANCE_ID: 'old-schema' }, { migrate: false, logStream: { write: (line) => void lines.push(line) } });
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(lines.join('')).toMatch(/service event not recorded/);
    await service.close();
  });
});
