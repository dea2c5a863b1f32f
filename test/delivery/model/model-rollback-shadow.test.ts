// rollbackModel and shadowModel through their ports (issue 13): back to the
// live model before the current one (never to one a rollback went away
// from), back to the bundled model past the first release, nothing to roll
// back; a shadow set and stopped (next to the pinned bundled model when
// nothing was released); records and notifications.
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseModel } from '../../../src/delivery/model/model-release.js';
import { rollbackModel, rollbackTarget } from '../../../src/delivery/model/model-rollback.js';
import { shadowModel } from '../../../src/delivery/model/model-shadow.js';
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
let dflt: { version: string; checksum: string };
let base: { version: string; checksum: string };
const common = () => ({ environment: 'stage', signal: new AbortController().signal, events: events.emit, wait: { pollMs: 10, unaskedWaitMs: 10 } });

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.commit('First', { 'app.txt': 'v1\n' });
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  events = new FakeDeliveryEvents();
  dflt = await manifestOf(DEFAULT_DIR);
  base = await manifestOf(BASELINE_DIR);
  bundledInstances(provider.modelStore, 'stage', dflt.version);
});
afterEach(() => repo.dispose());

const stage = () => ws.environment('stage');

describe('rollbackModel', () => {
  it('goes back to the live model before the current one, in seconds: no gate, no canary; a second rollback goes further back, never to the model the first removed', async () => {
    const first = await releaseModel(ws, { ...common(), model: DEFAULT_DIR });
    const second = await releaseModel(ws, { ...common(), model: BASELINE_DIR, overrides: [{ gate: 'model', reason: 'experiment' }] });
    const gatesBefore = events.ofType('gate').length;
    const outcome = await rollbackModel(ws, common());
    expect(outcome.record).toMatchObject({ kind: 'model', status: 'Succeeded', rollbackOf: second.record.deploymentId, model: { action: 'rollback', version: dflt.version, checksum: dflt.checksum, previous: { version: base.version } } });
    expect(outcome.record.model!.dataFingerprint).toBe(first.record.model!.dataFingerprint);
    expect(events.ofType('gate')).toHaveLength(gatesBefore);
    expect((await provider.modelStore.readPointer(stage()))!).toMatchObject({ releaseId: outcome.record.deploymentId, live: { version: dflt.version } });
    expect(provider.modelStore.instances.get('stage')!.every((i) => i.model!.version === dflt.version && i.model!.source === 'released')).toBe(true);
    expect(ws.fakeNotifier.kinds().at(-1)).toBe('model.rolledback');

    const again = await rollbackModel(ws, common());
    expect(again.target).toBeNull();
    expect(again.record.model).toMatchObject({ version: 'bundled', previous: { version: dflt.version } });
    expect(again.record.rollbackOf).toBe(outcome.record.deploymentId);
  });

  it('past the first release: the pointer is cleared and the instances go back to their bundled model (said so)', async () => {
    await releaseModel(ws, { ...common(), model: BASELINE_DIR, overrides: [{ gate: 'model', reason: 'x' }] });
    const outcome = await rollbackModel(ws, common());
    expect(outcome.target).toBeNull();
    expect(outcome.record).toMatchObject({ status: 'Succeeded', model: { action: 'rollback', version: 'bundled', previous: { version: base.version } } });
    expect(outcome.record.revision.subject).toBe(`model bundled (${dflt.version})`);
    expect(await provider.modelStore.readPointer(stage())).toBeNull();
    expect(provider.modelStore.instances.get('stage')!.map((i) => i.model!.source)).toEqual(['bundled', 'bundled']);
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining('its first release, to the bundled model: the pointer is cleared'));
    // Nothing released any more.
    await expect(rollbackModel(ws, common())).rejects.toThrow(/no model is released to stage/);
  });

  it('nothing released: a clear usage error', async () => {
    await expect(rollbackModel(ws, common())).rejects.toBeInstanceOf(UsageError);
  });

  it('instances that do not go back: the pointer stays as it was, MODEL_NOT_LOADED', async () => {
    await releaseModel(ws, { ...common(), model: DEFAULT_DIR });
    await releaseModel(ws, { ...common(), model: BASELINE_DIR, overrides: [{ gate: 'model', reason: 'x' }] });
    const before = await provider.modelStore.readPointer(stage());
    provider.modelStore.followPointer = false;
    const outcome = await rollbackModel(ws, { ...common(), timeoutMs: 30 });
    expect(outcome.record).toMatchObject({ status: 'Failed', error: { code: 'MODEL_NOT_LOADED' } });
    expect((await provider.modelStore.readPointer(stage()))!.live).toEqual(before!.live);
    // The failure path waits for the instances to report the pointer put back (they never left it here).
    expect(outcome.record.model!.restored).toEqual({ asked: true, loaded: true, pending: [] });
  });

  it('rollbackTarget never returns to a model a later rollback went away from, unless it was released again after it', () => {
    const rec = (version: string, action: 'release' | 'rollback', previous?: string) =>
      ({ status: 'Succeeded', model: { action, version, checksum: `c-${version}`, location: `/m/${version}`, dataFingerprint: '', previous: previous ? { version: previous, checksum: `c-${previous}`, location: `/m/${previous}` } : null } }) as never;
    // A, B, rollback B -> A: from A, B is not a target; past A nothing is left but the bundled model.
    expect(rollbackTarget([rec('A', 'rollback', 'B'), rec('B', 'release', 'A'), rec('A', 'release')], { version: 'A', checksum: 'c-A' })).toBeNull();
    // ... then B released again on purpose, then C: rolling C back goes to B.
    expect(rollbackTarget([rec('C', 'release', 'B'), rec('B', 'release', 'A'), rec('A', 'rollback', 'B'), rec('B', 'release', 'A'), rec('A', 'release')], { version: 'C', checksum: 'c-C' })).toMatchObject({ version: 'B' });
  });

  it('rollbackTarget skips failed releases and shadow records', () => {
    const rec = (version: string, action: 'release' | 'rollback' | 'shadow', status: 'Succeeded' | 'Failed') => ({ status, model: { action, version, checksum: `c-${version}`, location: `/m/${version}`, dataFingerprint: '', previous: null } }) as never;
    expect(rollbackTarget([rec('C', 'release', 'Succeeded'), rec('S', 'shadow', 'Succeeded'), rec('B', 'release', 'Failed'), rec('A', 'release', 'Succeeded')], { version: 'C', checksum: 'c-C' })).toEqual({ version: 'A', checksum: 'c-A', location: '/m/A' });
  });
});

