// Service benchmark (issue 4): with autocannon on loopback, in the same run,
// a bare Fastify route returning a constant (the ceiling on this machine)
// against POST /v1/moderate storing every post in real PostgreSQL
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, in a
// throwaway schema). Each server runs in its own process (the built dist/
// code, as deployed) so autocannon, in this process, does not share its
// event loop; both routes get the same connections, warm-up and duration.
// The service runs as in production: logging at info (one line per request
// written to a file descriptor, here /dev/null), the default pool and
// group-commit settings. Prints req/s, p50/p99 latency, the ratio, and the
// CPU time each party used per request (service, PostgreSQL, autocannon),
// because on this 2-core machine they all share the same two cores.
//   npm run bench -- service
//   BENCH_CONNECTIONS=10,50 (one pair of runs per value), BENCH_SECONDS,
//   BENCH_ROUNDS (default 3), BENCH_LOG_LEVEL (default info), BENCH_WRITE_CONCURRENCY, BENCH_POOL_MAX,
//   BENCH_WORKERS=N (the service in N cluster processes),
//   BENCH_CPU_PROF=dir (the service runs under --cpu-prof),
//   BENCH_WITHOUT=scoring,store (diagnosis: what each part costs)
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewPost } from '../src/store/postgres-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const workerCount = Number(process.env.BENCH_WORKERS ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connectionList = (process.env.BENCH_CONNECTIONS ?? '10').split(',').map(Number);
// Realistic, varied posts: mostly ordinary chat, some with contact details or
// URLs (rules fire), a few long ones; every request a different text.
const TEXTS = [
  'こんにちは！週末の予定はどうですか？写真ありがとう',
  'Thanks for the quick reply, the jacket still available? I can pick it up on Saturday afternoon.',
  'LINEやってる？ID教えてくれたら連絡するね',
  '連絡はこちらまで: ０９０ー１２３４ー５６７８ お待ちしてます',
  'check my profile at https://example.com/u/123 for more photos',
  '今日はありがとうございました。また機会があればよろしくお願いします。',
  'mail me: someone (at) example dot com',
  'とても良い商品でした。梱包も丁寧で、発送も早かったです。また利用したいと思います。'.repeat(4),
];

async function serve(kind: string): Promise<void> {
  const Fastify = (await import('fastify')).default;
  if (kind === 'bare') {
    const app = Fastify({ logger: false });
    app.get('/', async () => ({ ok: true }));
    console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
    return;
  }
  const cluster = (await import('node:cluster')).default;
  if (workerCount > 1 && cluster.isPrimary) {
    // BENCH_WORKERS: the service in N processes sharing one port (node:cluster).
    const workers = Array.from({ length: workerCount }, () => cluster.fork());
    let printed = false;
    for (const w of workers)
      w.on('message', (url: string) => {
        if (!printed) console.log(url);
        printed = true;
      });
    process.once('SIGTERM', () => {
      for (const w of workers) w.kill('SIGTERM');
      setTimeout(() => process.exit(0), 500);
    });
    return;
  }
  const dist = path.join(here, '..', 'dist');
  const { buildApp } = (await import(path.join(dist, 'service', 'app.js'))) as typeof import('../src/service/app.js');
  const { loadModerator } = (await import(path.join(dist, 'service', 'moderator.js'))) as typeof import('../src/service/moderator.js');
  const { loadMigrations, migrate } = (await import(path.join(dist, 'store', 'migrations.js'))) as typeof import('../src/store/migrations.js');
  const { PostgresStore } = (await import(path.join(dist, 'store', 'postgres-store.js'))) as typeof import('../src/store/postgres-store.js');
  const { default: pino } = await import('pino');
  const migrations = await loadMigrations();
  const store = PostgresStore.open({ url: DATABASE_URL, schema: process.env.BENCH_SCHEMA, migrations, ...(process.env.BENCH_POOL_MAX ? { max: Number(process.env.BENCH_POOL_MAX) } : {}) });
  await migrate(store.pool, migrations);
  const level = process.env.BENCH_LOG_LEVEL ?? 'info';
  // Like stdout in production: a synchronous write to a file descriptor per line.
  const stream = pino.destination({ dest: '/dev/null', sync: true });
  // BENCH_WITHOUT (diagnosis only, not the service's figures): "store"
  // answers writes without the database, "scoring" decides without the
  // classifier, so a run shows what each part costs.
  const without = new Set((process.env.BENCH_WITHOUT ?? '').split(',').filter(Boolean));
  const app = buildApp({
    store: without.has('store') ? Object.assign(Object.create(store) as typeof store, { recordPosts: async (posts: NewPost[]) => posts.map((p) => ({ ...p, created: true })) }) : store,
    moderator: without.has('scoring') ? { modelVersion: 'none', moderate: () => ({ decision: 'approve' as const, category: null, categories: [], score: 0, reasons: [], modelVersion: 'none' }) } : await loadModerator(),
    logger: level === 'off' ? false : { level, stream },
    defaultMetrics: true,
    ...(process.env.BENCH_WRITE_CONCURRENCY ? { writeConcurrency: Number(process.env.BENCH_WRITE_CONCURRENCY) } : {}),
  });
  // Exit normally on SIGTERM so --cpu-prof (BENCH_CPU_PROF) writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  // Cluster workers share one port: a fixed one, so they all get the same.
  const url = await app.listen({ port: workerCount > 1 ? Number(process.env.BENCH_PORT ?? 39_217) : 0, host: '127.0.0.1' });
  if (process.send) process.send(url);
  else console.log(url);
}

