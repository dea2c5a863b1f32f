// Blue/green fast rollback (issue 12, required item 6, first half): the real
// service (a clone of this repo's committed HEAD, its own buildspec.yml,
// appspec.yml and hooks, the embedded PGlite) deployed locally to two
// environments from the same commits, one `deploymentType: blue-green` and
// one in-place (the baseline, in the same run). Each gets commit 1, then a
// harmless commit 2, then `mod rollback --fast`, timed from command start
// until the endpoint's /healthz answers with commit 1's revision, with
// requests running through the endpoint the whole time (failures counted).
// Prints both times and their ratio.
//
//   npm run bench -- bluegreen                 the real service (builds it twice: minutes)
//   BENCH_APP=fixture npm run bench -- bluegreen   the tiny fixture app instead (seconds)
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runningRevisionOf } from '../src/delivery/providers/local/local-status.js';
import { FixtureApp, MOD_BIN, REPO_ROOT } from '../test/support/fixture-app.js';

const useFixture = process.env.BENCH_APP === 'fixture';
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 2);

/** Where mod runs: a temp repository with both environments in its committed mod.config.yml. */
interface Repo {
  dir: string;
  mod(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  git(...args: string[]): Promise<string>;
  dispose(): Promise<void>;
}

function environments(extra: string): string {
  return `  bg:
    branch: bg
    instances: ${INSTANCES}
    rollout: OneAtATime
    deploymentType: blue-green
    blueGreen: { terminationWaitSeconds: 600 }
${extra}  inplace:
    branch: inplace
    instances: ${INSTANCES}
    rollout: OneAtATime
${extra}`;
}

async function realServiceRepo(): Promise<Repo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-bench-bg-'));
  await execa('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, dir]);
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  await git('config', 'user.name', 'Bench');
  await git('config', 'user.email', 'bench@example.com');
  await writeFile(path.join(dir, 'mod.config.yml'), `app: mod\nenvironments:\n${environments('    hookTimeoutSeconds: 300\n    autoRollback: true\n')}`);
  await git('add', 'mod.config.yml');
  await git('commit', '-q', '-m', 'bench: a blue/green and an in-place environment');
  return {
    dir,
    git,
    mod: async (args) => {
      const r = await execa(process.execPath, [MOD_BIN, ...args], { cwd: dir, reject: false, env: { CI: 'true' }, timeout: 900_000 });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    dispose: async () => {
      for (const env of ['bg', 'inplace']) await execa(process.execPath, [MOD_BIN, 'stop', '--env', env], { cwd: dir, reject: false, env: { CI: 'true' } });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function fixtureRepo(): Promise<Repo> {
  const app = await FixtureApp.create({});
  const health = '    healthCheck: { intervalSeconds: 0.2, healthyThreshold: 1, timeoutSeconds: 20 }\n    local: { drainSeconds: 0.5 }\n    hookTimeoutSeconds: 120\n';
  await app.write('mod.config.yml', `app: fixture\nenvironments:\n${environments(health)}`);
  await app.commit('bench: a blue/green and an in-place environment');
  return {
    dir: app.dir,
    git: (...args) => app.git(...args),
    mod: async (args) => {
      const r = await execa(process.execPath, [MOD_BIN, ...args], { cwd: app.dir, reject: false, env: { CI: 'true' }, timeout: 900_000 });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    dispose: () => app.dispose(),
  };
}

async function deploy(repo: Repo, env: string): Promise<{ endpoint: string; ms: number; build: number }> {
  const start = performance.now();
  const r = await repo.mod(['deploy', '--env', env, '--json']);
  const ms = performance.now() - start;
  const body = JSON.parse(r.stdout || '{}') as { status?: string; endpoint?: string; build?: { durationMs?: number } };
  if (body.status !== 'Succeeded') throw new Error(`deploy --env ${env}: ${body.status ?? `exit ${r.exitCode}`}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  return { endpoint: body.endpoint!, ms, build: body.build?.durationMs ?? 0 };
}

async function runningCommit(endpoint: string): Promise<string | null> {
  try {
    const response = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(1000) });
    return runningRevisionOf((await response.json()) as Record<string, unknown>).commit;
  } catch {
    return null;
  }
}

/**
 * Requests through the endpoint until stopped (GET /healthz: the real
 * service's POST needs a token): 4 clients, each waiting BENCH_PACE_MS
 * (default 25; 0 = back to back, which saturates 2 cores) between requests.
 */
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 25);
function traffic(endpoint: string) {
  let running = true;
  const counts = { ok: 0, failed: 0 };
  const worker = async () => {
    while (running) {
      try {
        const r = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await r.arrayBuffer();
        if (r.ok) counts.ok++;
        else counts.failed++;
      } catch {
        counts.failed++;
      }
      if (PACE_MS > 0) await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return async () => {
    running = false;
    await Promise.all(workers);
    return counts;
  };
}

/** `mod rollback --fast` timed from command start until the endpoint answers with `commit`, under load. */
async function fastRollback(repo: Repo, env: string, endpoint: string, commit: string) {
  const stop = traffic(endpoint);
  const start = performance.now();
  const command = repo.mod(['rollback', '--env', env, '--fast', '--no-push', '--json']);
  let answeredMs: number | undefined;
  let done = false;
  void command.finally(() => (done = true));
  while (answeredMs === undefined) {
    if ((await runningCommit(endpoint)) === commit) answeredMs = performance.now() - start;
    else if (done && performance.now() - start > 60_000) break;
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const r = await command;
  const totalMs = performance.now() - start;
  const counts = await stop();
  const body = JSON.parse(r.stdout || '{}') as { status?: string; deploymentId?: string };
  if (body.status !== 'Succeeded' || answeredMs === undefined) throw new Error(`rollback --fast --env ${env}: ${body.status ?? `exit ${r.exitCode}`}\n${r.stderr.slice(-3000)}`);
  return { answeredMs, totalMs, ...counts };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const repo = useFixture ? await fixtureRepo() : await realServiceRepo();
console.log(`${useFixture ? 'fixture app' : 'the real service (a clone of this repo)'}, ${INSTANCES} instances per environment, 4 clients ${PACE_MS ? `pausing ${PACE_MS} ms between requests` : 'back to back'}, in ${repo.dir}`);
try {
  const c1 = (await repo.git('rev-parse', 'HEAD')).trim();
  await repo.git('branch', 'bg');
  await repo.git('branch', 'inplace');
  const first = { bg: await deploy(repo, 'bg'), inplace: await deploy(repo, 'inplace') };
  console.log(`commit 1 deployed: blue/green ${s(first.bg.ms)} (build ${s(first.bg.build)}), in-place ${s(first.inplace.ms)} (build ${s(first.inplace.build)}, reused)`);

  // A harmless change in the bundle (a new tree, so a second build).
  await writeFile(path.join(repo.dir, 'scripts', 'bench-marker.txt'), `bench ${new Date().toISOString()}\n`);
  await repo.git('add', 'scripts/bench-marker.txt');
  await repo.git('commit', '-q', '-m', 'bench: a harmless change');
  const c2 = (await repo.git('rev-parse', 'HEAD')).trim();
  for (const branch of ['bg', 'inplace']) await repo.git('branch', '-f', branch, c2);
  const second = { bg: await deploy(repo, 'bg'), inplace: await deploy(repo, 'inplace') };
  console.log(`commit 2 deployed: blue/green ${s(second.bg.ms)} (build ${s(second.bg.build)}), in-place ${s(second.inplace.ms)}`);

  const bg = await fastRollback(repo, 'bg', second.bg.endpoint, c1);
  const inplace = await fastRollback(repo, 'inplace', second.inplace.endpoint, c1);
  console.log('');
  console.log('rollback --fast, command start to the old revision answering on the endpoint:');
  console.log(`  blue/green (re-route to the kept fleet): ${s(bg.answeredMs)} (command total ${s(bg.totalMs)}; requests ${bg.ok} ok, ${bg.failed} failed)`);
  console.log(`  in-place (reinstall, baseline):          ${s(inplace.answeredMs)} (command total ${s(inplace.totalMs)}; requests ${inplace.ok} ok, ${inplace.failed} failed)`);
  console.log(`  ratio in-place / blue-green: ${(inplace.answeredMs / bg.answeredMs).toFixed(1)}x; goal: blue/green under 2 s: ${bg.answeredMs < 2000 ? 'met' : 'NOT met'}`);
} finally {
  await repo.dispose();
}
