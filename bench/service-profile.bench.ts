// Where the service's CPU goes per request (issue 19): the service as the
// service benchmark runs it (service-server.ts: PostgreSQL in a throwaway
// schema, logging at info, metrics on), under node --cpu-prof, loaded by
// autocannon at 50 connections; the profile's samples inside the measured
// run (after a warm-up) are attributed to buckets by cpu-profile-summary.ts
// and divided by the requests answered in that window.
//   npm run bench -- service-profile
//   BENCH_CONNECTIONS (default 50), BENCH_SECONDS (default 10), BENCH_PROFILE_INTERVAL_US (default 250),
//   BENCH_STORE=pglite, BENCH_BATCH=N, BENCH_LOG_LEVEL as for the service benchmark; BENCH_CPU_PROF=dir keeps the profile there
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatSummary, summarise, type CpuProfile } from './cpu-profile-summary.js';
import { bodies, cpuSince, cpuSnapshot, startServer } from './service-load.js';

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const connections = Number((process.env.BENCH_CONNECTIONS ?? '50').split(',')[0]);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const interval = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 250);
const batch = Number(process.env.BENCH_BATCH ?? 0);
const pglite = process.env.BENCH_STORE === 'pglite';

const schema = `bench_${randomBytes(4).toString('hex')}`;
const pg = (await import('pg')).default;
const admin = pglite ? undefined : new pg.Client({ connectionString: DATABASE_URL });
await admin?.connect();
await admin?.query(`CREATE SCHEMA ${schema}`);
const dir = process.env.BENCH_CPU_PROF ?? (await mkdtemp(path.join(os.tmpdir(), 'mod-bench-profile-')));
try {
  const service = await startServer('service', { BENCH_SCHEMA: schema }, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`]);
  const autocannon = (await import('autocannon')).default;
  const url = `${service.url}${batch ? '/v1/moderate/batch' : '/v1/moderate'}`;
  const run = (duration: number) => autocannon({ url, method: 'POST', connections, duration, headers: { 'content-type': 'application/json' }, requests: bodies(batch) });
  await run(3);
  const from = (await service.ask<{ now: number }>({ cmd: 'now' })).now;
  const before = await cpuSnapshot(service.child.pid!);
  const r = await run(seconds);
  const used = await cpuSince(service.child.pid!, before);
  const to = (await service.ask<{ now: number }>({ cmd: 'now' })).now;
  await service.stop();
  // The main thread's profile: the largest (tsx's module-loader thread writes a small one of its own).
  const files = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map(async (f) => ({ f, size: (await stat(path.join(dir, f))).size })));
  const file = files.sort((a, b) => b.size - a.size)[0]?.f;
  if (!file) throw new Error(`no .cpuprofile in ${dir}: the service did not write one`);
  const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
  const requests = r.requests.total;
  console.log(
    `the service under --cpu-prof (sampling every ${interval} µs), ${batch ? `POST /v1/moderate/batch (${batch} posts)` : 'POST /v1/moderate'}, ${connections} connections, ${seconds} s after a 3 s warm-up; ${pglite ? 'embedded PGlite' : 'PostgreSQL'}; node ${process.version}`,
  );
  console.log(`${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.non2xx + r.errors} errors; service CPU from /proc ${Math.round((used.server * 1e6) / (requests || 1))} µs per request (profiling included)`);
  console.log(formatSummary(summarise(profile, { from, to }), requests));
  console.log(`profile: ${path.join(dir, file)}${process.env.BENCH_CPU_PROF ? '' : ' (removed; BENCH_CPU_PROF=dir keeps it)'}`);
} finally {
  if (!process.env.BENCH_CPU_PROF) await rm(dir, { recursive: true, force: true });
  await admin?.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin?.end();
}
