// Issue 12 (items 2 and 4, "Done when") through bin/mod.js with requests
// running the whole time, none failing: a first deploy skips the canary and
// says so; a harmless change passes its canary (a canary of the new revision
// and a fresh baseline of the current one, judged) and rolls out; a release
// whose service rejects far more posts fails by metric decision.reject,
// exits 1 with CANARY_FAILED and leaves the fleet on its revision; and a
// Marginal verdict with onMarginal: pause waits for `mod approve`.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import { FixtureApp, MOD_BIN, postModerate } from '../support/fixture-app.js';

/** The fixture's service, answering with the decision headers the real service sets, rejecting `rejectPercent`% of posts. */
const server = (rejectPercent: number) => `// Test service with the real service's decision headers; rejects ${rejectPercent}% of posts.
import http from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync(new URL('../../VERSION', import.meta.url), 'utf8').trim();
let n = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ status: 'ok', version }));
  }
  if (req.method === 'POST' && req.url === '/v1/moderate') {
    req.resume();
    req.on('end', () => {
      const reject = n++ % 100 < ${rejectPercent};
      const decision = reject ? 'reject' : 'approve';
      res.writeHead(200, { 'content-type': 'application/json', 'x-mod-decision': decision, ...(reject ? { 'x-mod-category': 'spam' } : {}) });
      res.end(JSON.stringify({ decision, score: reject ? 0.99 : 0.01, reasons: [], modelVersion: version }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 2000;
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 3000).unref(); });
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
`;

const CANARY = `    canary:
      weight: 25
      durationSeconds: 3
      minSamples: 20
      onMarginal: fail
`;

interface Traffic {
  stop(): Promise<{ ok: number; failed: string[]; versions: Set<string> }>;
}

/** Four clients posting through the endpoint until stopped. */
function traffic(endpoint: string): Traffic {
  const seen = { ok: 0, failed: [] as string[], versions: new Set<string>() };
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const r = await postModerate(endpoint, 'continuous');
        if (r.status === 200) {
          seen.ok++;
          seen.versions.add(String(r.body.modelVersion));
        } else seen.failed.push(`HTTP ${r.status}`);
      } catch (error) {
        seen.failed.push(String((error as Error).cause ?? error));
      }
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 200));
      running = false;
      await Promise.all(workers);
      return seen;
    },
  };
}

describe('canary releases on the local provider through bin/mod.js (issue 12.2, 12.4)', () => {
  let app: FixtureApp;
  let endpoint: string;
  const record = async (deploymentId: string) => JSON.parse(await readFile(path.join(app.dir, '.mod', 'envs', 'stage', 'deployments', `${deploymentId}.json`), 'utf8')) as DeploymentRecord;

  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 2, rollout: 'OneAtATime', extra: CANARY });
    await app.write('app/server.js', server(0));
    await app.commit('Service with decision headers');
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('issue 12.4: a first deploy has nothing to compare with: the canary is skipped, and says so', async () => {
    const first = await app.json<{ status: string; deploymentId: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.body.status).toBe('Succeeded');
    endpoint = first.body.endpoint;
    expect((await record(first.body.deploymentId)).canary).toMatchObject({ status: 'Skipped', note: expect.stringMatching(/first deploy/) });
  });

  it('issue 12.2: a harmless change passes its canary with requests running (none failing), then rolls out', async () => {
    await app.write('VERSION', 'v2\n');
    await app.commit('v2: harmless');
    const load = traffic(endpoint);
    const deploy = await app.json<{ status: string; deploymentId: string }>(['deploy', '--env', 'stage']);
    const seen = await load.stop();
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    const canary = (await record(deploy.body.deploymentId)).canary!;
    expect(canary).toMatchObject({ status: 'Judged', outcome: 'continued', canaryInstances: ['i-canary-1'], baselineInstances: ['i-baseline-1'] });
    expect(canary.verdict?.verdict, canary.verdict?.reason).toBe('Pass');
    expect(canary.live!.canary.requests).toBeGreaterThanOrEqual(20);
    expect(canary.live!.baseline.requests).toBeGreaterThanOrEqual(20);
    expect(seen.failed).toEqual([]);
    expect([...seen.versions].sort()).toEqual(['v1', 'v2']);
  });

  it('issue 12.4: a release that rejects far more posts fails by decision.reject (exit 1, CANARY_FAILED) and the fleet keeps its revision', async () => {
    await app.write('app/server.js', server(60));
    await app.write('VERSION', 'v3\n');
    await app.commit('v3: a model that rejects most posts');
    const load = traffic(endpoint);
    const deploy = await app.json<{ status: string; deploymentId: string; error: { code: string; message: string } }>(['deploy', '--env', 'stage']);
    const seen = await load.stop();
    expect(deploy.exitCode, deploy.stderr).toBe(1);
    expect(deploy.body.status).toBe('Failed');
    expect(deploy.body.error.code).toBe('CANARY_FAILED');
    expect(deploy.body.error.message).toMatch(/decision\.reject/);
    const canary = (await record(deploy.body.deploymentId)).canary!;
    expect(canary.outcome).toBe('rolled-back');
    expect(canary.verdict!.metrics.find((m) => m.name === 'decision.reject')).toMatchObject({ verdict: 'fail' });
    expect(seen.failed).toEqual([]);
    // The canary's share is gone: only the fleet's v2 answers now.
    const after = await Promise.all(Array.from({ length: 8 }, () => postModerate(endpoint)));
    expect(new Set(after.map((r) => r.body.modelVersion))).toEqual(new Set(['v2']));
    expect(new Set(after.map((r) => r.instance))).toEqual(new Set(['i-local-1', 'i-local-2']));
  });

  it('issue 12.4: a fast rollback never waits for analysis: its canary is skipped, and says so', async () => {
    // The failed v3 is taken off the branch first, so the rollback's revert of v2 applies cleanly.
    await app.git('revert', '--no-edit', 'HEAD');
    const rollback = await app.mod(['rollback', '--env', 'stage', '--fast', '--no-push', '--yes', '--json']);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    const result = JSON.parse(rollback.stdout) as { status: string; deploymentId: string };
    expect(result.status).toBe('Succeeded');
    expect((await record(result.deploymentId)).canary).toMatchObject({ status: 'Skipped', note: expect.stringMatching(/fast rollback/) });
    expect(rollback.stderr).toMatch(/fast rollback: no canary analysis/);
  });
});

