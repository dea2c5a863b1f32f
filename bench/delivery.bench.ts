// Delivery benchmarks (issue 2), each against a baseline measured in the same run:
//  1. failed requests during a 2-instance rolling deploy under continuous
//     load (autocannon), against the same load with no deploy;
//  2. fast rollback: command start to the endpoint serving the old revision,
//     against a rollback by revert (rebuild) of the same change;
//  3. deploy overhead: total deploy time minus time inside hooks;
//  4. `mod --help` wall time against `node -e 0`.
import autocannon from 'autocannon';
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { FixtureApp, MOD_BIN } from '../test/support/fixture-app.js';

function load(url: string, durationSeconds: number) {
  return autocannon({
    url: `${url}/v1/moderate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'hello there' }),
    connections: 8,
    duration: durationSeconds,
  });
}

type Result = Awaited<ReturnType<typeof load>>;
const failedOf = (r: Result) => r.errors + r.timeouts + r.non2xx;

async function loadWhile(url: string, work: () => Promise<unknown>): Promise<Result> {
  // autocannon runs for a fixed time: start it long, stop it when the work is done.
  let instance!: autocannon.Instance;
  const done = new Promise<Result>((resolve, reject) => {
    // Given a callback, autocannon returns its Instance (which has stop()); without one, only a promise.
    instance = autocannon(
      {
        url: `${url}/v1/moderate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello there' }),
        connections: 8,
        duration: 600,
      },
      (error: unknown, result: Result) => (error ? reject(error) : resolve(result)),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await work();
  await new Promise((resolve) => setTimeout(resolve, 300));
  instance.stop();
  return done;
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function deployJson(app: FixtureApp, args: string[]) {
  const r = await app.json<{ status: string; deploymentId: string; endpoint: string }>(args);
  if (r.body.status !== 'Succeeded') throw new Error(`${args.join(' ')}: ${r.body.status}\n${r.stderr}`);
  return r.body;
}

const app = await FixtureApp.create({ instances: 2, rollout: 'OneAtATime' });
try {
  const first = await deployJson(app, ['deploy', '--env', 'stage']);
  const endpoint = first.endpoint;

  // 1. Rolling deploy under load.
  const steady = await load(endpoint, 5);
  await app.write('VERSION', 'v2\n');
  await app.commit('v2');
  let deployMs = 0;
  const during = await loadWhile(endpoint, async () => {
    const start = performance.now();
    await deployJson(app, ['deploy', '--env', 'stage']);
    deployMs = performance.now() - start;
  });
  console.log('1. rolling deploy of 2 instances under continuous load (autocannon, 8 connections)');
  console.log(`   baseline, no deploy (5 s):     ${steady.requests.total} requests, ${failedOf(steady)} failed, ${steady.requests.average.toFixed(0)} req/s, p99 ${steady.latency.p99} ms`);
  console.log(`   during the deploy (${(deployMs / 1000).toFixed(1)} s):    ${during.requests.total} requests, ${failedOf(during)} failed, ${during.requests.average.toFixed(0)} req/s, p99 ${during.latency.p99} ms`);
  console.log(`   failed requests: ${failedOf(during)} (goal 0); throughput during/steady: ${(during.requests.average / steady.requests.average).toFixed(2)}x`);

  // 2. Fast rollback vs rollback by revert (same change).
  const oldVersionServed = async () => {
    for (;;) {
      const r = await fetch(`${endpoint}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' }).catch(() => undefined);
      if (r?.ok && ((await r.json()) as { modelVersion: string }).modelVersion === 'v1') return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  let start = performance.now();
  const served = oldVersionServed();
  const fast = execa(process.execPath, [MOD_BIN, 'rollback', '--env', 'stage', '--fast', '--json'], { cwd: app.dir, env: { CI: 'true' } });
  const firstOld = (await served) - start;
  await fast;
  const fastTotal = performance.now() - start;

  await app.write('VERSION', 'v3\n');
  await app.commit('v3');
  await deployJson(app, ['deploy', '--env', 'stage']);
  start = performance.now();
  await deployJson(app, ['rollback', '--env', 'stage', '--no-push']);
  const revertTotal = performance.now() - start;
  console.log('2. fast rollback (redeploy the previous bundle, then revert commit)');
  console.log(`   first response from the old revision: ${(firstOld / 1000).toFixed(2)} s after the command started (goal < 2 s)`);
  console.log(`   fast rollback command total:          ${(fastTotal / 1000).toFixed(2)} s`);
  console.log(`   baseline, rollback by revert + build: ${(revertTotal / 1000).toFixed(2)} s  (fast/revert: ${(fastTotal / revertTotal).toFixed(2)}x)`);

  // 3. Deploy overhead: wall time minus time inside hook scripts.
  await app.write('VERSION', 'v4\n');
  await app.commit('v4');
  start = performance.now();
  const v4 = await deployJson(app, ['deploy', '--env', 'stage']);
  const wall = performance.now() - start;
  const history = await app.json<{ deployments: { deploymentId: string; build: { durationMs: number }; instances: { events: { name: string; durationMs: number | null }[] }[] }[] }>(['history', '--env', 'stage', '--limit', '1']);
  const record = history.body.deployments.find((d) => d.deploymentId === v4.deploymentId)!;
  const scriptEvents = new Set(['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService', 'BeforeBlockTraffic', 'AfterBlockTraffic', 'BeforeAllowTraffic', 'AfterAllowTraffic']);
  const inHooks = record.instances
    .flatMap((i) => i.events)
    .filter((e) => scriptEvents.has(e.name))
    .reduce((sum, e) => sum + (e.durationMs ?? 0), 0);
  const inTraffic = record.instances
    .flatMap((i) => i.events)
    .filter((e) => e.name === 'BlockTraffic' || e.name === 'AllowTraffic')
    .reduce((sum, e) => sum + (e.durationMs ?? 0), 0);
  const buildMs = record.build?.durationMs ?? 0;
  console.log('3. deploy overhead (2 instances, OneAtATime, tiny build)');
  console.log(`   wall ${(wall / 1000).toFixed(2)} s = hooks ${(inHooks / 1000).toFixed(2)} s + build ${(buildMs / 1000).toFixed(2)} s + health/drain ${(inTraffic / 1000).toFixed(2)} s + overhead ${((wall - inHooks - buildMs - inTraffic) / 1000).toFixed(2)} s`);
  console.log(`   overhead outside hooks: ${((wall - inHooks) / 1000).toFixed(2)} s (${(((wall - inHooks) / wall) * 100).toFixed(0)}% of the wall time)`);

  // 4. CLI start-up.
  const help = await median(11, () => execa(process.execPath, [MOD_BIN, '--help']));
  const bare = await median(11, () => execa(process.execPath, ['-e', '0']));
  console.log('4. start-up (median of 11)');
  console.log(`   mod --help ${help.toFixed(0)} ms vs node -e 0 ${bare.toFixed(0)} ms: ${(help / bare).toFixed(2)}x (goal <= 2x)`);
} finally {
  await app.dispose();
}
