// The promise behind a 200: under load, with the service's connections
// killed (pg_terminate_backend) and then the server stopped, every post that
// got a 200 is in the database afterwards, every other request got a 503
// with Retry-After, /readyz fails while the database is down, and the
// service recovers by itself when it returns. Runs on a throwaway cluster.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { loadMigrations, migrate } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

let cluster: ThrowawayPostgres;
let store: PostgresStore;
let app: ReturnType<typeof buildApp>;

beforeAll(async () => {
  cluster = await startThrowawayPostgres();
  const migrations = await loadMigrations();
  store = PostgresStore.open({ url: cluster.url, migrations, max: 4, connectionTimeoutMs: 1000 });
  await migrate(store.pool, migrations);
  app = buildApp({ store, moderator: await loadModerator(), retryAfterSeconds: 1, readinessTimeoutMs: 1000 });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  await cluster?.destroy();
});

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('never loses an acknowledged post when connections die and the server stops under load', async () => {
  const outcomes: { id: string; status: number; retryAfter: string | undefined; code?: string }[] = [];
  let running = true;
  let n = 0;
  const ok = () => outcomes.filter((o) => o.status === 200).length;
  const unavailable = () => outcomes.filter((o) => o.status === 503).length;
  const worker = async () => {
    while (running) {
      const id = `f-${n++}`;
      const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id, text: `post number ${id}` } });
      outcomes.push({ id, status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, code: res.statusCode === 200 ? undefined : res.json().error?.code });
      if (res.statusCode !== 200) await new Promise((r) => setTimeout(r, 5));
    }
  };
  const workers = Array.from({ length: 6 }, worker);
  try {
    await until(() => ok() >= 100, '100 acknowledged posts');

    // 1. Kill every connection the service holds, mid-load.
    const killed = await admin(async (c) => (await c.query('SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = $1', ['client backend'])).rows[0].n);
    expect(Number(killed)).toBeGreaterThan(0);
    const afterKill = ok();
    await until(() => ok() >= afterKill + 100, 'recovery after pg_terminate_backend');

    // 2. Stop the server: moderation answers 503, readiness fails.
    await cluster.stop();
    const atStop = unavailable();
    await until(() => unavailable() >= atStop + 20, '503s while the database is down');
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().error.code).toBe('DATABASE_UNAVAILABLE');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    // 3. Start it again: the same process recovers without a restart.
    await cluster.start();
    const afterStart = ok();
    await until(() => ok() >= afterStart + 100, 'recovery after the server restarted');
    await until(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, '/readyz ready again');
  } finally {
    running = false;
    await Promise.all(workers);
  }

  const statuses = new Set(outcomes.map((o) => o.status));
  expect([...statuses].sort()).toEqual([200, 503]);
  for (const o of outcomes.filter((x) => x.status === 503)) {
    expect(o.retryAfter).toBe('1');
    expect(o.code).toBe('DATABASE_UNAVAILABLE');
  }
  const acknowledged = outcomes.filter((o) => o.status === 200).map((o) => o.id);
  const stored = await admin(async (c) => new Set((await c.query<{ id: string }>('SELECT id FROM posts WHERE id = ANY($1)', [acknowledged])).rows.map((r) => r.id)));
  const lost = acknowledged.filter((id) => !stored.has(id));
  expect(lost).toEqual([]);
  expect(acknowledged.length).toBeGreaterThanOrEqual(300);
});
