// environmentStatus() and status() through a FakeProvider on a real git
// repository: what is deployed against the branch head, the commits pending,
// the deployment in flight with each instance's current event, what the
// provider says about instances, and history it cannot read.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/delivery/deployment.js';
import { environmentStatus, runsRecordedRevision, status } from '../../src/delivery/status.js';
import { ExitCode, ModError, UsageError } from '../../src/errors.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', aliases: ['staging'] },
    production: { branch: 'master', aliases: ['prod'] },
  },
};
/** Above Linux's PID_MAX_LIMIT (2^22): no process has it. */
const DEAD_PID = 2 ** 22 + 1;

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let c1: string;
let c2: string;
let c3: string;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  c1 = await repo.commit('One', { 'app.txt': '1\n' });
  c2 = await repo.commit('Two', { 'app.txt': '2\n' });
  c3 = await repo.commit('Three', { 'app.txt': '3\n' });
  provider = new FakeProvider('fake-cloud');
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
});
afterEach(() => repo.dispose());

function instance(instanceId: string, events: [string, InstanceRecord['status']][], status: InstanceRecord['status'] = 'InProgress'): InstanceRecord {
  return { instanceId, status, events: events.map(([name, s]) => ({ name, status: s })) };
}

describe('environmentStatus', () => {
  it('compares the last successful deployment with the branch head and counts what is pending', async () => {
    const good = provider.seed('stage', { commit: c1, subject: 'One' });
    provider.seed('stage', { commit: c3, status: 'Failed' });
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4300',
      database: 'embedded PGlite',
      instances: [{ id: 'stage-i1', healthy: true, state: 'healthy', commit: c1, deploymentId: good.deploymentId, since: good.endedAt!, launchedAt: '2026-11-01T00:00:00Z' }],
    });
    const result = await environmentStatus(ws, ws.environment('staging'));

    expect(result).toMatchObject({ name: 'stage', branch: 'stage', provider: 'fake-cloud', pending: 2, endpoint: 'http://127.0.0.1:4300', database: 'embedded PGlite', inFlight: null, pipeline: null, autoRollback: null, warnings: [] });
    expect(result.deployed).toMatchObject({ commit: c1, subject: 'One', author: 'Alice Author', deploymentId: good.deploymentId, deployedAt: good.endedAt });
    expect(result.branchHead).toMatchObject({ commit: c3, subject: 'Three', exists: true });
    expect(result.instances).toEqual([expect.objectContaining({ id: 'stage-i1', healthy: true, commit: c1 })]);
    expect(result.recent.map((r) => [r.status, r.commit])).toEqual([
      ['Failed', c3],
      ['Succeeded', c1],
    ]);
  });

  it('counts pending commits from the revert commit after a fast rollback', async () => {
    provider.seed('stage', { commit: c1 });
    provider.seed('stage', { commit: c2 });
    const revert = await repo.commit('Rollback stage to c1', { 'app.txt': '1\n' });
    // A fast rollback redeployed c1's bundle; the revert commit on the branch is what it runs.
    provider.seed('stage', { commit: c1, revertCommit: revert, rollbackOf: 'd-seed-2' });
    expect((await environmentStatus(ws, ws.environment('stage'))).pending).toBe(0);
    await repo.commit('Four', { 'app.txt': '4\n' });
    expect((await environmentStatus(ws, ws.environment('stage'))).pending).toBe(1);
  });

  it('counts every commit as pending before the first deployment, and none when the branch does not exist', async () => {
    const first = await environmentStatus(ws, ws.environment('stage'));
    expect(first).toMatchObject({ deployed: null, pending: 3, branchHead: { commit: c3, exists: true }, recent: [] });

    const noBranch = await environmentStatus(ws, ws.environment('production'));
    expect(noBranch).toMatchObject({ deployed: null, pending: 0, branchHead: { commit: null, exists: false } });
  });

  it("shows the deployment in flight with each instance's current event, and whether its process is gone", async () => {
    provider.seed('stage', { commit: c1 });
    const running = provider.seed('stage', {
      commit: c2,
      status: 'InProgress',
      pid: process.pid,
      instances: [
        instance(
          'stage-i1',
          [
            ['ApplicationStop', 'Succeeded'],
            ['BeforeInstall', 'Succeeded'],
            ['ApplicationStart', 'Succeeded'],
          ],
          'Succeeded',
        ),
        instance('stage-i2', [
          ['ApplicationStop', 'Succeeded'],
          ['BeforeInstall', 'InProgress'],
          ['ApplicationStart', 'Pending'],
        ]),
        instance('stage-i3', [['ApplicationStop', 'Pending']], 'Pending'),
      ],
    });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.inFlight).toEqual({
      deploymentId: running.deploymentId,
      commit: c2,
      startedAt: running.startedAt,
      abandoned: false,
      instances: [
        { id: 'stage-i1', event: 'ApplicationStart', status: 'Succeeded' },
        { id: 'stage-i2', event: 'BeforeInstall', status: 'InProgress' },
        { id: 'stage-i3', event: null, status: 'Pending' },
      ],
    });
    // Still the last good one: an in-flight deployment is not what runs.
    expect(result.deployed?.commit).toBe(c1);

    provider.seed('stage', { commit: c3, status: 'InProgress', pid: DEAD_PID, instances: [] });
    expect((await environmentStatus(ws, ws.environment('stage'))).inFlight).toMatchObject({ commit: c3, abandoned: true });
  });

  it('follows the auto-rollback instances once a failed deployment is being rolled back', async () => {
    provider.seed('stage', {
      commit: c2,
      status: 'InProgress',
      instances: [instance('stage-i1', [['ValidateService', 'Failed']], 'Failed')],
      autoRollback: {
        revision: { commit: c1 },
        status: 'InProgress',
        instances: [
          instance('stage-i1', [
            ['ApplicationStop', 'Succeeded'],
            ['AfterInstall', 'InProgress'],
          ]),
        ],
      },
    });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.inFlight?.abandoned).toBe(false);
    expect(result.inFlight?.instances).toEqual([{ id: 'stage-i1', event: 'AfterInstall', status: 'InProgress' }]);
  });

  it('keeps the last five deployments, newest first', async () => {
    for (const commit of [c1, c2, c3, c1, c2, c3, c1]) provider.seed('stage', { commit });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.recent.map((r) => r.deploymentId)).toEqual(['d-seed-7', 'd-seed-6', 'd-seed-5', 'd-seed-4', 'd-seed-3']);
    expect(result.recent[0]).toEqual({ deploymentId: 'd-seed-7', status: 'Succeeded', startedAt: expect.any(String), endedAt: expect.any(String), initiator: 'alice', commit: c1 });
    expect(result.deployed?.deploymentId).toBe('d-seed-7');
  });

  it('passes the pipeline and auto-rollback settings through from the provider', async () => {
    const pipeline = { name: 'shop-stage', latestExecution: { id: 'exec-1', status: 'InProgress', commit: c3, startedAt: '2026-11-24T03:00:00Z' }, stages: [{ name: 'Source', status: 'Succeeded' }] };
    provider.tellStatus('stage', { pipeline, autoRollback: { onFailure: true, onAlarms: false, alarms: [] } });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.pipeline).toEqual(pipeline);
    expect(result.autoRollback).toEqual({ onFailure: true, onAlarms: false, alarms: [] });
  });

  it('reports history the provider cannot read as a warning, but fails on a usage problem', async () => {
    provider.failHistory('stage', new ModError('AWS_ERROR', 'ListPipelineExecutions is not implemented', { exitCode: ExitCode.Failed }));
    provider.tellStatus('stage', { endpoint: 'http://lb.example' });
    const partial = await environmentStatus(ws, ws.environment('stage'));
    expect(partial.warnings).toHaveLength(1);
    expect(partial).toMatchObject({ deployed: null, endpoint: 'http://lb.example', branchHead: { commit: c3 }, recent: [] });

    provider.failHistory('stage', new UsageError('the credentials are not allowed to read the pipeline'));
    await expect(environmentStatus(ws, ws.environment('stage'))).rejects.toMatchObject({ code: 'USAGE' });
    provider.failHistory('stage', new Error('socket hang up'));
    await expect(environmentStatus(ws, ws.environment('stage'))).rejects.toThrow('socket hang up');
  });
});

