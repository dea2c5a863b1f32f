// `mod deploy --release-model` (issue 13): the deployed commit's
// models/default, read from git at that commit (not the working tree), is
// released through releaseModel with its gate; the bundle's model already
// live is nothing to release; a commit without a model is a usage error.
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseDeployedModel } from '../../../src/delivery/model/deployed-model.js';
import { UsageError } from '../../../src/errors.js';
import { FakeDeliveryEvents } from '../../fakes/fake-delivery-events.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { BASELINE_DIR, bundledInstances, CONFIG, DEFAULT_DIR, manifestOf } from './model-support.js';

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  events = new FakeDeliveryEvents();
  bundledInstances(provider.modelStore, 'stage', (await manifestOf(DEFAULT_DIR)).version);
});
afterEach(() => repo.dispose());

const run = (commit: string) => releaseDeployedModel(ws, { environment: 'stage', commit, signal: new AbortController().signal, events: events.emit, wait: { pollMs: 10 }, overrides: [{ gate: 'model', reason: 'the bundle on purpose' }] });

describe('releaseDeployedModel', () => {
  it("releases the commit's models/default as committed, then says the same model again is nothing to release", async () => {
    await cp(BASELINE_DIR, path.join(repo.dir, 'models', 'default'), { recursive: true });
    const commit = await repo.commit('Ship the baseline model');
    // The working tree changes afterwards: the commit's model is what is released.
    await rm(path.join(repo.dir, 'models'), { recursive: true });
    const outcome = await run(commit);
    const base = await manifestOf(BASELINE_DIR);
    if ('skipped' in outcome) throw new Error(outcome.skipped);
    expect(outcome.record).toMatchObject({ status: 'Succeeded', kind: 'model', revision: { commit }, model: { action: 'release', version: base.version, checksum: base.checksum } });
    expect((await provider.modelStore.readPointer(ws.environment('stage')))!.live.version).toBe(base.version);
    expect(await run(commit)).toEqual({ skipped: expect.stringContaining(`the bundle's model ${base.version} is already live in stage (released ${outcome.record.deploymentId})`) });
    // A later pointer write (a shadow) does not change which release the message names.
    const pointer = (await provider.modelStore.readPointer(ws.environment('stage')))!;
    await provider.modelStore.writePointer(ws.environment('stage'), { ...pointer, releaseId: 'm-20261202T000000-shadow' });
    expect(await run(commit)).toEqual({ skipped: expect.stringContaining(`(released ${outcome.record.deploymentId})`) });
  });

  it('a commit without models/default: a usage error naming it', async () => {
    const commit = await repo.commit('No model', { 'app.txt': '1\n' });
    await expect(run(commit)).rejects.toBeInstanceOf(UsageError);
    await expect(run(commit)).rejects.toThrow(/has no models\/default\/manifest.json/);
  });
});
