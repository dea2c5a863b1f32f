// Service benchmark (issues 4 and 19): the cost of a committed post against
// two ceilings that do the same work, measured in the same run:
//   (a) a bare Fastify POST route with the service's own body and response
//       schemas, answering a same-shape decision (no scoring, no store);
//   the service, POST /v1/moderate, every post committed to PostgreSQL
//       before the answer, as deployed (logging at info, metrics, the
//       shipped model, the default pool and group commit);
//   (b) the store alone: the same rows through the service's PostWriter and
//       PostgresStore, N producers each awaiting its write (no HTTP);
// and scoring alone, in this process, on the same eight texts. Rounds
// alternate the three, so a slow spell of this shared machine hits all of
// them; the summary takes the median round. autocannon runs in this process,
// each server in its own (service-server.ts, the built dist/ code).
//   npm run bench -- service
//   BENCH_CONNECTIONS (default 10,50), BENCH_SECONDS (default 10), BENCH_ROUNDS (default 3),
//   BENCH_STORE=pglite (the embedded PGlite `mod serve` opens without DATABASE_URL),
//   BENCH_BATCH=100 (POST /v1/moderate/batch with 100 posts per request),
//   BENCH_LOG_LEVEL (default info), BENCH_WRITE_CONCURRENCY, BENCH_POOL_MAX,
//   BENCH_WORKERS=N (the service in N cluster processes),
//   BENCH_CPU_PROF=dir (the service runs under --cpu-prof; summarise with bench/cpu-profile-summary.ts),
//   BENCH_WITHOUT=scoring,store (diagnosis: what each part costs)
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSince, cpuSnapshot, loadHttp, median, startServer, type HttpFigures, type Server } from './service-load.js';
import { loadShippedModerator, scoringMicroseconds } from './service-scoring.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connectionList = (process.env.BENCH_CONNECTIONS ?? '10,50').split(',').map(Number);
const pglite = process.env.BENCH_STORE === 'pglite';
const batch = Number(process.env.BENCH_BATCH ?? 0);
if (process.env.BENCH_STORE && !pglite) throw new Error(`BENCH_STORE=${process.env.BENCH_STORE}: expected pglite (unset: PostgreSQL at DATABASE_URL)`);
if (!Number.isInteger(batch) || batch < 0 || batch > 100) throw new Error(`BENCH_BATCH=${process.env.BENCH_BATCH}: expected a whole number from 1 to 100 (the batch endpoint's limit)`);
/** Posts per request. */
const unit = batch || 1;
const route = batch ? `POST /v1/moderate/batch (${batch} posts)` : 'POST /v1/moderate';

interface StoreFigures {
  connections: number;
  commitsPerSecond: number;
  rowsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU µs per row: the writer's process (pg protocol, group commit), PostgreSQL. */
  cpuPerRow: { writer: number; postgres: number };
  commitsPerRow: number;
}

interface Round {
  round: number;
  connections: number;
  scoringUs: number;
  bare: HttpFigures;
  service: HttpFigures;
  serviceCommitsPerPost: number;
  store: StoreFigures;
  /** The service's req/s over (a)'s. */
  ratio: number;
}

async function loadStore(store: Server, connections: number, warmUp: number): Promise<StoreFigures> {
  const run = (s: number) => store.ask<{ writes: number; seconds: number; p50: number; p99: number; statements: number; rows: number }>({ cmd: 'run', connections, seconds: s, batch: unit });
  await run(warmUp);
  const before = await cpuSnapshot(store.child.pid!);
  const r = await run(seconds);
  const used = await cpuSince(store.child.pid!, before);
  const rows = r.rows || 1;
  return {
    connections,
    commitsPerSecond: r.statements / r.seconds,
    rowsPerSecond: r.rows / r.seconds,
    p50: r.p50,
    p99: r.p99,
    cpuPerRow: { writer: Math.round((used.server * 1e6) / rows), postgres: pglite ? NaN : Math.round((used.postgres * 1e6) / rows) },
    commitsPerRow: r.statements / rows,
  };
}

const fmt = (n: number, width = 6) => (Number.isNaN(n) ? '-' : n.toFixed(0)).padStart(width);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function httpRow(name: string, f: HttpFigures): string {
  const c = f.cpuPerRequest;
  return `${String(f.connections).padStart(5)} ${name.padEnd(44)} ${fmt(f.requestsPerSecond * unit, 7)} ${fmt(f.p50, 5)} ${fmt(f.p99, 5)} ${String(f.errors + f.non2xx).padStart(6)}   ${fmt(c.server / unit)} ${fmt(pglite ? NaN : c.postgres / unit)} ${fmt(c.autocannon / unit)} ${fmt(c.machine / unit)}  ${(f.machineBusy * 100).toFixed(0).padStart(3)}%`;
}

