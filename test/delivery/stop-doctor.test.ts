// stop() and doctor() through a FakeProvider: stop runs under the
// environment's lock and reports what the provider stopped; doctor passes
// unless a check fails (a warning does not fail it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/delivery/deploy-lock.js';
import { doctor } from '../../src/delivery/doctor.js';
import { stop } from '../../src/delivery/stop.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: { stage: { branch: 'stage', aliases: ['staging'] }, production: { branch: 'master' } },
};

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
  events = new FakeDeliveryEvents();
});
afterEach(() => repo.dispose());

describe('stop', () => {
  it("stops what the provider runs in the environment and passes the provider's events on", async () => {
    provider.tellRunning('stage', ['stage-i1', 'stage-i2', 'endpoint http://127.0.0.1:4100']);
    const outcome = await stop(ws, { environment: 'staging', events: events.emit });
    expect(outcome.environment.name).toBe('stage');
    expect(outcome.stopped).toEqual(['stage-i1', 'stage-i2', 'endpoint http://127.0.0.1:4100']);
    expect(provider.callsOf('stop')).toEqual([{ method: 'stop', environment: 'stage' }]);
    expect(events.notices('info')).toHaveLength(3);

    // Nothing left running: an empty list, not an error.
    expect((await stop(ws, { environment: 'stage', events: events.emit })).stopped).toEqual([]);
  });

  it('refuses while a deployment holds the lock, and releases its own lock after', async () => {
    provider.tellRunning('stage', ['stage-i1']);
    const held = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    try {
      await expect(stop(ws, { environment: 'stage', events: events.emit })).rejects.toMatchObject({ code: 'LOCK_HELD' });
    } finally {
      await held.release();
    }
    expect(provider.callsOf('stop')).toEqual([]);
    await stop(ws, { environment: 'stage', events: events.emit });
    const again = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    await again.release();
  });

  it('refuses an unknown environment without calling the provider', async () => {
    await expect(stop(ws, { environment: 'qa', events: events.emit })).rejects.toMatchObject({ code: 'USAGE' });
    expect(provider.calls).toEqual([]);
  });
});

describe('doctor', () => {
  it("passes when no check fails, warnings included, and returns the provider's checks", async () => {
    const checks = [
      { name: 'branch', status: 'pass' as const, detail: 'stage exists' },
      { name: 'alarms', status: 'warn' as const, detail: 'no CloudWatch alarms' },
    ];
    provider.tellDoctorChecks('stage', checks);
    const report = await doctor(ws, { environment: 'staging' });
    expect(report).toEqual({ environment: expect.objectContaining({ name: 'stage' }), passed: true, checks });
    expect(provider.callsOf('doctor')).toEqual([{ method: 'doctor', environment: 'stage' }]);
  });

  it('fails when any check fails', async () => {
    provider.tellDoctorChecks('production', [
      { name: 'branch', status: 'pass', detail: 'master exists' },
      { name: 'buildspec', status: 'fail', detail: 'buildspec.yml not found' },
      { name: 'alarms', status: 'warn', detail: 'none' },
    ]);
    const report = await doctor(ws, { environment: 'production' });
    expect(report.passed).toBe(false);
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'fail', 'warn']);
  });

  it('passes with no checks at all', async () => {
    expect(await doctor(ws, { environment: 'stage' })).toMatchObject({ passed: true, checks: [] });
  });
});
