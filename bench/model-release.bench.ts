// Model release and rollback time (issue 13): the real service (this
// checkout's dist/, appspec.yml hooks, migrations and models; the repository
// of test/support/real-service-repo.ts, backed by this machine's PostgreSQL)
// deployed locally on 2 instances, with 4 clients posting to /v1/moderate
// through the endpoint the whole time (failures counted). Each round times,
// from command start until every instance reports it on its /healthz:
//   (a) `mod model release` (no canary) of models/baseline over the live models/default,
//   (b) `mod model rollback` back to models/default,
//   (c) the baseline, in the same run: a code `mod deploy` of a one-line
//       change (what shipping a model inside a code build costs today; the
//       build here only copies dist/, so a real `npm ci` build comes on top).
// Prints each round, the medians and the ratios deploy / release, deploy / rollback.
//
//   npm run bench -- model-release     BENCH_ROUNDS (3), BENCH_PACE_MS (10: the clients' pause)
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runningRevisionOf } from '../src/delivery/providers/local/local-status.js';
import { createTestDatabase } from '../test/store/test-database.js';
import { configYaml, createRealServiceRepo, traffic, versionOf, type RealServiceRepo } from '../test/support/real-service-repo.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 10);

interface Timed {
  /** Command start to every instance reporting the target. */
  reachedMs: number;
  /** Command start to the env's model pointer naming another release (model commands only). */
  pointerMs?: number;
  /** Command start to the command's exit. */
  totalMs: number;
  ok: number;
  failed: number;
  failures: string[];
}