describe('a Marginal canary paused for mod approve, through bin/mod.js (issue 12.4)', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    // minSamples far above what 2 s of traffic gives: insufficient data is Marginal (never Pass), and onMarginal pauses.
    app = await FixtureApp.create({ instances: 1, extra: CANARY.replace('minSamples: 20', 'minSamples: 1000000').replace('onMarginal: fail', 'onMarginal: pause').replace('durationSeconds: 3', 'durationSeconds: 1') });
    await app.write('app/server.js', server(0));
    await app.commit('Service with decision headers');
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('issue 12.4: in CI (no terminal) a paused canary cannot be answered: it fails instead of waiting', async () => {
    const first = await app.json<{ status: string }>(['deploy', '--env', 'stage']);
    expect(first.body.status).toBe('Succeeded');
    await app.write('VERSION', 'v2\n');
    await app.commit('v2');
    const ci = await app.json<{ status: string; error: { code: string; message: string } }>(['deploy', '--env', 'stage']);
    expect(ci.exitCode).toBe(1);
    expect(ci.body).toMatchObject({ status: 'Failed', error: { code: 'CANARY_FAILED' } });
    expect(ci.body.error.message).toContain('not interactive');
  });

  it('issue 12.4: from a terminal the deploy waits, mod approve sees the paused canary and answers it, and the rollout goes on', async () => {
    const before = await app.mod(['approve', '--env', 'stage', '--summary', 'nothing to approve yet', '--yes']);
    expect(before.exitCode).toBe(2);
    // A real pseudo-terminal (script(1)), not CI: someone could answer, so the canary pauses.
    const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'CI' && v !== undefined)) as Record<string, string>;
    env.TERM = 'dumb';
    const deploy = execa('script', ['-qec', `stty cols 160 rows 40; ${process.execPath} ${MOD_BIN} deploy --env stage`, '/dev/null'], { cwd: app.dir, env, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });
    let approved: Awaited<ReturnType<FixtureApp['mod']>> | undefined;
    for (let i = 0; i < 300 && !approved; i++) {
      const attempt = await app.mod(['approve', '--env', 'stage', '--summary', 'too little traffic on stage to judge; fine by me', '--yes', '--json']);
      if (attempt.exitCode === 0) approved = attempt;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(approved, 'mod approve never found the paused canary').toBeDefined();
    expect(JSON.parse(approved!.stdout)).toMatchObject({ status: 'Approved', stageName: 'canary' });
    const done = await deploy;
    expect(done.exitCode, done.stdout).toBe(0);
    const history = await app.json<{ deployments: { deploymentId: string; status: string }[] }>(['history', '--env', 'stage']);
    const latest = history.body.deployments[0]!;
    expect(latest.status).toBe('Succeeded');
    const record = JSON.parse(await readFile(path.join(app.dir, '.mod', 'envs', 'stage', 'deployments', `${latest.deploymentId}.json`), 'utf8')) as DeploymentRecord;
    expect(record.canary).toMatchObject({ status: 'Judged', outcome: 'approved', verdict: { verdict: 'Marginal' }, answer: { approved: true, summary: 'too little traffic on stage to judge; fine by me' } });
  });
});
