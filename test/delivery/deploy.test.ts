// deploy() through its ports: the commit it picks, the environment lock, the
// release gates before the provider is called, what it hands the provider,
// and what it tells the team, with every outside service faked.
import { chmod, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/delivery/deploy-lock.js';
import { deploy, GateRefusedError, judgeGates, type DeployOptions, type DeploySummary } from '../../src/delivery/deploy.js';
import { ExitCode, ModError } from '../../src/errors.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeGateDependencies } from '../fakes/fake-gate-dependencies.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', aliases: ['staging'], instances: 2, rollout: 'OneAtATime' },
    qa: { branch: 'qa', instances: 1 },
    production: { branch: 'master', aliases: ['prod'], instances: 1, gates: { ticket: {}, window: { timezone: 'Asia/Tokyo', days: ['Mon', 'Tue', 'Wed', 'Thu'], from: '10:00', to: '18:00' } } },
  },
};
/** The smallest valid buildspec and appspec: deploy checks them before building. */
const SPECS = {
  'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nartifacts:\n  files:\n    - "**/*"\n',
  'appspec.yml': 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: start.sh\n',
};
/** Tuesday 12:00 in Tokyo: inside the production deploy window. */
const IN_WINDOW = new Date('2026-11-24T03:00:00Z');
/** Saturday 12:00 in Tokyo. */
const SATURDAY = new Date('2026-11-28T03:00:00Z');

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;
let first: string;
let head: string;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.write('start.sh', '#!/bin/sh\necho started\n');
  await chmod(path.join(repo.dir, 'start.sh'), 0o755);
  first = await repo.commit('First', { 'app.txt': 'v1\n', ...SPECS });
  head = await repo.commit('Second', { 'app.txt': 'v2\n' });
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  events = new FakeDeliveryEvents();
});
afterEach(() => repo.dispose());

function run(options: Partial<DeployOptions> = {}) {
  return deploy(ws, { environment: 'stage', signal: new AbortController().signal, events: events.emit, ...options });
}