describe('shadowModel', () => {
  it('sets a shadow next to the live model, waits until the instances report it, and --stop clears it', async () => {
    await releaseModel(ws, { ...common(), model: DEFAULT_DIR });
    const outcome = await shadowModel(ws, { ...common(), model: BASELINE_DIR });
    expect(outcome.record).toMatchObject({ kind: 'model', status: 'Succeeded', model: { action: 'shadow', version: base.version } });
    const pointer = await provider.modelStore.readPointer(stage());
    expect(pointer).toMatchObject({ live: { version: dflt.version }, shadow: { version: base.version } });
    expect(provider.modelStore.instances.get('stage')!.map((i) => i.model!.shadow)).toEqual([base.version, base.version]);
    expect(ws.fakeNotifier.kinds().at(-1)).toBe('model.shadow');

    const stopped = await shadowModel(ws, { ...common(), stop: true });
    expect(stopped.record.model).toMatchObject({ action: 'unshadow', version: base.version });
    expect((await provider.modelStore.readPointer(stage()))!.shadow).toBeUndefined();
    expect(provider.modelStore.instances.get('stage')!.map((i) => i.model!.shadow)).toEqual([null, null]);
    // The shadow records are not release targets: a rollback goes past the first release.
    expect((await rollbackModel(ws, common())).target).toBeNull();
  });

  it("with nothing released: the deployed commit's models/default is released as the live model first (deciding as before), then the shadow sits next to it", async () => {
    // No code deployment yet: nothing decides that a shadow could sit next to.
    await expect(shadowModel(ws, { ...common(), model: BASELINE_DIR })).rejects.toThrow(/no successful code deployment/);
    await cp(DEFAULT_DIR, path.join(repo.dir, 'models', 'default'), { recursive: true });
    const commit = await repo.commit('Ship the model');
    provider.seed('stage', { commit, status: 'Succeeded' });

    const outcome = await shadowModel(ws, { ...common(), model: BASELINE_DIR });
    expect(outcome.record).toMatchObject({ status: 'Succeeded', model: { action: 'shadow', version: base.version, previous: { version: dflt.version } } });
    const pointer = (await provider.modelStore.readPointer(stage()))!;
    expect(pointer).toMatchObject({ live: { version: dflt.version, checksum: dflt.checksum }, shadow: { version: base.version } });
    const [shadow, pin] = await provider.modelStore.releases(stage());
    expect(shadow!.deploymentId).toBe(outcome.record.deploymentId);
    expect(pin).toMatchObject({ status: 'Succeeded', revision: { commit }, model: { action: 'release', version: dflt.version, previous: null } });
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining(`its bundled model ${dflt.version}`));
    // The pin is a release like any other: a rollback returns to the bundle.
    expect((await rollbackModel(ws, common())).target).toBeNull();
  });

  it("with nothing released, instances that decide with another bundled model than the commit's: refused, nothing written", async () => {
    await cp(DEFAULT_DIR, path.join(repo.dir, 'models', 'default'), { recursive: true });
    provider.seed('stage', { commit: await repo.commit('Ship the model'), status: 'Succeeded' });
    bundledInstances(provider.modelStore, 'stage', 'some-other-version');
    await expect(shadowModel(ws, { ...common(), model: BASELINE_DIR })).rejects.toThrow(/decide with bundled model some-other-version/);
    expect(await provider.modelStore.readPointer(stage())).toBeNull();
    expect(await provider.modelStore.releases(stage())).toEqual([]);
  });

  it('refuses what cannot be: the live model itself, --stop without a shadow, both or neither flag', async () => {
    await expect(shadowModel(ws, { ...common(), stop: true })).rejects.toThrow(/no shadow model to stop/);
    await releaseModel(ws, { ...common(), model: DEFAULT_DIR });
    await expect(shadowModel(ws, { ...common(), model: DEFAULT_DIR })).rejects.toThrow(/cannot shadow itself/);
    await expect(shadowModel(ws, { ...common(), stop: true })).rejects.toThrow(/no shadow model to stop/);
    await expect(shadowModel(ws, { ...common() })).rejects.toThrow(/give --model/);
    await expect(shadowModel(ws, { ...common(), model: BASELINE_DIR, stop: true })).rejects.toThrow(/--stop takes no --model/);
  });

  it('the shadow model again: refused, "already shadows", no record written', async () => {
    await releaseModel(ws, { ...common(), model: DEFAULT_DIR });
    await shadowModel(ws, { ...common(), model: BASELINE_DIR });
    const before = await provider.modelStore.releases(stage());
    await expect(shadowModel(ws, { ...common(), model: BASELINE_DIR })).rejects.toThrow(new RegExp(`model ${base.version} already shadows the live ${dflt.version} in stage .*: nothing to change`));
    expect(await provider.modelStore.releases(stage())).toEqual(before);
  });
});
