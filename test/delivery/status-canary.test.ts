// Issue 12.4: environmentStatus() carries what mod status shows of progressive
// delivery: the in-flight deployment's type and canary (with its live counts),
// and the blue/green fleet kept for a fast rollback until it is stopped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { environmentStatus } from '../../src/delivery/status.js';
import { runningCanary } from '../fakes/canary-records.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let commit: string;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  commit = await repo.commit('One', { 'app.txt': '1\n' });
  provider = new FakeProvider();
  provider.tellStatus('stage', {});
  ws = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { stage: { branch: 'stage' } } }, provider });
});
afterEach(() => repo.dispose());

describe('issue 12.4: environmentStatus and progressive delivery', () => {
  it('the deployment in flight brings its type and its canary with the live counts', async () => {
    provider.seed('stage', { commit });
    const running = provider.seed('stage', { commit, status: 'InProgress', deploymentType: 'blue-green', canary: runningCanary() });
    const status = await environmentStatus(ws, ws.environment('stage'));
    expect(status.inFlight).toMatchObject({ deploymentId: running.deploymentId, deploymentType: 'blue-green', canary: runningCanary() });
  });

  it("the deployed blue/green deployment's original fleet is kept until its window, and gone once terminated", async () => {
    const bg = provider.seed('stage', { commit, deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-local-1'], replacementInstances: ['i-local-2'], keepOriginalUntil: '2026-12-02T03:15:00.000Z' } });
    expect((await environmentStatus(ws, ws.environment('stage'))).keptFleet).toEqual({ deploymentId: bg.deploymentId, instances: ['i-local-1'], until: '2026-12-02T03:15:00.000Z' });

    provider.seed('stage', { commit, deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-local-2'], replacementInstances: ['i-local-1'], originalTerminated: true } });
    expect((await environmentStatus(ws, ws.environment('stage'))).keptFleet).toBeNull();
  });

  it('an in-place environment has no kept fleet and no canary in flight', async () => {
    provider.seed('stage', { commit, status: 'InProgress' });
    const status = await environmentStatus(ws, ws.environment('stage'));
    expect(status.keptFleet).toBeNull();
    expect(status.inFlight).not.toHaveProperty('canary');
  });
});