function storeRow(f: StoreFigures): string {
  return `${String(f.connections).padStart(5)} ${'(b) the store alone (PostWriter, no HTTP)'.padEnd(44)} ${fmt(f.rowsPerSecond, 7)} ${fmt(f.p50, 5)} ${fmt(f.p99, 5)} ${'0'.padStart(6)}   ${fmt(f.cpuPerRow.writer)} ${fmt(f.cpuPerRow.postgres)}   (${fmt(f.commitsPerSecond, 0)} commits/s, ${f.commitsPerRow.toFixed(2)} per post)`;
}

function verdict(met: boolean): string {
  return met ? 'MET' : 'NOT MET';
}

async function main(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = (await import('pg')).default;
  const admin = pglite ? undefined : new pg.Client({ connectionString: DATABASE_URL });
  await admin?.connect();
  await admin?.query(`CREATE SCHEMA ${schema}`);
  await admin?.query(`CREATE SCHEMA ${schema}_store`);
  const servers: Server[] = [];
  try {
    const moderator = await loadShippedModerator();
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const bare = await startServer('bare-post', {});
    const service = await startServer('service', { BENCH_SCHEMA: schema }, profile);
    const store = await startServer('store', { BENCH_SCHEMA: `${schema}_store` });
    servers.push(bare, service, store);
    const runs: Round[] = [];
    for (const connections of connectionList) {
      for (let round = 1; round <= rounds; round++) {
        const warmUp = round === 1 ? 3 : 1;
        const scoringUs = scoringMicroseconds(moderator);
        const bareFigures = await loadHttp(`${bare.url}${batch ? '/v1/moderate/batch' : '/v1/moderate'}`, bare.child.pid!, connections, seconds, warmUp, batch);
        const before = await service.ask<{ statements: number; rows: number }>({ cmd: 'stats' });
        const serviceFigures = await loadHttp(`${service.url}${batch ? '/v1/moderate/batch' : '/v1/moderate'}`, service.child.pid!, connections, seconds, warmUp, batch);
        const after = await service.ask<{ statements: number; rows: number }>({ cmd: 'stats' });
        // Commits per post over warm-up and measured run alike (the counter cannot tell them apart).
        const serviceCommitsPerPost = (after.statements - before.statements) / Math.max(1, after.rows - before.rows);
        const storeFigures = await loadStore(store, connections, warmUp);
        runs.push({ round, connections, scoringUs, bare: bareFigures, service: serviceFigures, serviceCommitsPerPost, store: storeFigures, ratio: serviceFigures.requestsPerSecond / bareFigures.requestsPerSecond });
      }
    }
    const stored = await service.ask<{ posts: number }>({ cmd: 'stats' });
    for (const s of servers) await s.stop();
    servers.length = 0;

    const answered = runs.reduce((s, r) => s + (r.service.total - r.service.non2xx) * unit, 0);
    const db = pglite ? 'embedded PGlite (in the service process: its CPU includes the database)' : 'PostgreSQL at DATABASE_URL (throwaway schemas)';
    console.log(
      `${rounds} rounds of ${seconds} s per party, alternating (a), the service, (b), after a 3 s warm-up (1 s in later rounds); autocannon in this process, each server in its own; loopback; node ${process.version}; ${db}; service log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}; service processes ${process.env.BENCH_WORKERS ?? 1}`,
    );
    if (process.env.BENCH_WITHOUT) console.log(`DIAGNOSIS ONLY, not the service's figures: the service runs without ${process.env.BENCH_WITHOUT}`);
    const per = batch ? 'post' : 'request';
    console.log(`${'conns'.padStart(5)} ${'party'.padEnd(44)} ${(batch ? 'posts/s' : 'req/s').padStart(7)} ${'p50ms'.padStart(5)} ${'p99ms'.padStart(5)} ${'errors'.padStart(6)}   CPU µs per ${per}: server / postgres / autocannon / whole machine, machine busy`);
    for (const r of runs) {
      console.log(`round ${r.round}: scoring alone ${r.scoringUs.toFixed(1)} µs per text`);
      console.log(httpRow('(a) bare Fastify POST, same schemas', r.bare));
      console.log(httpRow(route, r.service));
      console.log(`      service: ${r.serviceCommitsPerPost.toFixed(2)} commits per post; ratio to (a): ${pct(r.ratio)}`);
      console.log(storeRow(r.store));
    }

    console.log('\nmedian round (by the ratio to (a)) at each load:');
    const goal = { ratio: undefined as { value: string; met: boolean } | undefined, p99: undefined as { value: string; met: boolean } | undefined };
    const cpuChecks: string[] = [];
    let cpuMet = true;
    for (const connections of connectionList) {
      const mine = runs.filter((r) => r.connections === connections).sort((a, b) => a.ratio - b.ratio);
      const mid = mine[Math.floor(mine.length / 2)]!;
      const scoring = median(mine.map((r) => r.scoringUs));
      const s = mid.service;
      const a = mid.bare;
      const b = mid.store;
      const serviceCpu = s.cpuPerRequest.server / unit;
      const bareCpu = a.cpuPerRequest.server / unit;
      const budget = 1.5 * bareCpu + scoring;
      console.log(`  ${connections} connections: ${route} ${fmt(s.requestsPerSecond * unit, 0)} posts/s, p50 ${s.p50} ms, p99 ${s.p99} ms; (a) ${fmt(a.requestsPerSecond * unit, 0)} posts/s: ratio ${pct(mid.ratio)} (rounds ${mine.map((r) => pct(r.ratio)).join(', ')})`);
      console.log(
        `    CPU µs per post: service ${fmt(serviceCpu, 0)} vs (a) ${fmt(bareCpu, 0)} + scoring ${scoring.toFixed(1)} = ${fmt(bareCpu + scoring, 0)} (${(serviceCpu / (bareCpu + scoring)).toFixed(2)}x); the goal's budget 1.5 x (a) + scoring = ${fmt(budget, 0)}`,
      );
      console.log(
        `    store: the service commits ${fmt(s.requestsPerSecond * unit, 0)} posts/s in ${fmt(s.requestsPerSecond * unit * mid.serviceCommitsPerPost, 0)} commits/s (${mid.serviceCommitsPerPost.toFixed(2)} per post), ${pct((s.requestsPerSecond * unit) / b.rowsPerSecond)} of (b)'s ${fmt(b.rowsPerSecond, 0)} rows/s in ${fmt(b.commitsPerSecond, 0)} commits/s (${b.commitsPerRow.toFixed(2)} per row, write p99 ${b.p99} ms); PostgreSQL µs per post: service ${fmt(pglite ? NaN : s.cpuPerRequest.postgres / unit, 0)}, (b) ${fmt(b.cpuPerRow.postgres, 0)}; writer process${pglite ? ' (PGlite in it)' : ''} µs per row in (b): ${b.cpuPerRow.writer}`,
      );
      if (connections === 50) goal.ratio = { value: pct(mid.ratio), met: mid.ratio >= 0.6 };
      if (connections === 10) goal.p99 = { value: `${s.p99} ms`, met: s.p99 < 10 };
      cpuChecks.push(`${fmt(serviceCpu, 0)} µs vs ${fmt(budget, 0)} at ${connections}`);
      cpuMet &&= serviceCpu <= budget;
    }
    const goals = [
      { name: `>= 60% of (a)'s req/s at 50 connections`, ...(goal.ratio ?? { value: 'not measured (BENCH_CONNECTIONS without 50)', met: undefined }) },
      { name: 'service CPU per request <= 1.5 x (a) + scoring, at every load', value: cpuChecks.join(', '), met: cpuMet as boolean | undefined },
      { name: 'p99 < 10 ms at 10 connections', ...(goal.p99 ?? { value: 'not measured (BENCH_CONNECTIONS without 10)', met: undefined }) },
    ];
    const storedAll = stored.posts >= answered;
    console.log(`\ngoals (issue 19)${batch || pglite || process.env.BENCH_WITHOUT ? ': stated for POST /v1/moderate on PostgreSQL; for this mode informational only' : ''}:`);
    for (const g of goals) console.log(`  ${g.name}: ${g.value}${g.met === undefined ? '' : `: ${verdict(g.met)}`}`);
    console.log(`  every answered post committed: ${stored.posts} posts stored, ${answered} answered 2xx in the measured runs (plus warm-ups): ${storedAll ? 'yes' : 'NO'}`);
    await mkdir(path.join(here, 'results'), { recursive: true });
    const name = `service${pglite ? '-pglite' : ''}${batch ? `-batch${batch}` : ''}.json`;
    await writeFile(path.join(here, 'results', name), JSON.stringify({ date: new Date().toISOString(), seconds, batch, store: pglite ? 'pglite' : 'postgres', runs, stored: stored.posts }, null, 2));
    if (!storedAll) process.exitCode = 1;
  } finally {
    for (const s of servers) await s.stop();
    await admin?.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin?.query(`DROP SCHEMA ${schema}_store CASCADE`);
    await admin?.end();
  }
}

await main();
