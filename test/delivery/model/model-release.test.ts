// releaseModel through its ports (issue 13): the model gate on the real
// models of this package (models/default names categories far better than
// models/baseline; baseline lets none of the 32 spam posts of the check set
// through, default one), overrides, the model canary judged on rows of a
// fake release database, the wait for the instances and the pointer put back
// when they do not load it, the shared environment lock, records and
// notifications.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/delivery/deploy-lock.js';
import { ModelGateRefusedError, releaseModel, type ReleaseModelOptions } from '../../../src/delivery/model/model-release.js';
import { ExitCode, LockHeldError, UsageError } from '../../../src/errors.js';
import { FakeDeliveryEvents } from '../../fakes/fake-delivery-events.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { BASELINE_DIR, bundledInstances, CONFIG, DEFAULT_DIR, FakeReleaseDatabase, manifestOf, rows } from './model-support.js';

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;
let dflt: { version: string; checksum: string };
let base: { version: string; checksum: string };

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.commit('First', { 'app.txt': 'v1\n' });
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  events = new FakeDeliveryEvents();
  dflt = await manifestOf(DEFAULT_DIR);
  base = await manifestOf(BASELINE_DIR);
  bundledInstances(provider.modelStore, 'stage', dflt.version);
  bundledInstances(provider.modelStore, 'qa', dflt.version, ['i-q1']);
});
afterEach(() => repo.dispose());

function release(options: Partial<ReleaseModelOptions> = {}) {
  return releaseModel(ws, { environment: 'stage', model: DEFAULT_DIR, signal: new AbortController().signal, events: events.emit, wait: { pollMs: 10, unaskedWaitMs: 10 }, ...options });
}

/** Makes `dir` the env's live model, as a release would have left it. */
async function live(env: string, dir: string, releaseId = 'm-20261201T000000-live01') {
  const store = provider.modelStore;
  const ref = await store.publish(ws.environment(env), dir, await manifestOf(dir));
  await store.writePointer(ws.environment(env), { schemaVersion: 1, environment: env, releaseId, updatedAt: '2026-12-01T00:00:00.000Z', live: ref });
  return ref;
}

