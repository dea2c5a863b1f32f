// Shadow scoring cost (issue 13): moderation latency through the real
// service (startService: HTTP on loopback, real PostgreSQL in a throwaway
// schema, logging at info to /dev/null, the pointer file as MODEL_SOURCE)
// without a shadow (baseline) and with one, in the same run, rounds
// interleaved so drift on a shared machine hits both alike. The extra time
// per request is compared with the shadow model's own scoring time measured
// alone (Moderator.moderate on the same texts, in this process). One client
// sends requests one after another (latency), then BENCH_CONNECTIONS (8)
// clients at once (throughput). Wall time on a shared 2-core machine is
// noisy (the request waits for PostgreSQL's commit), so the CPU time this
// process (service and client) spends per request is reported too: the
// shadow's cost shows there without the database's wait. By default the shadow is the larger model
// (models/default, 2^20 features) next to models/baseline deciding: the
// costlier case of the two models the repository ships.
//   npm run bench -- shadow
//   BENCH_REQUESTS (per round and mode, default 300), BENCH_ROUNDS (16), BENCH_CONNECTIONS (8),
//   BENCH_LIVE / BENCH_SHADOW: default | baseline (the models/ directory of each)
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import type { ModelPointer, ModelRef, ServiceModelState } from '../src/moderation/model-pointer.js';
import { Moderator } from '../src/moderation/moderator.js';
import { parseServiceConfig } from '../src/service/config.js';
import { startService } from '../src/service/server.js';
import { TEXTS } from './service-texts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const LIVE = process.env.BENCH_LIVE ?? 'baseline';
const SHADOW = process.env.BENCH_SHADOW ?? 'default';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
let serial = 0;
/** Every request a new post (a new text: the same text and id would be a retry). */
const nextText = () => `${TEXTS[serial % TEXTS.length]} #${serial++}`;

async function refOf(dir: string): Promise<ModelRef> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { version: string; checksum: { value: string } };
  return { version: manifest.version, checksum: manifest.checksum.value, location: dir };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x: number) => `${x.toFixed(3)} ms`;