/** Runs `args` under traffic, timing until `reached(health of every instance)` holds for all of them. */
async function timed(repo: RealServiceRepo, endpoint: string, args: string[], reached: (health: Record<string, unknown>) => boolean): Promise<Timed & { body: Record<string, unknown> }> {
  const load = traffic(endpoint, { pauseMs: PACE_MS });
  const start = performance.now();
  let done = false;
  const command = repo.json<Record<string, unknown>>(args, { timeout: 900_000 }).finally(() => (done = true));
  let reachedMs: number | undefined;
  let pointerMs: number | undefined;
  const pointerFile = path.join(repo.dir, '.mod', 'envs', 'stage', 'models', 'pointer.json');
  const pointerId = () =>
    readFile(pointerFile, 'utf8').then(
      (text) => (JSON.parse(text) as { releaseId?: string }).releaseId ?? null,
      () => null,
    );
  const before = await pointerId();
  while (reachedMs === undefined) {
    if (pointerMs === undefined && args[0] === 'model' && (await pointerId()) !== before) pointerMs = performance.now() - start;
    const health = Object.values(await repo.instanceHealth('stage'));
    if (health.length > 0 && health.every((h) => h !== null && reached(h))) reachedMs = performance.now() - start;
    else if (done && performance.now() - start > 300_000) break;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const run = await command;
  const totalMs = performance.now() - start;
  const seen = await load.stop();
  if (run.exitCode !== 0 || run.body.status !== 'Succeeded' || reachedMs === undefined) throw new Error(`mod ${args.join(' ')}: ${String(run.body.status)} (exit ${run.exitCode})\n${JSON.stringify(run.body).slice(0, 2000)}\n${run.stderr.slice(-3000)}`);
  return { reachedMs, pointerMs, totalMs, ok: seen.ok, failed: seen.failed.length, failures: seen.failed.slice(0, 5), body: run.body };
}

const modelIs = (version: string) => (health: Record<string, unknown>) => (health.model as { version?: string } | undefined)?.version === version;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const db = await createTestDatabase('postgres');
const repo = await createRealServiceRepo(configYaml(db.url, { variables: { REVIEW_SECOND_OPINION_SHARE: 0 } }), 'mod-bench-model-');
const live = path.join(repo.dir, 'models', 'default');
const candidate = path.join(repo.dir, 'models', 'baseline');
try {
  const liveVersion = await versionOf(live);
  const candidateVersion = await versionOf(candidate);
  console.log(`the real service, 2 local instances (OneAtATime), PostgreSQL at ${db.url.replace(/\?.*/, '')}, 4 clients POSTing /v1/moderate pausing ${PACE_MS} ms, ${ROUNDS} rounds, in ${repo.dir}`);
  const first = await repo.json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage'], { timeout: 900_000 });
  if (first.body.status !== 'Succeeded') throw new Error(`first deploy: ${first.body.status}\n${first.stderr.slice(-3000)}`);
  const endpoint = first.body.endpoint;
  // Pin the bundled model as released, so each rollback is one pointer to another (as it is past the first release).
  const pin = await repo.json<{ status: string }>(['model', 'release', '--env', 'stage', '--model', live]);
  if (pin.body.status !== 'Succeeded') throw new Error(`pinning ${liveVersion}: ${pin.body.status}\n${pin.stderr.slice(-3000)}`);

  const rows: { release: Timed; rollback: Timed; deploy: Timed & { buildMs: number } }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // models/baseline is an older model: the gate refuses it, which is not what is measured.
    const release = await timed(repo, endpoint, ['model', 'release', '--env', 'stage', '--model', candidate, '--override', 'model', '--reason', 'bench'], modelIs(candidateVersion));
    const rollback = await timed(repo, endpoint, ['model', 'rollback', '--env', 'stage'], modelIs(liveVersion));
    await repo.git('checkout', '-q', 'stage');
    const marker = path.join('scripts', 'bench-marker.txt');
    await writeFile(path.join(repo.dir, marker), `bench round ${round} ${new Date().toISOString()}\n`);
    await repo.git('add', marker);
    await repo.git('commit', '-q', '-m', `bench: a one-line change (round ${round})`);
    const commit = (await repo.git('rev-parse', 'HEAD')).trim();
    const deploy = await timed(repo, endpoint, ['deploy', '--env', 'stage'], (h) => runningRevisionOf(h).commit === commit);
    // The deploy's JSON has no build figures: its history record does.
    const history = await repo.json<{ deployments: { deploymentId: string; build?: { durationMs: number; reused: boolean } | null }[] }>(['history', '--env', 'stage', '--limit', '10']);
    const buildMs = history.body.deployments.find((d) => d.deploymentId === deploy.body.deploymentId)?.build?.durationMs ?? Number.NaN;
    rows.push({ release, rollback, deploy: { ...deploy, buildMs } });
    console.log(
      `round ${round}: release ${s(release.reachedMs)} (pointer written at ${s(release.pointerMs ?? Number.NaN)}, command ${s(release.totalMs)}; ${release.ok} ok, ${release.failed} failed), rollback ${s(rollback.reachedMs)} (pointer at ${s(rollback.pointerMs ?? Number.NaN)}, command ${s(rollback.totalMs)}; ${rollback.ok} ok, ${rollback.failed} failed), code deploy ${s(deploy.reachedMs)} (command ${s(deploy.totalMs)}, build ${s(buildMs)}; ${deploy.ok} ok, ${deploy.failed} failed)`,
    );
    for (const failure of [...release.failures, ...rollback.failures, ...deploy.failures]) console.log(`  failed: ${failure}`);
  }
  const m = {
    release: median(rows.map((r) => r.release.reachedMs)),
    rollback: median(rows.map((r) => r.rollback.reachedMs)),
    deploy: median(rows.map((r) => r.deploy.reachedMs)),
    build: median(rows.map((r) => r.deploy.buildMs)),
    releaseSwap: median(rows.map((r) => r.release.reachedMs - (r.release.pointerMs ?? Number.NaN))),
    rollbackSwap: median(rows.map((r) => r.rollback.reachedMs - (r.rollback.pointerMs ?? Number.NaN))),
  };
  const failed = (k: 'release' | 'rollback' | 'deploy') => `${rows.reduce((n, r) => n + r[k].failed, 0)} of ${rows.reduce((n, r) => n + r[k].ok + r[k].failed, 0)}`;
  console.log('');
  console.log(`medians over ${ROUNDS} rounds, command start to every instance reporting it:`);
  console.log(`  mod model release (${candidateVersion}, no canary): ${s(m.release)} (of it, pointer written to every instance reporting: ${s(m.releaseSwap)}); failed requests ${failed('release')}`);
  console.log(`  mod model rollback (to ${liveVersion}):           ${s(m.rollback)} (pointer to every instance: ${s(m.rollbackSwap)}); failed requests ${failed('rollback')}`);
  console.log(`  baseline: mod deploy of a one-line change:        ${s(m.deploy)} (build ${s(m.build)} of it: a copy of dist/); failed requests ${failed('deploy')}`);
  console.log(`  ratio deploy / release: ${(m.deploy / m.release).toFixed(1)}x; deploy / rollback: ${(m.deploy / m.rollback).toFixed(1)}x`);
} finally {
  await repo.dispose();
  await db.drop();
}
