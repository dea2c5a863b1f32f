// Service benchmark (issue 4): with autocannon on loopback, in the same run,
// a bare Fastify route returning a constant (the ceiling on this machine)
// against POST /v1/moderate storing every post in real PostgreSQL
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, in a
// throwaway schema). Each server runs in its own process so autocannon does
// not share its event loop. Prints req/s, p50/p99 latency and the ratio.
//   npm run bench -- service        (BENCH_SECONDS, BENCH_CONNECTIONS to change the load)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BODY = JSON.stringify({ text: 'こんにちは！週末の予定はどうですか？写真ありがとう', kind: 'message', userId: 'u-123' });

async function serve(kind: string): Promise<void> {
  const Fastify = (await import('fastify')).default;
  if (kind === 'bare') {
    const app = Fastify({ logger: false });
    app.get('/', async () => ({ ok: true }));
    console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
    return;
  }
  const { buildApp } = await import('../src/service/app.js');
  const { loadModerator } = await import('../src/service/moderator.js');
  const { loadMigrations, migrate } = await import('../src/store/migrations.js');
  const { PostgresStore } = await import('../src/store/postgres-store.js');
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${process.env.BENCH_SCHEMA}`);
  const migrations = await loadMigrations();
  const store = PostgresStore.open({ url: url.toString(), migrations, max: 8 });
  await migrate(store.pool, migrations);
  const app = buildApp({ store, moderator: await loadModerator(), logger: process.env.BENCH_LOG_LEVEL ? { level: process.env.BENCH_LOG_LEVEL, stream: { write: () => undefined } } : false, writeConcurrency: Number(process.env.BENCH_WRITE_CONCURRENCY ?? 2) });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
}

function start(kind: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /http:\/\/[\d.:]+/.exec(out);
      if (match) resolve({ child, url: match[0] });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function load(url: string, method: 'GET' | 'POST', body?: string): Promise<Figures> {
  const autocannon = (await import('autocannon')).default;
  const run = (duration: number) =>
    autocannon({ url, method, body, headers: body ? { 'content-type': 'application/json' } : {}, connections, duration });
  await run(2); // warm-up: JIT, connection pools, prepared statements
  const r = await run(seconds);
  return { requestsPerSecond: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total };
}

async function main(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const results: Record<string, Figures> = {};
  try {
    const bare = await start('bare', {});
    results.ceiling = await load(bare.url, 'GET');
    bare.child.kill('SIGTERM');
    const service = await start('service', { BENCH_SCHEMA: schema });
    results.moderate = await load(`${service.url}/v1/moderate`, 'POST', BODY);
    service.child.kill('SIGTERM');
    const stored = Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.posts`)).rows[0].n);
    const ratio = results.moderate!.requestsPerSecond / results.ceiling!.requestsPerSecond;
    const row = (name: string, f: Figures) => `${name.padEnd(44)} ${f.requestsPerSecond.toFixed(0).padStart(8)} ${String(f.p50).padStart(6)} ${String(f.p99).padStart(6)} ${String(f.errors + f.non2xx).padStart(7)}`;
    console.log(`autocannon: ${connections} connections, ${seconds} s each (after a 2 s warm-up), loopback; node ${process.version}`);
    console.log(`${'route'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50ms'.padStart(6)} ${'p99ms'.padStart(6)} ${'errors'.padStart(7)}`);
    console.log(row('bare Fastify GET / (constant): the ceiling', results.ceiling!));
    console.log(row('POST /v1/moderate (model + PostgreSQL insert)', results.moderate!));
    console.log(`ratio to the ceiling: ${(ratio * 100).toFixed(1)}%  (goal >= 50%, p99 < 10 ms)`);
    console.log(`posts stored: ${stored} (2xx answered incl. warm-up: every one must be stored)`);
    await mkdir(path.join(here, 'results'), { recursive: true });
    await writeFile(path.join(here, 'results', 'service.json'), JSON.stringify({ date: new Date().toISOString(), connections, seconds, results, ratio, stored }, null, 2));
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(process.argv[serveAt + 1]!);
else await main();