function start(kind: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const profile = kind === 'service' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
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

/** CPU seconds of a server: its process and, with BENCH_WORKERS, its cluster workers. */
async function serverCpuSeconds(pid: number): Promise<number> {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    // no children
  }
  let total = await cpuSeconds(pid);
  for (const child of children) total += await cpuSeconds(child);
  return total;
}

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

async function postgresCpuSeconds(): Promise<number> {
  let pids: number[] = [];
  try {
    pids = execFileSync('pgrep', ['-u', 'postgres']).toString().trim().split('\n').map(Number);
  } catch {
    return NaN;
  }
  let total = 0;
  for (const pid of pids) total += await cpuSeconds(pid);
  return total;
}

async function machineBusy(): Promise<{ busy: number; total: number }> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + cpu[4]!;
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

interface Figures {
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  /** CPU microseconds per answered request. */
  cpuPerRequest: { server: number; postgres: number; autocannon: number; machine: number };
  /** Transactions committed in the database per answered request (group commit makes it < 1). */
  commitsPerRequest: number;
  /** Share of both cores busy during the measured run (all processes, other users included). */
  machineBusy: number;
}

async function load(url: string, pid: number, method: 'GET' | 'POST', connections: number, body: boolean, commits: () => Promise<number>, warmUpSeconds: number): Promise<Figures> {
  const autocannon = (await import('autocannon')).default;
  // Bodies are serialised once, so the load generator spends its CPU on
  // HTTP, not on JSON.stringify; each connection cycles through all of them
  // (no id: every request is a new post).
  const bodies = Array.from({ length: 64 }, (_, i) => ({ body: JSON.stringify({ text: TEXTS[i % TEXTS.length], kind: 'message', userId: `u-${i}` }) }));
  const run = (duration: number) =>
    autocannon({
      url,
      method,
      connections,
      duration,
      headers: body ? { 'content-type': 'application/json' } : {},
      requests: body ? bodies : undefined,
    });
  await run(warmUpSeconds); // JIT, connection pools, prepared statements
  const before = { server: await serverCpuSeconds(pid), postgres: await postgresCpuSeconds(), self: process.cpuUsage(), machine: await machineBusy(), commits: await commits() };
  const r = await run(seconds);
  const self = process.cpuUsage(before.self);
  const machine = await machineBusy();
  const n = r.requests.total || 1;
  const us = (s: number) => Math.round((s * 1e6) / n);
  return {
    connections,
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
    cpuPerRequest: {
      server: us((await serverCpuSeconds(pid)) - before.server),
      postgres: us((await postgresCpuSeconds()) - before.postgres),
      autocannon: us((self.user + self.system) / 1e6),
      machine: us(machine.busy - before.machine.busy),
    },
    commitsPerRequest: ((await commits()) - before.commits) / n,
    machineBusy: (machine.busy - before.machine.busy) / (machine.total - before.machine.total),
  };
}

