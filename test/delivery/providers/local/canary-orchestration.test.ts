// The local canary's orchestration (issue 12.2 and 12.4) with real HTTP on
// loopback: the endpoint is the real load balancer (weights, sampling), the
// fleet, the canary and the baseline are real servers that answer with the
// service's decision headers, requests run the whole time, and the verdict
// comes from the real judge; only the installing is a stand-in (no revision
// is built): it starts the instance's server and registers it, as
// AllowTraffic does.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanarySettings, CanaryVerdict, RequestSample } from '../../../../src/delivery/canary/canary-types.js';
import { judgeCanary } from '../../../../src/delivery/canary/judge.js';
import { newDeploymentRecord, type DeploymentRecord } from '../../../../src/delivery/deployment.js';
import type { DeliveryEvent } from '../../../../src/delivery/events.js';
import { LifecycleEventFailedError } from '../../../../src/delivery/providers/local/codedeploy-agent.js';
import { DeploymentHistory } from '../../../../src/delivery/providers/local/deployment-history.js';
import { answerPausedCanary, canaryAnswerFile, pausedCanary, runCanary, runLocalCanary, waitForCanaryAnswer, type CanaryEndpoint, type CanaryRun } from '../../../../src/delivery/providers/local/local-canary.js';
import { freePort, type LocalInstance } from '../../../../src/delivery/providers/local/local-instances.js';
import { LoadBalancer } from '../../../../src/delivery/providers/local/load-balancer.js';
import { StatePaths } from '../../../../src/delivery/state-paths.js';
import { resolveEnvironment, ConfigSchema } from '../../../../src/delivery/config.js';

const SETTINGS: CanarySettings = { weight: 25, durationSeconds: 2, minSamples: 20, thresholds: { pass: 90, marginal: 75 }, onMarginal: 'pause' };

/** A stand-in of the service: approves everything, or rejects `rejectShare` of the posts (a bad model). */
function service(rejectShare = 0): http.RequestListener {
  let n = 0;
  return (req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200).end('ok');
    req.resume();
    req.on('end', () => {
      n++;
      const reject = rejectShare > 0 && n % 100 < rejectShare * 100;
      const decision = reject ? 'reject' : 'approve';
      res.writeHead(200, { 'content-type': 'application/json', 'x-mod-decision': decision, ...(reject ? { 'x-mod-category': 'spam' } : {}) });
      res.end(JSON.stringify({ decision }));
    });
  };
}

let dir: string;
let lb: LoadBalancer;
let endpointUrl: string;
const servers = new Map<string, http.Server>();
let stopTraffic: () => Promise<number[]>;

async function listen(handler: http.RequestListener, port = 0): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}` };
}

async function healthy(id: string): Promise<void> {
  for (let i = 0; i < 200 && lb.get(id)?.state !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 10));
  if (lb.get(id)?.state !== 'healthy') throw new Error(`${id} never became healthy`);
}

/** The real load balancer behind the contract the canary codes against (the host's control API in production). */
function endpointOf(balancer: LoadBalancer): CanaryEndpoint {
  return {
    targets: async () => balancer.list(),
    register: async (id, url) => balancer.register(id, url),
    deregister: (id) => balancer.deregister(id),
    waitHealthy: (id) => healthy(id),
    setWeights: async (weights) => balancer.setWeights(weights),
    clearWeights: async () => balancer.clearWeights(),
    startSampling: async (groups) => balancer.startSampling(groups),
    takeSamples: async () => balancer.takeSamples().samples,
    stopSampling: async () => balancer.stopSampling(),
  };
}

/** Requests four at a time until stopped; resolves with every status seen. */
function startTraffic(): () => Promise<number[]> {
  const statuses: number[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const res = await fetch(`${endpointUrl}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' }).catch(() => undefined);
      statuses.push(res?.status ?? 0);
      await res?.text();
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  return async () => {
    running = false;
    await Promise.all(workers);
    return statuses;
  };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-canary-'));
  lb = new LoadBalancer({ healthPath: '/healthz', intervalMs: 50, healthyThreshold: 1, unhealthyThreshold: 2, drainMs: 500 });
  lb.start();
  const front = await listen(lb.handle);
  servers.set('endpoint', front.server);
  endpointUrl = front.url;
  const fleet = await listen(service());
  servers.set('i-local-1', fleet.server);
  lb.register('i-local-1', fleet.url);
  await healthy('i-local-1');
  stopTraffic = startTraffic();
});

