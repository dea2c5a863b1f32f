// The processes the service benchmark (service.bench.ts) measures, one per
// child process, from the built dist/ code, so the load generator never
// shares their event loop:
//   service     the service as deployed (buildApp over PostgresStore,
//               logging at info to a file descriptor, process metrics on),
//               on PostgreSQL (BENCH_SCHEMA) or, with BENCH_STORE=pglite,
//               on the embedded PGlite opened by openDatabase as
//               `mod serve` does without DATABASE_URL;
//   bare-post   ceiling (a): a bare Fastify POST route (service-ceilings.ts);
//   store       ceiling (b): the store alone, driven on request.
// Each prints its URL (or "ready") on stdout and answers the parent's IPC
// messages: {cmd:'stats'} -> {posts, statements, rows}; for `service`,
// {cmd:'now'} -> {now} (µs on the --cpu-prof clock); for `store`,
// {cmd:'run', connections, seconds, batch} -> {writes, rows, statements}.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NewPost, PostgresStore } from '../src/store/postgres-store.js';
import { bareCeiling, runStoreCeiling, templatePosts } from './service-ceilings.js';
import { dist } from './service-paths.js';

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const workerCount = Number(process.env.BENCH_WORKERS ?? 1);

type Reply = (message: unknown) => void;

/** The store the benchmark writes through: PostgreSQL in BENCH_SCHEMA, or a fresh embedded PGlite (the path `mod serve` takes without DATABASE_URL). */
async function openStore(): Promise<{ store: PostgresStore; close: () => Promise<void> }> {
  const { loadMigrations, migrate } = (await import(path.join(dist, 'store', 'migrations.js'))) as typeof import('../src/store/migrations.js');
  const migrations = await loadMigrations();
  const poolMax = process.env.BENCH_POOL_MAX ? Number(process.env.BENCH_POOL_MAX) : undefined;
  if (process.env.BENCH_STORE === 'pglite') {
    const { openDatabase } = (await import(path.join(dist, 'store', 'database.js'))) as typeof import('../src/store/database.js');
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mod-bench-pglite-'));
    const database = await openDatabase({ dataDir, migrations, poolMax });
    await migrate(database.store.pool, migrations);
    return {
      store: database.store,
      close: async () => {
        await database.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const { PostgresStore } = (await import(path.join(dist, 'store', 'postgres-store.js'))) as typeof import('../src/store/postgres-store.js');
  const store = PostgresStore.open({ url: DATABASE_URL, schema: process.env.BENCH_SCHEMA, migrations, ...(poolMax ? { max: poolMax } : {}) });
  await migrate(store.pool, migrations);
  return { store, close: () => store.close() };
}

/** Counts the store's group-commit statements (one commit each) and rows, for commits per request. */
function counting(store: PostgresStore, counts: { statements: number; rows: number }): PostgresStore {
  const recordPosts = store.recordPosts.bind(store);
  return Object.assign(Object.create(store) as PostgresStore, {
    recordPosts: (posts: NewPost[], at: Date) => {
      counts.statements++;
      counts.rows += posts.length;
      return recordPosts(posts, at);
    },
  });
}

async function stats(store: PostgresStore, counts: { statements: number; rows: number }) {
  const posts = Number((await store.pool.query('SELECT count(*) AS n FROM posts')).rows[0].n);
  return { posts, ...counts };
}

async function serveService(reply: Reply): Promise<void> {
  const cluster = (await import('node:cluster')).default;
  if (workerCount > 1 && cluster.isPrimary) {
    // BENCH_WORKERS: the service in N processes sharing one port (node:cluster); stats come from the workers' own counts.
    const workers = Array.from({ length: workerCount }, () => cluster.fork());
    let printed = false;
    for (const w of workers)
      w.on('message', (m: { url?: string }) => {
        if (m.url && !printed) console.log(m.url);
        printed = true;
      });
    process.on('message', (m: { cmd: string; id: number }) => {
      if (m.cmd !== 'stats') return;
      let pending = workers.length;
      const total = { posts: 0, statements: 0, rows: 0 };
      for (const w of workers) {
        w.send(m);
        w.once('message', (s: typeof total) => {
          total.posts = s.posts; // the same table
          total.statements += s.statements;
          total.rows += s.rows;
          if (--pending === 0) reply({ id: m.id, ...total });
        });
      }
    });
    process.once('SIGTERM', () => {
      for (const w of workers) w.kill('SIGTERM');
      setTimeout(() => process.exit(0), 500);
    });
    return;
  }
  const { buildApp } = (await import(path.join(dist, 'service', 'app.js'))) as typeof import('../src/service/app.js');
  const { loadModerator } = (await import(path.join(dist, 'service', 'moderator.js'))) as typeof import('../src/service/moderator.js');
  const { default: pino } = await import('pino');
  const { store, close } = await openStore();
  const counts = { statements: 0, rows: 0 };
  const level = process.env.BENCH_LOG_LEVEL ?? 'info';
  // Like stdout in production: a synchronous write to a file descriptor per line.
  const stream = pino.destination({ dest: '/dev/null', sync: true });
  // BENCH_WITHOUT (diagnosis only, not the service's figures): "store"
  // answers writes without the database, "scoring" decides without the
  // classifier, so a run shows what each part costs.
  const without = new Set((process.env.BENCH_WITHOUT ?? '').split(',').filter(Boolean));
  const counted = counting(store, counts);
  const app = buildApp({
    store: without.has('store') ? Object.assign(Object.create(counted) as typeof store, { recordPosts: async (posts: NewPost[]) => posts.map((p) => ({ ...p, created: true })) }) : counted,
    moderator: without.has('scoring') ? { modelVersion: 'none', moderate: () => ({ decision: 'approve' as const, category: null, categories: [], score: 0, reasons: [], modelVersion: 'none' }) } : await loadModerator(),
    logger: level === 'off' ? false : { level, stream },
    defaultMetrics: true,
    // As server.ts: two statements in flight, at most the pool size.
    writeConcurrency: process.env.BENCH_WRITE_CONCURRENCY ? Number(process.env.BENCH_WRITE_CONCURRENCY) : Math.min(2, store.poolSize),
  });
  process.on('message', (m: { cmd: string; id: number }) => {
    if (m.cmd === 'stats') void stats(store, counts).then((s) => reply({ id: m.id, ...s }));
    // The profile's clock (V8 and process.hrtime both read the monotonic clock), in µs: marks a --cpu-prof window.
    if (m.cmd === 'now') reply({ id: m.id, now: Number(process.hrtime.bigint() / 1000n) });
  });
  // Exit normally on SIGTERM so --cpu-prof (BENCH_CPU_PROF) writes its profile.
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(close)
      .finally(() => process.exit(0));
  });
  // Cluster workers share one port: a fixed one, so they all get the same.
  const url = await app.listen({ port: workerCount > 1 ? Number(process.env.BENCH_PORT ?? 39_217) : 0, host: '127.0.0.1' });
  if (cluster.isWorker) process.send!({ url });
  else console.log(url);
}

async function serveStore(reply: Reply): Promise<void> {
  const { store, close } = await openStore();
  const counts = { statements: 0, rows: 0 };
  const counted = counting(store, counts);
  const templates = await templatePosts();
  const { PostWriter } = (await import(path.join(dist, 'service', 'post-writer.js'))) as typeof import('../src/service/post-writer.js');
  // The service's own writer with the service's settings (server.ts).
  const writer = new PostWriter(counted, () => new Date(), { maxConcurrent: process.env.BENCH_WRITE_CONCURRENCY ? Number(process.env.BENCH_WRITE_CONCURRENCY) : Math.min(2, store.poolSize) });
  process.on('message', (m: { cmd: string; id: number; connections: number; seconds: number; batch: number }) => {
    if (m.cmd === 'stats') void stats(store, counts).then((s) => reply({ id: m.id, ...s }));
    if (m.cmd === 'run') {
      const before = { ...counts };
      void runStoreCeiling(writer, templates, m.connections, m.seconds, m.batch, randomUUID).then((r) => reply({ id: m.id, ...r, statements: counts.statements - before.statements, rows: counts.rows - before.rows }));
    }
  });
  process.once('SIGTERM', () => void close().finally(() => process.exit(0)));
  console.log('ready');
}

const reply: Reply = (message) => process.send?.(message);
const kind = process.argv[2];
if (kind === 'service') await serveService(reply);
else if (kind === 'bare-post') {
  const app = await bareCeiling();
  process.once('SIGTERM', () => process.exit(0));
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else if (kind === 'store') await serveStore(reply);
else throw new Error(`unknown server kind ${kind}`);
