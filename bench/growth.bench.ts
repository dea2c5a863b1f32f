// How cost grows (issue 19): each series printed with its growth factor per
// 10x and a flag where it grows faster than linearly (a factor above 12 per
// 10x: linear is 10, and fixed costs keep small sizes below it).
//   training: `mod model train` (the built CLI, a child process under
//     /usr/bin/time -v: wall time and peak RSS) on 1k, 10k and 100k texts
//     made from the repository's training data (growth-data.ts says how);
//   scoring: the shipped model's CPU µs per text against text length, up to
//     the service's MAX_TEXT_LENGTH default (parseServiceConfig);
//   status: `mod status --env stage --json` (growth-status.ts) against the
//     number of instances and of deployments in a local env's history.
//   npm run bench -- growth
//   BENCH_GROWTH_SIZES (training sizes, default 1000,10000,100000),
//   BENCH_GROWTH_STATUS (history sizes, default 10,100,1000; instances 1,10,100),
//   BENCH_GROWTH_ONLY=training|scoring|status
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTrainingSet } from './growth-data.js';
import { statusSeries } from './growth-status.js';
import { dist } from './service-paths.js';
import { loadShippedModerator } from './service-scoring.js';
import { TEXTS } from './service-texts.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.env.BENCH_GROWTH_ONLY;

export interface Point {
  size: number;
  value: number;
}

/** Prints a series with the factor between successive points, scaled to 10x, and a flag above 12. */
export function printSeries(title: string, unit: string, points: Point[]): void {
  console.log(`\n${title}`);
  let previous: Point | undefined;
  for (const p of points) {
    let growth = '';
    if (previous && previous.value > 0) {
      const factor = (p.value / previous.value) ** (1 / Math.log10(p.size / previous.size));
      growth = `  x${factor.toFixed(1)} per 10x${factor > 12 ? '  SUPER-LINEAR' : ''}`;
    }
    console.log(`  ${String(p.size).padStart(8)}  ${p.value.toFixed(p.value < 10 ? 2 : 0).padStart(10)} ${unit}${growth}`);
    previous = p;
  }
}

function parseTime(stderr: string): { seconds: number; maxRssMb: number } {
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!wall || !rss) throw new Error(`could not read /usr/bin/time's report:\n${stderr.slice(-2000)}`);
  return { seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]), maxRssMb: Number(rss[1]) / 1024 };
}

async function training(): Promise<void> {
  const sizes = (process.env.BENCH_GROWTH_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-bench-growth-'));
  try {
    const time: Point[] = [];
    const memory: Point[] = [];
    for (const n of sizes) {
      const file = path.join(dir, `train-${n}.csv`);
      const made = await writeTrainingSet(file, n);
      const r = runMeasured(['model', 'train', '--data', file, '--out', dir, '--name', `m-${n}`, '--force'], dir);
      console.log(`  trained on ${n} texts (${made.base} distinct repository texts, ${made.varied} varied copies): ${r.seconds.toFixed(1)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`);
      time.push({ size: n, value: r.seconds });
      memory.push({ size: n, value: r.maxRssMb });
    }
    printSeries('mod model train: wall seconds by number of texts', 's', time);
    printSeries('mod model train: peak RSS by number of texts', 'MB', memory);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs mod under /usr/bin/time -v and reads its report (exit 0 or, for status, 1). */
export function runMeasured(args: string[], cwd: string): { seconds: number; maxRssMb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, path.join(root, 'bin', 'mod.js'), ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0 && !(r.status === 1 && args[0] === 'status')) throw new Error(`mod ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
  return { stdout: r.stdout, ...parseTime(r.stderr) };
}

async function scoring(): Promise<void> {
  const { parseServiceConfig } = (await import(path.join(dist, 'service', 'config.js'))) as typeof import('../src/service/config.js');
  const limit = parseServiceConfig({}).maxTextLength;
  const moderator = await loadShippedModerator();
  // Texts of each length: the benchmark's eight texts joined in turn (with a space), cut at the length.
  const joined = Array.from({ length: Math.ceil(limit / 20) }, (_, i) => TEXTS[i % TEXTS.length]).join(' ');
  const lengths: number[] = [];
  for (let n = 10; n <= limit; n *= 10) lengths.push(n);
  if (lengths.at(-1) !== limit) lengths.push(limit);
  const points: Point[] = [];
  for (const n of lengths) {
    const texts = Array.from({ length: 8 }, (_, k) => (joined.slice(k * 7) + joined).slice(0, n));
    const passes = Math.max(3, Math.round(20_000 / n));
    const pass = () => {
      for (let p = 0; p < passes; p++) for (const [k, text] of texts.entries()) moderator.moderate({ text, id: `g-${k}` });
    };
    pass();
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const before = process.cpuUsage();
      pass();
      const used = process.cpuUsage(before);
      times.push((used.user + used.system) / (passes * texts.length));
    }
    times.sort((a, b) => a - b);
    points.push({ size: n, value: times[2]! });
  }
  printSeries(`scoring (shipped model, in process): CPU µs per text by length in characters, up to MAX_TEXT_LENGTH ${limit}`, 'µs', points);
}

console.log(`node ${process.version}; ${os.cpus().length} cores; the built CLI (dist/) in child processes`);
if (!only || only === 'scoring') await scoring();
if (!only || only === 'training') await training();
if (!only || only === 'status') await statusSeries(runMeasured, printSeries);