afterEach(async () => {
  await stopTraffic();
  lb.stop();
  await Promise.all([...servers.values()].map((s) => new Promise((resolve) => s.close(resolve))));
  servers.clear();
  await rm(dir, { recursive: true, force: true });
});

function newRecord(): DeploymentRecord {
  return newDeploymentRecord({ environment: { name: 'stage' }, commit: { commit: 'b'.repeat(40), subject: 'change', author: 'Alice' }, initiator: 'alice' }, 'local', 'd-20260101T000000-canary');
}

interface Harness {
  run: CanaryRun;
  events: DeliveryEvent[];
  removed: string[];
  history: DeploymentHistory;
  controller: AbortController;
}

function harness(options: { canaryRejects?: number; settings?: Partial<CanarySettings>; judge?: CanaryRun['judge']; failInstall?: 'canary' | 'baseline' } = {}): Harness {
  const events: DeliveryEvent[] = [];
  const removed: string[] = [];
  const history = new DeploymentHistory(path.join(dir, 'deployments'));
  const controller = new AbortController();
  const record = newRecord();
  const run: CanaryRun = {
    settings: { ...SETTINGS, ...options.settings },
    environment: 'stage',
    record,
    save: () => history.save(record),
    events: (e) => events.push(e),
    signal: controller.signal,
    endpoint: endpointOf(lb),
    baselineCommit: 'a'.repeat(40),
    launch: async (role) => {
      const id = `i-${role}-1`;
      return { id, dir: path.join(dir, id), root: path.join(dir, id, 'root'), port: await freePort(), createdAt: new Date().toISOString() } satisfies LocalInstance;
    },
    install: async (instance, role, into) => {
      if (options.failInstall === role) {
        into.status = 'Failed';
        const event = into.events.find((e) => e.name === 'ApplicationStart')!;
        Object.assign(event, { status: 'Failed', exitCode: 1, logTail: ['boom'] });
        return { record: into, failure: new LifecycleEventFailedError(instance.id, 'ApplicationStart', 'script exited with 1', event) };
      }
      const started = await listen(service(role === 'canary' ? (options.canaryRejects ?? 0) : 0), instance.port);
      servers.set(instance.id, started.server);
      await run.endpoint.register(instance.id, started.url);
      await run.endpoint.waitHealthy(instance.id, 5000);
      into.status = 'Succeeded';
      return { record: into };
    },
    remove: async (instance) => {
      removed.push(instance.id);
      const server = servers.get(instance.id);
      servers.delete(instance.id);
      if (server) await new Promise((resolve) => server.close(resolve));
    },
    judge: options.judge ?? judgeCanary,
    waitForAnswer: (signal) => waitForCanaryAnswer(canaryAnswerFile(new StatePaths(dir), 'stage'), record.deploymentId, signal, 50),
    sampleEveryMs: 250,
  };
  return { run, events, removed, history, controller };
}

/** After every canary: the fleet alone is routed, round-robin again, nothing sampled. */
function expectFleetAlone(): void {
  expect(lb.list().map((t) => t.id)).toEqual(['i-local-1']);
  expect(lb.getWeights()).toBeUndefined();
}

const marginal: CanaryVerdict = { verdict: 'Marginal', score: 80, thresholds: { pass: 90, marginal: 75 }, metrics: [], reason: 'score 80 is below pass 90' };
const fixedJudge = (verdict: CanaryVerdict) => (_samples: RequestSample[]) => verdict;