describe('releaseModel', () => {
  it('first release: judged against the bundled model (said so), published, pointed at, waited for; recorded and notified', async () => {
    const outcome = await release({ reason: 'weekly retrain' });
    const store = provider.modelStore;
    expect(outcome.record).toMatchObject({ kind: 'model', status: 'Succeeded', environment: 'stage', initiator: 'carol', reason: 'weekly retrain' });
    expect(outcome.record.deploymentId).toMatch(/^m-\d{8}T\d{6}-[a-z0-9]{1,6}$/);
    expect(outcome.record.model).toMatchObject({ action: 'release', version: dflt.version, checksum: dflt.checksum, location: DEFAULT_DIR, previous: null });
    expect(outcome.record.model!.dataFingerprint).toMatch(/^sha256:/);
    expect(outcome.gates.baseline).toEqual({ version: dflt.version, source: 'bundled' });
    expect(outcome.gates.gates.map((g) => [g.name, g.status])).toEqual([['model', 'pass']]);
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining('no model is released to stage yet: the model gate compares with the bundled models/default'));
    expect(events.ofType('gate')).toEqual([expect.objectContaining({ name: 'model', status: 'pass' })]);

    const pointer = await store.readPointer(ws.environment('stage'));
    expect(pointer).toMatchObject({ releaseId: outcome.record.deploymentId, live: { version: dflt.version, checksum: dflt.checksum } });
    expect(pointer!.canary).toBeUndefined();
    expect(store.instances.get('stage')!.map((i) => i.model!.version)).toEqual([dflt.version, dflt.version]);
    const saved = await store.releases(ws.environment('stage'));
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ deploymentId: outcome.record.deploymentId, status: 'Succeeded', kind: 'model' });
    expect(ws.fakeNotifier.kinds()).toEqual(['model.started', 'model.released']);
    expect(ws.fakeNotifier.ofKind('model.released')[0]).toMatchObject({ model: dflt.version, environment: 'stage', deploymentId: outcome.record.deploymentId });
  });

  it('the model gate refuses a candidate worse in a category (exit 3), naming the rows; nothing is published or recorded', async () => {
    await live('stage', BASELINE_DIR);
    const writes = provider.modelStore.pointerWrites.length;
    const error = await release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelGateRefusedError);
    const refused = error as ModelGateRefusedError;
    expect(refused.exitCode).toBe(ExitCode.GateRefused);
    expect(refused.report.baseline).toEqual({ version: base.version, source: 'released' });
    // On the check set models/default lets one of the 32 spam posts through that models/baseline catches.
    expect(refused.report.rows.filter((r) => r.worse).map((r) => r.metric)).toEqual(['caught.spam']);
    expect(refused.report.gates[0]).toMatchObject({ name: 'model', status: 'fail' });
    expect(refused.report.gates[0]!.reason).toContain('caught.spam 100.0% -> 96.9%');
    expect(provider.modelStore.pointerWrites).toHaveLength(writes);
    expect(await provider.modelStore.releases(ws.environment('stage'))).toEqual([]);
    expect(ws.fakeNotifier.kinds()).toEqual(['gate.refused']);
  });

  it('the other way round: models/baseline names categories far worse than the bundled default', async () => {
    const error = (await release({ model: BASELINE_DIR }).catch((e: unknown) => e)) as ModelGateRefusedError;
    expect(error).toBeInstanceOf(ModelGateRefusedError);
    const worse = error.report.rows.filter((r) => r.worse).map((r) => r.metric);
    expect(worse).toContain('named.scam');
    expect(worse).toContain('category.named');
    expect(worse.some((m) => m.startsWith('caught.'))).toBe(false);
  });

  it('--override model --reason lets it through: recorded with who and why, notified gate.overridden', async () => {
    await live('stage', BASELINE_DIR);
    const outcome = await release({ overrides: [{ gate: 'model', reason: 'spam filter upstream' }] });
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.record.gates).toEqual([expect.objectContaining({ name: 'model', status: 'pass', overridden: { reason: 'spam filter upstream', by: 'carol' } })]);
    expect(outcome.record.model!.gate).toMatchObject({ passed: false, baseline: { version: base.version, source: 'released' }, checkSet: 'data/ja-check.csv', tolerance: 0.01 });
    expect(outcome.record.model!.previous).toMatchObject({ version: base.version });
    expect(ws.fakeNotifier.kinds()).toEqual(['gate.overridden', 'model.started', 'model.released']);
  });

  it('a wider tolerance passes the candidate; an override of a code gate is refused', async () => {
    await live('stage', BASELINE_DIR);
    expect((await release({ tolerance: 0.05 })).record.status).toBe('Succeeded');
    await expect(release({ model: BASELINE_DIR, overrides: [{ gate: 'ticket', reason: 'x' }] })).rejects.toThrow(/judges the gates model and window only/);
  });

  it('the time-based gate of the env is judged too', async () => {
    bundledInstances(provider.modelStore, 'production', dflt.version, ['i-p1']);
    const saturday = () => new Date('2026-11-28T03:00:00Z');
    const error = (await release({ environment: 'production', now: saturday }).catch((e: unknown) => e)) as ModelGateRefusedError;
    expect(error).toBeInstanceOf(ModelGateRefusedError);
    expect(error.report.gates.map((g) => [g.name, g.status])).toEqual([
      ['model', 'pass'],
      ['window', 'fail'],
    ]);
    const outcome = await release({ environment: 'production', now: saturday, overrides: [{ gate: 'window', reason: 'hotfix' }] });
    expect(outcome.record.gates!.find((g) => g.name === 'window')).toMatchObject({ overridden: { reason: 'hotfix', by: 'carol' } });
  });

  it('a directory that is not a model, one that does not exist, or the live model again, is a usage error', async () => {
    await expect(release({ model: repo.dir })).rejects.toThrow(UsageError);
    const notModel = (await release({ model: repo.dir }).catch((e: unknown) => e)) as UsageError;
    expect(notModel.message).toBe(`--model ${repo.dir} is not a model artifact: no manifest.json here`);
    const missing = (await release({ model: `${repo.dir}/nope` }).catch((e: unknown) => e)) as UsageError;
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe(`--model ${repo.dir}/nope does not exist`);
    await release();
    await expect(release()).rejects.toThrow(/is already live in stage/);
  });

  it('"already live" names the release that made the model live, not the last writer of the pointer (a shadow)', async () => {
    const first = await release();
    const store = provider.modelStore;
    const pointer = (await store.readPointer(ws.environment('stage')))!;
    await store.writePointer(ws.environment('stage'), { ...pointer, releaseId: 'm-20261202T000000-shadow', shadow: { ...pointer.live, version: 'shadow-1', checksum: 'abc' } });
    const error = (await release().catch((e: unknown) => e)) as UsageError;
    expect(error.message).toBe(`model ${dflt.version} is already live in stage (released ${first.record.deploymentId})`);
  });

  it("the gate's fix names where the current model and the candidate are, so mod model check runs as given", async () => {
    await live('stage', BASELINE_DIR);
    const refused = (await release().catch((e: unknown) => e)) as ModelGateRefusedError;
    expect(refused.report.gates[0]!.fix).toContain(`mod model check --candidate ${DEFAULT_DIR} --baseline ${BASELINE_DIR} --data data/ja-check.csv`);
  });

  it('an env without canary: settings: the canary is skipped, and the output says why', async () => {
    await live('stage', BASELINE_DIR);
    const outcome = await release({ overrides: [{ gate: 'model', reason: 'x' }] });
    expect(outcome.record.canary).toMatchObject({ status: 'Skipped', note: 'stage has no canary: settings' });
    expect(events.ofType('canary')).toEqual([expect.objectContaining({ phase: 'skipped', reason: expect.stringContaining('stage has no canary: settings') })]);
  });

  it('takes the same environment lock as code deploys', async () => {
    const lock = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    try {
      await expect(release()).rejects.toBeInstanceOf(LockHeldError);
      expect(provider.modelStore.pointerWrites).toEqual([]);
    } finally {
      await lock.release();
    }
    expect((await release()).record.status).toBe('Succeeded');
  });

  it('instances that do not load it in time: the pointer is put back, Failed with MODEL_NOT_LOADED naming each and its error', async () => {
    const store = provider.modelStore;
    store.followPointer = false;
    store.instances.get('stage')![1]!.model!.error = { releaseId: 'm-x', message: 'checksum mismatch', at: '2026-12-01T00:00:01.000Z' };
    const outcome = await release({ timeoutMs: 50 });
    expect(outcome.record.status).toBe('Failed');
    expect(outcome.record.error!.code).toBe('MODEL_NOT_LOADED');
    expect(outcome.record.error!.message).toContain('i-1 still holds');
    expect(outcome.record.error!.message).toContain('i-2 still holds');
    expect(outcome.record.error!.message).toContain('checksum mismatch');
    // No pointer before: cleared again; the instances never left their bundled model, which they report.
    expect(await store.readPointer(ws.environment('stage'))).toBeNull();
    expect(outcome.record.model!.restored).toEqual({ asked: true, loaded: true, pending: [] });
    expect((await store.releases(ws.environment('stage')))[0]).toMatchObject({ status: 'Failed' });
    expect(ws.fakeNotifier.kinds()).toEqual(['model.started', 'model.failed']);
  });

  it('a pointer that was there is written back as it was', async () => {
    const before = await live('stage', BASELINE_DIR);
    // Instances that never took the released model (they hold their bundled one) and follow nothing.
    bundledInstances(provider.modelStore, 'stage', dflt.version);
    provider.modelStore.followPointer = false;
    const outcome = await release({ timeoutMs: 30, overrides: [{ gate: 'model', reason: 'try' }] });
    expect(outcome.record.status).toBe('Failed');
    expect(await provider.modelStore.readPointer(ws.environment('stage'))).toMatchObject({ releaseId: 'm-20261201T000000-live01', live: before });
    // The instances are waited for, and each that does not report the pointer put back is named.
    expect(outcome.record.model!.restored).toEqual({ asked: true, loaded: false, pending: [expect.stringContaining(`i-1 still holds ${dflt.version}`), expect.stringContaining(`i-2 still holds ${dflt.version}`)] });
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining(`the pointer of stage is back, but not every instance reports model ${base.version} as live, no canary yet: i-1 still holds`));
  });

  it('where the instances cannot be asked, one MODEL_POLL interval is waited (said so)', async () => {
    provider.modelStore.instances.delete('stage');
    const outcome = await release();
    expect(outcome.record.status).toBe('Succeeded');
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining('cannot be asked which model they hold: waiting one MODEL_POLL interval'));
  });

  it('keeps the shadow model unless it is the candidate', async () => {
    const store = provider.modelStore;
    const baseRef = await live('stage', BASELINE_DIR);
    const pointer = (await store.readPointer(ws.environment('stage')))!;
    const shadow = { ...baseRef, version: 'shadow-1', checksum: 'abc' };
    await store.writePointer(ws.environment('stage'), { ...pointer, shadow });
    await release({ overrides: [{ gate: 'model', reason: 'x' }] });
    expect((await store.readPointer(ws.environment('stage')))!.shadow).toEqual(shadow);
    expect(
      events
        .notices()
        .map((n) => n.message)
        .join('\n'),
    ).not.toContain('was the shadow');
  });

  it('releasing the shadow model clears the shadow, and says so', async () => {
    const store = provider.modelStore;
    await live('stage', BASELINE_DIR);
    const pointer = (await store.readPointer(ws.environment('stage')))!;
    const shadow = await store.publish(ws.environment('stage'), DEFAULT_DIR, dflt);
    await store.writePointer(ws.environment('stage'), { ...pointer, shadow });
    const outcome = await release({ overrides: [{ gate: 'model', reason: 'x' }] });
    expect(outcome.record.status).toBe('Succeeded');
    expect((await store.readPointer(ws.environment('stage')))!.shadow).toBeUndefined();
    expect(events.notices().map((n) => n.message)).toContainEqual(expect.stringContaining(`model ${dflt.version} was the shadow of stage: released as live, it is no shadow any more`));
  });
});

