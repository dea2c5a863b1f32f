// Canary release overhead (issue 12, item 6), against an in-place deploy of
// the same change measured in the same run: two environments of the fixture
// app (2 instances each, OneAtATime), one in-place, one with a canary, get the
// same commits; each deploy's wall time minus its build (the bundle is shared)
// is compared, and the canary's own parts are broken down from its record
// (install of the canary + baseline pair, the judged window, the rest).
// Continuous load runs through each endpoint during its deploys: failed
// requests are counted (goal 0). BENCH_CANARY_SECONDS sets the window (10).
import autocannon from 'autocannon';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeploymentRecord } from '../src/delivery/deployment.js';
import { FixtureApp, EXTERNAL_DATABASE_URL } from '../test/support/fixture-app.js';

const WINDOW = Number(process.env.BENCH_CANARY_SECONDS ?? 10);

// The fixture service with the real service's decision headers (the judge compares decision shares).
const SERVER = `import http from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('../../VERSION', import.meta.url), 'utf8').trim();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') { res.writeHead(200); return res.end('ok'); }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-mod-decision': 'approve' });
    res.end(JSON.stringify({ decision: 'approve', score: 0.01, reasons: [], modelVersion: version }));
  });
});
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 3000).unref(); });
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

const environment = (branch: string, extra = '') => `    branch: ${branch}
    instances: 2
    rollout: OneAtATime
    healthCheck: { intervalSeconds: 0.2, healthyThreshold: 1, timeoutSeconds: 20 }
    local: { drainSeconds: 0.5 }
    databaseUrl: ${EXTERNAL_DATABASE_URL}
${extra}`;

const CONFIG = `app: fixture
environments:
  stage:
${environment('stage')}  canary:
${environment('canary', `    canary: { weight: 25, durationSeconds: ${WINDOW}, minSamples: 50, onMarginal: continue }\n`)}  production:
    branch: master
    instances: 1
    databaseUrl: ${EXTERNAL_DATABASE_URL}
`;

type Result = Awaited<ReturnType<typeof autocannon>>;

function loadWhile(url: string, work: () => Promise<unknown>): Promise<Result> {
  let instance!: autocannon.Instance;
  const done = new Promise<Result>((resolve, reject) => {
    instance = autocannon({ url: `${url}/v1/moderate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello there"}', connections: 8, duration: 900 }, (error: unknown, result: Result) => (error ? reject(error) : resolve(result)));
  });
  return (async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await work();
    instance.stop();
    return done;
  })();
}

const app = await FixtureApp.create({ instances: 2 });
const record = async (env: string, id: string) => JSON.parse(await readFile(path.join(app.dir, '.mod', 'envs', env, 'deployments', `${id}.json`), 'utf8')) as DeploymentRecord;
async function deploy(env: string): Promise<{ wallMs: number; record: DeploymentRecord; endpoint: string }> {
  const start = performance.now();
  const r = await app.json<{ status: string; deploymentId: string; endpoint: string }>(['deploy', '--env', env]);
  const wallMs = performance.now() - start;
  if (r.body.status !== 'Succeeded') throw new Error(`deploy --env ${env}: ${r.body.status}\n${r.stderr}`);
  return { wallMs, record: await record(env, r.body.deploymentId), endpoint: r.body.endpoint };
}
const span = (from?: string, to?: string) => (from && to ? Date.parse(to) - Date.parse(from) : 0);

try {
  await app.write('app/server.js', SERVER);
  await app.write('mod.config.yml', CONFIG);
  await app.commit('bench: two environments, one with a canary');
  await app.git('branch', '-f', 'canary', 'stage');
  const endpoints = { stage: (await deploy('stage')).endpoint, canary: (await deploy('canary')).endpoint };

  const rows: { round: number; inPlace: number; canary: number; pair: number; window: number; failed: { inPlace: number; canary: number }; verdict: string }[] = [];
  for (const round of [1, 2]) {
    await app.write('VERSION', `v${round + 1}\n`);
    await app.commit(`v${round + 1}`);
    await app.git('branch', '-f', 'canary', 'stage');
    // Alternate which goes first: the first one builds, the other reuses the bundle (the build is subtracted anyway).
    const order = round === 1 ? (['stage', 'canary'] as const) : (['canary', 'stage'] as const);
    const results: Partial<Record<'stage' | 'canary', { wallMs: number; record: DeploymentRecord; failed: number }>> = {};
    for (const env of order) {
      let done!: Awaited<ReturnType<typeof deploy>>;
      const load = await loadWhile(endpoints[env], async () => (done = await deploy(env)));
      results[env] = { ...done, failed: load.errors + load.timeouts + load.non2xx };
    }
    const net = (r: { wallMs: number; record: DeploymentRecord }) => r.wallMs - (r.record.build?.durationMs ?? 0);
    const canary = results.canary!.record.canary!;
    rows.push({
      round,
      inPlace: net(results.stage!),
      canary: net(results.canary!),
      pair: span(canary.startedAt, canary.endedAt),
      window: WINDOW * 1000,
      failed: { inPlace: results.stage!.failed, canary: results.canary!.failed },
      verdict: `${canary.verdict?.verdict ?? canary.status} (${canary.verdict?.score ?? '-'})`,
    });
  }
  console.log(`canary release vs in-place deploy of the same change (fixture app, 2 instances, OneAtATime, canary window ${WINDOW} s, weight 25)`);
  for (const r of rows) {
    const overhead = r.canary - r.inPlace;
    console.log(
      `  round ${r.round}: in-place ${(r.inPlace / 1000).toFixed(2)} s, with canary ${(r.canary / 1000).toFixed(2)} s (${(r.canary / r.inPlace).toFixed(2)}x); canary phase ${(r.pair / 1000).toFixed(2)} s = window ${(r.window / 1000).toFixed(0)} s + pair install/judge/teardown ${((r.pair - r.window) / 1000).toFixed(2)} s; overhead beyond the window ${((overhead - r.window) / 1000).toFixed(2)} s; verdict ${r.verdict}; failed requests in-place ${r.failed.inPlace}, canary ${r.failed.canary} (goal 0)`,
    );
  }
} finally {
  // dispose() stops stage and production only.
  await app.mod(['stop', '--env', 'canary', '--yes']).catch(() => {});
  await app.dispose();
}