describe('local canary orchestration (issue 12.2, 12.4)', () => {
  it('issue 12.2: a canary and a fresh baseline each take their share of live traffic; a harmless change passes and the rollout may go on', async () => {
    const { run, events, removed, history } = harness();
    const result = await runCanary(run);
    expect(result).toEqual({ proceed: true });
    const canary = run.record.canary!;
    expect(canary).toMatchObject({ status: 'Judged', outcome: 'continued', canaryInstances: ['i-canary-1'], baselineInstances: ['i-baseline-1'] });
    expect(canary.verdict?.verdict).toBe('Pass');
    // Both sides served real requests, and the fleet the rest.
    expect(canary.live!.canary.requests).toBeGreaterThanOrEqual(SETTINGS.minSamples);
    expect(canary.live!.baseline.requests).toBeGreaterThanOrEqual(SETTINGS.minSamples);
    expect(canary.live!.canary.decisions?.approve).toBe(canary.live!.canary.requests);
    expect(events.filter((e) => e.type === 'canary').map((e) => (e as { phase: string }).phase)).toEqual(['start', 'sampling', 'verdict']);
    expect(removed.sort()).toEqual(['i-baseline-1', 'i-canary-1']);
    expectFleetAlone();
    expect((await history.get(run.record.deploymentId))?.canary?.verdict?.verdict).toBe('Pass');
    expect((await stopTraffic()).filter((s) => s !== 200)).toEqual([]);
  });

  it('issue 12.4: a canary that rejects far more posts fails by decision.reject: CANARY_FAILED, the pair removed, the fleet untouched', async () => {
    const { run } = harness({ canaryRejects: 0.8 });
    const result = await runCanary(run);
    expect(result.proceed).toBe(false);
    if (result.proceed) return;
    expect(result.status).toBe('Failed');
    expect(result.error.code).toBe('CANARY_FAILED');
    expect(result.error.message).toMatch(/decision\.reject/);
    expect(run.record.canary).toMatchObject({ status: 'Judged', outcome: 'rolled-back' });
    expect(run.record.canary!.verdict!.metrics.find((m) => m.name === 'decision.reject')?.verdict).toBe('fail');
    expectFleetAlone();
    expect((await stopTraffic()).filter((s) => s !== 200)).toEqual([]);
  });

  it('issue 12.4: Marginal with onMarginal pause waits for mod approve, visible as the pending approval, and goes on when approved', async () => {
    const { run, events, history } = harness({ judge: fixedJudge(marginal) });
    run.record.pid = process.pid;
    const running = runCanary(run);
    const paths = new StatePaths(dir);
    let pending;
    for (let i = 0; i < 200 && !(pending = await pausedCanary(history)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(pending).toMatchObject({ stageName: 'canary', token: run.record.deploymentId, commit: run.record.revision.commit });
    expectFleetAlone();
    const env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage' } } }), 'stage');
    await answerPausedCanary(paths, env, pending!, { approve: true, summary: 'latency looked fine to me' });
    expect(await running).toEqual({ proceed: true });
    expect(run.record.canary).toMatchObject({ status: 'Judged', outcome: 'approved', answer: { approved: true, summary: 'latency looked fine to me' } });
    expect(events.filter((e) => e.type === 'canary').map((e) => (e as { phase: string }).phase)).toEqual(['start', 'sampling', 'verdict', 'paused', 'answered']);
  });

  it('issue 12.4: a paused canary rejected with mod approve --reject fails the deployment (CANARY_FAILED)', async () => {
    const { run } = harness({ judge: fixedJudge(marginal) });
    const running = runCanary(run);
    const paths = new StatePaths(dir);
    for (let i = 0; i < 200 && run.record.canary?.status !== 'Paused'; i++) await new Promise((r) => setTimeout(r, 50));
    const env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage' } } }), 'stage');
    await answerPausedCanary(paths, env, { stageName: 'canary', actionName: 'Marginal', pipelineExecutionId: run.record.deploymentId, commit: null, token: run.record.deploymentId }, { approve: false, summary: 'too risky' });
    const result = await running;
    expect(result).toMatchObject({ proceed: false, status: 'Failed', error: { code: 'CANARY_FAILED' } });
    expect(run.record.canary).toMatchObject({ outcome: 'rejected' });
  });

  it('issue 12.4: Marginal with onMarginal continue rolls out (with a warning), with fail stops as a Fail does', async () => {
    const goOn = harness({ judge: fixedJudge(marginal), settings: { onMarginal: 'continue', durationSeconds: 1 } });
    expect(await runCanary(goOn.run)).toEqual({ proceed: true });
    expect(goOn.events.some((e) => e.type === 'notice' && e.level === 'warn' && /Marginal/.test(e.message))).toBe(true);
    const stop = harness({ judge: fixedJudge(marginal), settings: { onMarginal: 'fail', durationSeconds: 1 } });
    expect(await runCanary(stop.run)).toMatchObject({ proceed: false, status: 'Failed', error: { code: 'CANARY_FAILED' } });
    expectFleetAlone();
  });

  it('issue 12.4: stopped while sampling (Ctrl-C, mod stop, --timeout), the deployment stops and the pair is gone', async () => {
    const { run, controller, removed } = harness({ settings: { durationSeconds: 30 } });
    const running = runCanary(run);
    for (let i = 0; i < 200 && !run.record.canary?.live; i++) await new Promise((r) => setTimeout(r, 25));
    controller.abort(new Error('SIGINT'));
    expect(await running).toMatchObject({ proceed: false, status: 'Stopped' });
    expect(removed.sort()).toEqual(['i-baseline-1', 'i-canary-1']);
    expectFleetAlone();
    expect((await stopTraffic()).filter((s) => s !== 200)).toEqual([]);
  });

  it('issue 12.4: a canary whose new revision does not install fails the deployment with the hook failure, before any traffic', async () => {
    const { run } = harness({ failInstall: 'canary' });
    const result = await runCanary(run);
    expect(result).toMatchObject({ proceed: false, status: 'Failed', error: { code: 'LIFECYCLE_EVENT_FAILED', instanceId: 'i-canary-1', event: 'ApplicationStart' } });
    expect(run.record.canary?.note).toMatch(/canary \(new revision\) did not install/);
    expectFleetAlone();
  });
});

describe('when the local provider runs no canary (issue 12.4)', () => {
  const env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', canary: { durationSeconds: 2 } } } }), 'stage');
  const context = (record: DeploymentRecord, events: DeliveryEvent[]) => ({
    env,
    paths: new StatePaths(dir),
    host: {} as never,
    history: new DeploymentHistory(path.join(dir, 'deployments')),
    record,
    events: (e: DeliveryEvent) => events.push(e),
    signal: new AbortController().signal,
    judge: judgeCanary,
    repairBundle: async () => 'tree',
  });

  it('issue 12.4: a first deploy has nothing to compare with: the canary is skipped, and says so', async () => {
    const events: DeliveryEvent[] = [];
    const record = newRecord();
    expect(await runLocalCanary(context(record, events), { bundleKey: 'tree', previousGood: undefined, fastRollback: false })).toEqual({ proceed: true });
    expect(record.canary).toMatchObject({ status: 'Skipped', note: expect.stringMatching(/first deploy/) });
    expect(events).toContainEqual({ type: 'canary', phase: 'skipped', reason: record.canary!.note });
  });

  it('issue 12.4: a fast rollback never waits for analysis', async () => {
    const events: DeliveryEvent[] = [];
    const record = newRecord();
    const previous = { ...newRecord(), status: 'Succeeded' as const };
    expect(await runLocalCanary(context(record, events), { bundleKey: 'tree', previousGood: previous, fastRollback: true })).toEqual({ proceed: true });
    expect(record.canary).toMatchObject({ status: 'Skipped', note: expect.stringMatching(/fast rollback/) });
  });
});