describe('the model canary', () => {
  function qa(options: Partial<ReleaseModelOptions> = {}) {
    return release({ environment: 'qa', tolerance: 0.05, unattended: true, ...options });
  }

  it('first model release of a canary env: skipped, nothing to compare with', async () => {
    const outcome = await qa();
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.record.canary).toMatchObject({ status: 'Skipped' });
    expect(events.ofType('canary')).toEqual([expect.objectContaining({ phase: 'skipped' })]);
  });

  it('Pass: the candidate decides its share, the rows of both models are judged, then it goes live', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    const db = new FakeReleaseDatabase([...rows(base.version, 400, 20), ...rows(dflt.version, 100, 5), ...rows('other', 50, 50)]);
    ws.releaseDatabase = db;
    const outcome = await qa();
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.record.canary).toMatchObject({ status: 'Judged', outcome: 'continued', verdict: { verdict: 'Pass' } });
    // Latency and errors are not judged: one process serves both models.
    expect(outcome.record.canary!.verdict!.metrics.map((m) => m.group)).not.toContain('latency');
    expect(outcome.record.canary!.verdict!.metrics.map((m) => m.group)).not.toContain('errors');
    expect(db.queries).toEqual([{ since: expect.any(Date), versions: [base.version, dflt.version] }]);
    expect(db.closed).toBe(1);
    const writes = provider.modelStore.pointerWrites.slice(-2);
    expect(writes[0]).toMatchObject({ live: { version: base.version }, canary: { version: dflt.version, weight: 20 } });
    expect(writes[1]).toMatchObject({ live: { version: dflt.version } });
    expect(writes[1]!.canary).toBeUndefined();
    expect(events.ofType('canary').map((e) => e.phase)).toEqual(['sampling', 'verdict']);
  });

  it('Fail, and the pointer cannot be put back (the store fails): the record is saved Failed saying so, and the error is thrown', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([...rows(base.version, 400, 20), ...rows(dflt.version, 100, 40)]);
    const store = provider.modelStore;
    const write = store.writePointer.bind(store);
    store.writePointer = async (env, pointer) => {
      // The canary's write goes through; the restore after the verdict (no canary in it) fails.
      if (!pointer.canary) throw new Error('ThrottlingException: Rate exceeded');
      return write(env, pointer);
    };
    await expect(qa()).rejects.toThrow(/Rate exceeded/);
    const [record] = await store.releases(ws.environment('qa'));
    expect(record).toMatchObject({ status: 'Failed', error: { code: 'CANARY_FAILED', message: expect.stringContaining('and the pointer could not be put back: ThrottlingException'), hint: expect.stringContaining('mod model rollback --env qa') } });
    expect(ws.fakeNotifier.kinds().at(-1)).toBe('model.failed');
  });

  it('Fail: the pointer goes back to live without the canary; Failed with CANARY_FAILED, notified model.failed', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([...rows(base.version, 400, 20), ...rows(dflt.version, 100, 40)]);
    const outcome = await qa();
    expect(outcome.record.status).toBe('Failed');
    expect(outcome.record.error).toMatchObject({ code: 'CANARY_FAILED' });
    expect(outcome.record.canary).toMatchObject({ outcome: 'rolled-back', verdict: { verdict: 'Fail' } });
    const pointer = await provider.modelStore.readPointer(ws.environment('qa'));
    expect(pointer).toMatchObject({ releaseId: 'm-20261201T000000-live01', live: { version: base.version } });
    expect(pointer!.canary).toBeUndefined();
    expect(ws.fakeNotifier.kinds()).toEqual(['model.started', 'model.failed']);
    // Models, not fleets; short: the failing metrics are counted (the canary line names them), their figures are in mod canary report.
    const message = outcome.record.error!.message;
    const failing = outcome.record.canary!.verdict!.metrics.filter((m) => m.verdict === 'fail');
    expect(message).toBe(`model canary Fail (score ${outcome.record.canary!.verdict!.score}/100, ${failing.length} failing metric${failing.length > 1 ? 's' : ''}): the candidate model ${dflt.version} is removed; model ${base.version} keeps deciding`);
    expect(outcome.record.error!.hint).toBe(`each metric: mod canary report ${outcome.record.deploymentId}`);
    // The instances were waited for until they dropped the canary.
    expect(outcome.record.model!.restored).toEqual({ asked: true, loaded: true, pending: [] });
    expect(events.notices().map((n) => n.message)).toContainEqual(`every instance of qa reports model ${base.version} as live, no canary again`);
    const verdict = events.ofType('canary').find((e) => e.phase === 'verdict');
    expect(verdict).toMatchObject({ model: { candidate: dflt.version, live: base.version } });
  });

  it('Marginal with onMarginal pause fails: a model canary does not wait for mod approve', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([...rows(base.version, 400, 20), ...rows(dflt.version, 10, 1)]);
    const outcome = await qa();
    expect(outcome.record.status).toBe('Failed');
    expect(outcome.record.canary!.verdict!.verdict).toBe('Marginal');
    expect(outcome.record.error!.hint).toContain('does not pause for mod approve');
  });

  it('Ctrl-C while the canary samples: Stopped, the pointer is back as it was', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([]);
    const controller = new AbortController();
    events.onEvent((e) => {
      if (e.type === 'canary' && e.phase === 'sampling') controller.abort();
    });
    const outcome = await qa({ signal: controller.signal });
    expect(outcome.record).toMatchObject({ status: 'Stopped', error: { code: 'INTERRUPTED' } });
    const pointer = await provider.modelStore.readPointer(ws.environment('qa'));
    expect(pointer).toMatchObject({ releaseId: 'm-20261201T000000-live01', live: { version: base.version } });
    expect(pointer!.canary).toBeUndefined();
    expect(ws.fakeNotifier.kinds()).toEqual(['model.started', 'model.failed']);
    // The canary is recorded as ended, not Running; the wait for the instances ran although the signal was aborted.
    const saved = (await provider.modelStore.releases(ws.environment('qa')))[0]!;
    expect(saved.canary).toMatchObject({ status: 'Judged', endedAt: saved.endedAt, note: 'stopped before a verdict', outcome: 'rolled-back' });
    expect(saved.model!.restored).toEqual({ asked: true, loaded: true, pending: [] });
  });

  it('Ctrl-C, and the instances keep the canary: Stopped is recorded before the wait, which ends saying which did not drop it', async () => {
    await live('qa', BASELINE_DIR);
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([]);
    const controller = new AbortController();
    const store = provider.modelStore;
    const saves: string[] = [];
    const save = store.saveRelease.bind(store);
    store.saveRelease = async (env, record) => {
      saves.push(`${record.status}${record.model?.restored ? ' restored' : ''}`);
      await save(env, record);
    };
    events.onEvent((e) => {
      if (e.type === 'canary' && e.phase === 'sampling') {
        store.followPointer = false;
        controller.abort();
      }
    });
    const outcome = await qa({ signal: controller.signal, timeoutMs: 50 });
    expect(outcome.record.status).toBe('Stopped');
    expect(outcome.record.model!.restored).toEqual({ asked: true, loaded: false, pending: [expect.stringContaining(`i-q1 still holds ${base.version} (released, canary ${dflt.version})`)] });
    expect(saves.slice(-2)).toEqual(['Stopped', 'Stopped restored']);
  });

  it('no database known: refused before anything is published', async () => {
    await live('qa', BASELINE_DIR);
    const writes = provider.modelStore.pointerWrites.length;
    await expect(qa()).rejects.toThrow(/reads its database, and none is known/);
    expect(provider.modelStore.pointerWrites).toHaveLength(writes);
  });
});