describe('deploy', () => {
  it("rolls the environment's branch head out through the provider and returns its record and endpoint", async () => {
    provider.tellStatus('stage', { endpoint: 'http://127.0.0.1:4100' });
    const signal = new AbortController().signal;
    const outcome = await run({ environment: 'staging', reason: 'weekly release', timeoutMs: 90_000, signal });

    expect(provider.deployRequests).toHaveLength(1);
    const request = provider.deployRequests[0]!;
    expect(request).toMatchObject({ commit: { commit: head, subject: 'Second' }, initiator: 'carol', reason: 'weekly release', timeoutMs: 90_000, gates: undefined });
    expect(request.environment.name).toBe('stage');
    expect(request.signal).toBe(signal);
    expect(outcome.environment.name).toBe('stage');
    expect(outcome.endpoint).toBe('http://127.0.0.1:4100');
    expect(outcome.gates).toBeUndefined();
    expect(outcome.record).toMatchObject({ status: 'Succeeded', environment: 'stage', revision: { commit: head } });
    expect(provider.history('stage')[0]!.deploymentId).toBe(outcome.record.deploymentId);

    // The provider's progress reaches the caller's output as it was emitted.
    expect(events.types()[0]).toBe('build.start');
    expect(events.ofType('deploy.start')).toEqual([expect.objectContaining({ deploymentId: outcome.record.deploymentId, environment: 'stage', commit: head })]);
    expect(events.ofType('batch.start').map((b) => b.instanceIds)).toEqual([['stage-i1'], ['stage-i2']]);
    expect(events.ofType('deploy.done').map((d) => d.record.status)).toEqual(['Succeeded']);
    expect(ws.fakeNotifier.kinds()).toEqual(['deploy.started', 'deploy.succeeded']);
    expect(ws.fakeNotifier.ofKind('deploy.succeeded')[0]).toMatchObject({ environment: 'stage', commit: head, initiator: 'carol', status: 'Succeeded', deploymentId: outcome.record.deploymentId });
    expect(ws.fakeNotifier.ofKind('deploy.succeeded')[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('deploys --ref instead of the branch head, and refuses a ref that is not a commit before touching the provider', async () => {
    await repo.sh('tag', 'v1', first);
    const outcome = await run({ ref: 'v1' });
    expect(outcome.record.revision.commit).toBe(first);
    expect(provider.deployRequests[0]!.commit.commit).toBe(first);

    const error = await run({ ref: 'no-such-ref' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModError);
    expect(error).toMatchObject({ code: 'USAGE', exitCode: ExitCode.Usage });
    expect(provider.deployRequests).toHaveLength(1);
  });

  it("deploys HEAD with a warning when the environment's branch does not exist", async () => {
    const outcome = await run({ environment: 'qa' });
    expect(outcome.record.revision.commit).toBe(head);
    const warnings = events.notices('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('qa');
  });

  it('returns a failed deployment with the failing instance and event, and stops the rollout there', async () => {
    provider.script({ result: 'fail', instanceId: 'stage-i1', event: 'ApplicationStart', code: 'LIFECYCLE_EVENT_FAILED', exitCode: 3 });
    const outcome = await run();
    expect(outcome.record.status).toBe('Failed');
    expect(outcome.record.error).toMatchObject({ code: 'LIFECYCLE_EVENT_FAILED', instanceId: 'stage-i1', event: 'ApplicationStart', exitCode: 3 });
    expect(events.ofType('lifecycle').filter((e) => e.status === 'Failed')).toEqual([expect.objectContaining({ instanceId: 'stage-i1', event: 'ApplicationStart' })]);
    expect(events.ofType('lifecycle').some((e) => e.instanceId === 'stage-i2')).toBe(false);
    expect(ws.fakeNotifier.kinds()).toEqual(['deploy.started', 'deploy.failed']);
    expect(ws.fakeNotifier.ofKind('deploy.failed')[0]).toMatchObject({ status: 'Failed', deploymentId: outcome.record.deploymentId, detail: outcome.record.error!.message });
  });

  it('tells the team about a rollback when the provider rolled a failed deployment back by itself', async () => {
    provider.seed('stage', { commit: first });
    provider.script({ result: 'fail', instanceId: 'stage-i2' });
    const outcome = await run();
    expect(outcome.record.status).toBe('RolledBack');
    expect(outcome.record.autoRollback?.revision.commit).toBe(first);
    expect(events.ofType('autorollback.start')).toEqual([expect.objectContaining({ commit: first, instanceIds: ['stage-i1', 'stage-i2'] })]);
    expect(ws.fakeNotifier.kinds()).toEqual(['deploy.started', 'rollback']);
  });

  it("hands the caller's signal to the provider: an interrupt stops the deployment", async () => {
    provider.script({ result: 'interrupted', instanceId: 'stage-i1', event: 'BeforeInstall' });
    const controller = new AbortController();
    events.onEvent((e) => {
      if (e.type === 'lifecycle' && e.event === 'BeforeInstall' && e.status === 'InProgress') controller.abort();
    });
    const outcome = await run({ signal: controller.signal });
    expect(outcome.record.status).toBe('Stopped');
    expect(outcome.record.error?.code).toBe('INTERRUPTED');
    expect(events.ofType('lifecycle').some((e) => e.event === 'AfterInstall')).toBe(false);
    expect(ws.fakeNotifier.ofKind('deploy.failed')[0]).toMatchObject({ status: 'Stopped' });
  });

  it('refuses while another deployment holds the environment lock, before telling anyone', async () => {
    const held = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    try {
      await expect(run()).rejects.toMatchObject({ code: 'LOCK_HELD' });
    } finally {
      await held.release();
    }
    expect(provider.deployRequests).toHaveLength(0);
    expect(ws.fakeNotifier.sent).toEqual([]);
    // Another environment has its own lock.
    await expect(run({ environment: 'qa' })).resolves.toMatchObject({ record: { status: 'Succeeded' } });
  });

  it('releases the lock when the provider throws, and takes over the lock of a dead process with a warning', async () => {
    provider.script({ result: 'throw', error: new ModError('CONFIG_INVALID', 'appspec.yml: bad hook', { exitCode: ExitCode.Usage }) });
    await expect(run()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(run()).resolves.toMatchObject({ record: { status: 'Succeeded' } });
    expect(events.notices('warn')).toHaveLength(0);

    // No process has a pid above Linux's PID_MAX_LIMIT (2^22).
    await mkdir(path.dirname(ws.paths.lock('stage')), { recursive: true });
    await writeFile(ws.paths.lock('stage'), JSON.stringify({ pid: 2 ** 22 + 1, user: 'bob', host: os.hostname(), since: '2026-01-01T00:00:00Z', command: 'mod deploy --env stage' }));
    await expect(run()).resolves.toMatchObject({ record: { status: 'Succeeded' } });
    expect(events.notices('warn')).toHaveLength(1);
    expect(events.notices('warn')[0]!.message).toContain(String(2 ** 22 + 1));
  });

  it('returns a null endpoint when the provider cannot report the environment status', async () => {
    provider.failStatus('stage', new Error('host gone'));
    const outcome = await run();
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.endpoint).toBeNull();
  });
});

describe('deploy behind release gates', () => {
  let gates: FakeGateDependencies;
  let mergeOf7: string;

  beforeEach(async () => {
    await repo.sh('checkout', '-q', '-b', 'master', first);
    mergeOf7 = await repo.commit('Checkout page (#7)', { 'checkout.txt': 'new\n' });
    provider.seed('production', { commit: first });
    gates = ws.gateDependencies;
  });

  it('refuses when a gate fails: no deploy, one gate event per gate, and the refusal notified', async () => {
    gates.github.addPull({ number: 7, body: 'no ticket here', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    const error = await run({ environment: 'prod', now: () => IN_WINDOW }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GateRefusedError);
    const refused = error as GateRefusedError;
    expect(refused).toMatchObject({ code: 'GATE_REFUSED', exitCode: ExitCode.GateRefused });
    expect(refused.report).toMatchObject({ environment: 'production', commit: mergeOf7, deployed: first, passed: false, overrides: [] });
    expect(provider.deployRequests).toHaveLength(0);
    expect(events.ofType('gate').map((g) => [g.name, g.status])).toEqual([
      ['ticket', 'fail'],
      ['peer-review', 'skipped'],
      ['migrations', 'skipped'],
      ['approval', 'skipped'],
      ['window', 'pass'],
    ]);
    expect(ws.fakeNotifier.kinds()).toEqual(['gate.refused']);
    expect(ws.fakeNotifier.sent[0]!.detail).toContain('ticket');
  });

  it('judges the window gate by the injected clock', async () => {
    gates.github.addPull({ number: 7, body: 'SHOP-12', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    const saturday = await run({ environment: 'production', now: () => SATURDAY }).catch((e: unknown) => e);
    expect((saturday as GateRefusedError).report.gates.find((g) => g.name === 'window')?.status).toBe('fail');

    const outcome = await run({ environment: 'production', now: () => IN_WINDOW });
    expect(outcome.gates?.passed).toBe(true);
    expect(outcome.record.status).toBe('Succeeded');
  });

  it('lets an overridden gate through, records it with the deployment and notifies the override', async () => {
    gates.github.addPull({ number: 7, body: 'no ticket here', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    const outcome = await run({ environment: 'production', now: () => IN_WINDOW, overrides: [{ gate: 'ticket', reason: 'hotfix, ticket follows' }], reason: 'hotfix' });

    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.gates).toMatchObject({ passed: true, overrides: [{ gate: 'ticket', reason: 'hotfix, ticket follows', by: 'carol' }] });
    const recorded = provider.deployRequests[0]!.gates!;
    expect(recorded.find((g) => g.name === 'ticket')).toEqual({ name: 'ticket', status: 'pass', reason: expect.any(String), overridden: { reason: 'hotfix, ticket follows', by: 'carol' } });
    // What the deployment records is the verdict, not the advice on fixing it.
    expect(recorded.every((g) => !('fix' in g))).toBe(true);
    expect(provider.history('production')[0]!.gates).toEqual(recorded);
    expect(ws.fakeNotifier.kinds()).toEqual(['gate.overridden', 'deploy.started', 'deploy.succeeded']);
    expect(ws.fakeNotifier.sent[0]!.detail).toContain('carol');
  });

  it('refuses an override on an environment without gates', async () => {
    await expect(run({ overrides: [{ gate: 'ticket', reason: 'why not' }] })).rejects.toMatchObject({ code: 'USAGE' });
    expect(provider.deployRequests).toHaveLength(0);
  });

  it('issue 17.16: asks for confirmation after the gates pass, naming the commit, the change and the verdicts; a refusal ships nothing', async () => {
    gates.github.addPull({ number: 7, body: 'SHOP-12', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    const asked: DeploySummary[] = [];
    const refused = await run({
      environment: 'production',
      now: () => IN_WINDOW,
      confirm: async (summary) => {
        asked.push(summary);
        // By the time it asks, every gate has been judged.
        expect(events.ofType('gate')).toHaveLength(5);
        throw new ModError('USAGE', 'cancelled');
      },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'USAGE', message: 'cancelled' });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ environment: 'production', commit: { commit: mergeOf7, subject: 'Checkout page (#7)' }, deployed: first, gates: { passed: true } });
    expect(asked[0]!.commits.map((c) => c.commit)).toEqual([mergeOf7]);
    expect(provider.deployRequests).toHaveLength(0);
    expect(ws.fakeNotifier.kinds()).toEqual([]);
    // The lock was never taken: a second deploy goes through.
    const outcome = await run({ environment: 'production', now: () => IN_WINDOW, confirm: async () => {} });
    expect(outcome.record.status).toBe('Succeeded');
  });

  it('issue 17.16: never asks when a gate refuses', async () => {
    gates.github.addPull({ number: 7, body: 'no ticket here', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    let asked = 0;
    const error = await run({ environment: 'production', now: () => IN_WINDOW, confirm: async () => void asked++ }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateRefusedError);
    expect(asked).toBe(0);
  });

  it('issue 17.16: mod gates (judgeGates) judges the committed gates as deploy does, and says when the working tree differs', async () => {
    const committed = await repo.commit('Ticket gate only (#8)', { 'mod.config.yml': 'app: shop\nenvironments:\n  stage:\n    branch: stage\n  production:\n    branch: master\n    gates:\n      ticket: {}\n' });
    gates.github.addPull({ number: 8, body: 'SHOP-8', mergeCommitSha: committed }, [committed]);
    gates.github.addPull({ number: 7, body: 'SHOP-7', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    const env = ws.environment('production');
    const report = await judgeGates(ws, env, provider, await ws.git.commitInfo(committed), { initiator: 'carol', events: events.emit, now: () => SATURDAY });
    // The working tree's window gate (closed on Saturday) is not in the committed config: not judged.
    expect(report!.gates.find((g) => g.name === 'window')).toMatchObject({ status: 'skipped' });
    expect(report!.passed).toBe(true);
    expect(events.ofType('notice').map((n) => n.message)).toContainEqual(expect.stringContaining('differ from mod.config.yml at'));
  });

  it('issue 17.16: judges by the gates committed in the deployed revision, not an edited working tree', async () => {
    // The committed config turns the ticket gate off for production; the working tree (the workspace's config) has it on.
    const relaxed = await repo.commit('Relax ticket gate (#8)', {
      'mod.config.yml': 'app: shop\nenvironments:\n  stage:\n    branch: stage\n  production:\n    branch: master\n    gates:\n      ticket: false\n      window: { timezone: Asia/Tokyo, days: [Mon, Tue, Wed, Thu], from: "10:00", to: "18:00" }\n',
    });
    gates.github.addPull({ number: 7, body: 'no ticket here', mergeCommitSha: mergeOf7 }, [mergeOf7]);
    gates.github.addPull({ number: 8, body: 'no ticket either', mergeCommitSha: relaxed }, [relaxed]);
    const outcome = await run({ environment: 'production', now: () => IN_WINDOW });
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.gates!.gates.find((g) => g.name === 'ticket')).toMatchObject({ status: 'skipped' });
    expect(events.ofType('notice').map((n) => n.message)).toContainEqual(expect.stringContaining('differ from mod.config.yml at'));

    // And the other way round: a working tree that turns a gate off does not let a change through.
    const strict = await repo.commit('Ticket gate on (#9)', { 'mod.config.yml': 'app: shop\nenvironments:\n  stage:\n    branch: stage\n  production:\n    branch: master\n    gates:\n      ticket: {}\n' });
    gates.github.addPull({ number: 9, body: 'none', mergeCommitSha: strict }, [strict]);
    const relaxedTree = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { production: { branch: 'master', gates: { ticket: false } } } }, provider, initiator: 'carol', gateDependencies: gates });
    const refused = await deploy(relaxedTree, { environment: 'production', signal: new AbortController().signal, events: events.emit }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GateRefusedError);
    expect((refused as GateRefusedError).report.gates.find((g) => g.name === 'ticket')?.status).toBe('fail');
  });
});