describe('what runs against the record (issue 17)', () => {
  const base = { healthy: true, state: 'healthy', since: '2026-11-01T00:00:00Z', launchedAt: '2026-11-01T00:00:00Z' };

  it('issue 17.3: warns when an instance answers with another revision than its record (a Ctrl-C left the new process running out of traffic)', async () => {
    const good = provider.seed('stage', { commit: c1 });
    const stopped = provider.seed('stage', { commit: c2, status: 'Stopped' });
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4300',
      instances: [
        { ...base, id: 'i-1', healthy: false, state: 'unregistered', commit: c1, deploymentId: good.deploymentId, running: { commit: c2 } },
        { ...base, id: 'i-2', commit: c1, deploymentId: good.deploymentId, running: { commit: c1 } },
      ],
    });
    await repo.sh('reset', '-q', '--hard', c1);
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.pending).toBe(0);
    expect(result.drift).toContain('i-1 runs another revision than recorded');
    expect(result.warnings).toEqual([
      `i-1 runs ${c2.slice(0, 8)} (from ${stopped.deploymentId}, Stopped) but its record says ${c1.slice(0, 8)} (${good.deploymentId}): a deployment did not finish there`,
      `i-1 serves ${c2.slice(0, 8)} but takes no traffic from the endpoint (unregistered)`,
    ]);
    expect(result.problems).toEqual([]);
  });

  it('issue 17.3: an endpoint that is down without mod stop is a problem (ENDPOINT_DOWN) naming the instances that still serve', async () => {
    const good = provider.seed('stage', { commit: c1 });
    provider.tellStatus('stage', {
      endpoint: null,
      endpointDown: 'its host process 4242 is gone',
      instances: [
        { ...base, id: 'i-1', healthy: false, state: 'no endpoint', commit: c1, deploymentId: good.deploymentId, running: { commit: c1 } },
        { ...base, id: 'i-2', healthy: false, state: 'stopped', commit: c1, deploymentId: good.deploymentId, running: null },
      ],
    });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.problems).toEqual([expect.objectContaining({ code: 'ENDPOINT_DOWN', message: 'the endpoint is down: its host process 4242 is gone; 1 instance(s) still serve (i-1) on their own ports' })]);
    expect(result.drift).toBeNull();
  });

  it('issue 17.3: an endpoint that runs but has no healthy instance is ENDPOINT_DOWN too (every request gets 503)', async () => {
    const good = provider.seed('stage', { commit: c1 });
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4100',
      instances: [
        { ...base, id: 'i-1', healthy: false, state: 'unhealthy', commit: c1, deploymentId: good.deploymentId, running: null },
        { ...base, id: 'i-2', healthy: false, state: 'unhealthy', commit: c1, deploymentId: good.deploymentId, running: null },
      ],
    });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.problems).toEqual([expect.objectContaining({ code: 'ENDPOINT_DOWN', message: 'the endpoint http://127.0.0.1:4100 has no healthy instance: every request is refused (503)' })]);

    // One healthy instance is enough to serve: no problem.
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4100',
      instances: [
        { ...base, id: 'i-1', healthy: true, state: 'healthy', commit: c1, deploymentId: good.deploymentId, running: { commit: c1 } },
        { ...base, id: 'i-2', healthy: false, state: 'unhealthy', commit: c1, deploymentId: good.deploymentId, running: null },
      ],
    });
    expect((await environmentStatus(ws, ws.environment('stage'))).problems).toEqual([]);
  });

  it('issue 17.3: after a failed auto-rollback the header does not say up to date', async () => {
    provider.seed('stage', { commit: c1 });
    await repo.sh('reset', '-q', '--hard', c1);
    provider.seed('stage', { commit: c1, status: 'Failed', autoRollback: { revision: { commit: c1 }, status: 'Failed', instances: [] } });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(result.pending).toBe(0);
    expect(result.drift).toBe('the auto-rollback of d-seed-2 failed');
    expect(result.warnings.join('\n')).toContain('its auto-rollback to');
  });

  it('issue 17.7: a bundle reused for another commit of the same tree runs the same revision (tree, or the commit it was built from)', async () => {
    const good = provider.seed('stage', { commit: c2, bundle: 'tree-2' });
    const record = { ...base, commit: c2, deploymentId: good.deploymentId, tree: 'tree-2', builtFrom: c1 };
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4300',
      instances: [
        { ...record, id: 'i-1', running: { commit: c1, tree: 'tree-2' } },
        { ...record, id: 'i-2', running: { commit: c1 } },
        { ...record, id: 'i-3', running: { commit: c1, tree: 'tree-other' } },
      ],
    });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(runsRecordedRevision(result.instances[0]!)).toBe(true);
    expect(runsRecordedRevision(result.instances[1]!)).toBe(true);
    expect(runsRecordedRevision(result.instances[2]!)).toBe(false);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^i-3 runs /);
  });

  it('cannot tell when the provider does not ask the instances (no running field): no warning', async () => {
    const good = provider.seed('stage', { commit: c1 });
    provider.tellStatus('stage', { endpoint: 'http://lb.example', instances: [{ ...base, id: 'i-1', commit: c1, deploymentId: good.deploymentId }] });
    const result = await environmentStatus(ws, ws.environment('stage'));
    expect(runsRecordedRevision(result.instances[0]!)).toBeUndefined();
    expect(result).toMatchObject({ warnings: [], drift: null, problems: [] });
  });
});

describe('status', () => {
  it('reports each requested environment, by name or alias, in order', async () => {
    provider.seed('production', { commit: c1 });
    const result = await status(ws, ['prod', 'staging']);
    expect(result.map((s) => s.name)).toEqual(['production', 'stage']);
    expect(result[0]!.deployed?.commit).toBe(c1);
    expect(result[1]!.deployed).toBeNull();
    await expect(status(ws, ['nowhere'])).rejects.toMatchObject({ code: 'USAGE' });
  });
});