const schema = `bench_shadow_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const url = new URL(DATABASE_URL);
url.searchParams.set('options', `-c search_path=${schema}`);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-bench-shadow-'));
const pointerFile = path.join(tmp, 'pointer.json');
const liveRef = await refOf(path.join(here, '..', 'models', LIVE));
const shadowRef = await refOf(path.join(here, '..', 'models', SHADOW));
let release = 0;
// Each switch of mode loads the shadow again (the watcher keeps only the
// models of the set in use) and drops the old copy: collected before a
// round is measured, so the round measures scoring, not the reload's garbage.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const service = await startService(parseServiceConfig({ DATABASE_URL: url.toString(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', MODEL_SOURCE: `file:${pointerFile}`, MODEL_POLL_MS: '100' }, tmp), {
  migrate: true,
  logStream: new Writable({ write: (_c, _e, done) => done() }),
});

async function use(shadow: boolean): Promise<void> {
  const releaseId = `m-bench-${++release}`;
  const pointer: ModelPointer = { schemaVersion: 1, environment: 'bench', releaseId, updatedAt: new Date().toISOString(), live: liveRef, ...(shadow ? { shadow: shadowRef } : {}) };
  await writeFile(`${pointerFile}.tmp`, JSON.stringify(pointer));
  await rename(`${pointerFile}.tmp`, pointerFile);
  for (;;) {
    const state = ((await (await fetch(`${service.url}/healthz`)).json()) as { model: ServiceModelState }).model;
    if (state.releaseId === releaseId) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

let failed = 0;
async function once(): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${service.url}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: nextText(), kind: 'message' }) });
  await response.arrayBuffer();
  if (response.status !== 200) failed++;
  return performance.now() - start;
}

const cpu: Record<'baseline' | 'shadow', number[]> = { baseline: [], shadow: [] };

/** One request at a time; records this process's CPU milliseconds per request under `mode`. */
async function sequential(n: number, mode?: 'baseline' | 'shadow'): Promise<number[]> {
  const times: number[] = [];
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) times.push(await once());
  const used = process.cpuUsage(before);
  if (mode) cpu[mode].push((used.user + used.system) / 1000 / n);
  return times;
}

async function concurrent(n: number): Promise<number> {
  const start = performance.now();
  let left = n;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (left-- > 0) await once();
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

const modes = { baseline: false, shadow: true } as const;
const latency: Record<keyof typeof modes, number[]> = { baseline: [], shadow: [] };
const throughput: Record<keyof typeof modes, number[]> = { baseline: [], shadow: [] };
/** Each round's mean latency per mode: the paired differences are less exposed to the machine's bursts than the pooled means. */
const roundMeans: Record<keyof typeof modes, number[]> = { baseline: [], shadow: [] };
try {
  // Warm-up: JIT, the pool, prepared statements, both models.
  for (const shadow of [true, false]) {
    await use(shadow);
    await sequential(300);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = (round % 2 === 0 ? ['baseline', 'shadow'] : ['shadow', 'baseline']) as (keyof typeof modes)[];
    for (const mode of order) {
      await use(modes[mode]);
      gc();
      await sequential(50);
      const times = await sequential(REQUESTS, mode);
      latency[mode].push(...times);
      roundMeans[mode].push(mean(times));
      throughput[mode].push(await concurrent(REQUESTS));
    }
  }
  const shadowed = Number((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.posts WHERE shadow_model_version IS NOT NULL`)).rows[0].n);

  // The shadow model alone, on the same kind of texts, as the route calls it.
  const alone = await Moderator.load(shadowRef.location);
  for (let i = 0; i < 2000; i++) alone.moderate({ text: nextText(), id: `w-${i}` });
  const aloneTimes: number[] = [];
  const aloneCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const n = REQUESTS;
    const texts = Array.from({ length: n }, nextText);
    const before = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < n; i++) alone.moderate({ text: texts[i]!, id: `a-${r}-${i}` });
    aloneTimes.push((performance.now() - start) / n);
    const used = process.cpuUsage(before);
    aloneCpu.push((used.user + used.system) / 1000 / n);
  }
  const shadowAlone = mean(aloneTimes);
  // And next to the live model, in turn on each text as the route runs them
  // (the two models' weights compete for the CPU caches): (live + shadow) - live.
  const live = await Moderator.load(liveRef.location);
  const pairTimes: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const texts = Array.from({ length: REQUESTS }, nextText);
    let start = performance.now();
    for (const text of texts) live.moderate({ text, id: 'l' });
    const liveOnly = performance.now() - start;
    start = performance.now();
    for (const text of texts) {
      live.moderate({ text, id: 'l' });
      alone.moderate({ text, id: 's' });
    }
    pairTimes.push((performance.now() - start - liveOnly) / REQUESTS);
  }
  const shadowNextToLive = mean(pairTimes);
  // And with cold CPU caches, as between two requests of a busy service
  // (HTTP, PostgreSQL and other processes on the same cores): a 64 MB
  // buffer is swept before each post, and only the scoring is timed.
  const sweep = new Float64Array(8 * 1024 * 1024);
  let sink = 0;
  const coldTimes: number[] = [];
  for (const text of Array.from({ length: Math.min(REQUESTS, 400) }, nextText)) {
    for (let i = 0; i < sweep.length; i += 8) sink += sweep[i]!++;
    const start = performance.now();
    alone.moderate({ text, id: 'c' });
    coldTimes.push(performance.now() - start);
  }
  const shadowCold = mean(coldTimes) + sink * 0;
  const extraCpu = mean(cpu.shadow) - mean(cpu.baseline);

  const b = [...latency.baseline].sort((x, y) => x - y);
  const s = [...latency.shadow].sort((x, y) => x - y);
  const extraMean = mean(s) - mean(b);
  const extraP50 = quantile(s, 0.5) - quantile(b, 0.5);
  const paired = roundMeans.shadow.map((x, i) => x - roundMeans.baseline[i]!).sort((x, y) => x - y);
  const extraPaired = quantile(paired, 0.5);
  console.log(`live model ${liveRef.version} (models/${LIVE}), shadow model ${shadowRef.version} (models/${SHADOW}); ${ROUNDS} rounds x ${REQUESTS} requests per mode; node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`one client, one request at a time:`);
  console.log(`  baseline (no shadow): mean ${ms(mean(b))}, p50 ${ms(quantile(b, 0.5))}, p99 ${ms(quantile(b, 0.99))}`);
  console.log(`  with the shadow:      mean ${ms(mean(s))}, p50 ${ms(quantile(s, 0.5))}, p99 ${ms(quantile(s, 0.99))}`);
  console.log(`  extra per request:    mean ${ms(extraMean)}, p50 ${ms(extraP50)}  (latency ratio shadow/baseline: mean ${(mean(s) / mean(b)).toFixed(3)}, p50 ${(quantile(s, 0.5) / quantile(b, 0.5)).toFixed(3)})`);
  console.log(`  extra per request, median of the ${paired.length} rounds' paired differences: ${ms(extraPaired)} (rounds: ${paired.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`  the shadow model's scoring alone: ${ms(shadowAlone)} per post; extra/alone: mean ${(extraMean / shadowAlone).toFixed(2)}, p50 ${(extraP50 / shadowAlone).toFixed(2)}`);
  console.log(`  the shadow's scoring next to the live model (in turn, same process, no HTTP): ${ms(shadowNextToLive)} per post; extra/that: mean ${(extraMean / shadowNextToLive).toFixed(2)}`);
  console.log(`  the shadow's scoring alone with cold CPU caches: ${ms(shadowCold)} per post; extra/that: mean ${(extraMean / shadowCold).toFixed(2)}`);
  console.log(
    `CPU of this process per request (service and client): baseline ${ms(mean(cpu.baseline))}, with the shadow ${ms(mean(cpu.shadow))}, extra ${ms(extraCpu)}; the shadow's scoring alone ${ms(mean(aloneCpu))} CPU; extra/alone ${(extraCpu / mean(aloneCpu)).toFixed(2)}`,
  );
  console.log(`${CONNECTIONS} clients at once: baseline ${mean(throughput.baseline).toFixed(0)} req/s, with the shadow ${mean(throughput.shadow).toFixed(0)} req/s (ratio ${(mean(throughput.shadow) / mean(throughput.baseline)).toFixed(3)})`);
  console.log(`failed requests: ${failed}; posts stored with a shadow score: ${shadowed}`);
} finally {
  await service.close();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  await admin.end();
  await rm(tmp, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);