async function main(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const runs: { round: number; ceiling: Figures; moderate: Figures; ratio: number }[] = [];
  try {
    const bare = await start('bare', {});
    const service = await start('service', { BENCH_SCHEMA: schema });
    // Counts every commit in this database (other users of it included): an upper bound.
    const commits = async () => Number((await admin.query('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n);
    // Rounds alternate the two routes, so a slow spell of this shared
    // machine hits both; the summary takes the median round.
    for (const connections of connectionList) {
      for (let round = 1; round <= rounds; round++) {
        const warmUp = round === 1 ? 3 : 1;
        const ceiling = await load(bare.url, bare.child.pid!, 'GET', connections, false, commits, warmUp);
        const moderate = await load(`${service.url}/v1/moderate`, service.child.pid!, 'POST', connections, true, commits, warmUp);
        runs.push({ round, ceiling, moderate, ratio: moderate.requestsPerSecond / ceiling.requestsPerSecond });
      }
    }
    bare.child.kill('SIGTERM');
    service.child.kill('SIGTERM');
    const stored = Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.posts`)).rows[0].n);
    const answered = runs.reduce((s, r) => s + r.moderate.total, 0);
    const row = (name: string, f: Figures) =>
      `${String(f.connections).padStart(5)} ${name.padEnd(34)} ${f.requestsPerSecond.toFixed(0).padStart(7)} ${String(f.p50).padStart(5)} ${String(f.p99).padStart(5)} ${String(f.errors + f.non2xx).padStart(6)}   ${String(f.cpuPerRequest.server).padStart(6)} ${String(f.cpuPerRequest.postgres).padStart(6)} ${String(f.cpuPerRequest.autocannon).padStart(6)} ${String(f.cpuPerRequest.machine).padStart(6)}  ${(f.machineBusy * 100).toFixed(0).padStart(3)}%`;
    console.log(
      `autocannon in this process, each server in its own; ${rounds} rounds of ${seconds} s per route, alternating, after a 3 s warm-up (1 s in later rounds); loopback; node ${process.version}; service log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}; service processes ${workerCount}`,
    );
    if (process.env.BENCH_WITHOUT) console.log(`DIAGNOSIS ONLY, not the service's figures: the service runs without ${process.env.BENCH_WITHOUT}`);
    console.log(`${'conns'.padStart(5)} ${'route'.padEnd(34)} ${'req/s'.padStart(7)} ${'p50ms'.padStart(5)} ${'p99ms'.padStart(5)} ${'errors'.padStart(6)}   CPU µs per request: server / postgres / autocannon / whole machine, machine busy`);
    for (const r of runs) {
      console.log(`round ${r.round}`);
      console.log(row('bare Fastify GET / (the ceiling)', r.ceiling));
      console.log(row('POST /v1/moderate', r.moderate));
      console.log(`      commits per request: ${r.moderate.commitsPerRequest.toFixed(2)}; ratio to the ceiling: ${(r.ratio * 100).toFixed(1)}%`);
    }
    for (const connections of connectionList) {
      const mine = runs.filter((r) => r.ceiling.connections === connections).sort((a, b) => a.ratio - b.ratio);
      const mid = mine[Math.floor(mine.length / 2)]!;
      console.log(
        `median of ${mine.length} rounds at ${connections} connections: ceiling ${mid.ceiling.requestsPerSecond.toFixed(0)} req/s, POST /v1/moderate ${mid.moderate.requestsPerSecond.toFixed(0)} req/s (p50 ${mid.moderate.p50} ms, p99 ${mid.moderate.p99} ms, service ${mid.moderate.cpuPerRequest.server} µs CPU/request): ratio ${(mid.ratio * 100).toFixed(1)}% (rounds ${mine.map((r) => (r.ratio * 100).toFixed(1)).join(', ')}); goal >= 50%, p99 < 10 ms`,
      );
    }
    console.log(`posts stored: ${stored}; answered 2xx in the measured runs: ${answered} (plus warm-ups; every 2xx must be stored)`);
    await mkdir(path.join(here, 'results'), { recursive: true });
    await writeFile(path.join(here, 'results', 'service.json'), JSON.stringify({ date: new Date().toISOString(), seconds, runs, stored }, null, 2));
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serve(process.argv[serveAt + 1]!);
else await main();
