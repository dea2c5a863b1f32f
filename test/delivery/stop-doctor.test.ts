// stop() through a FakeProvider: stop runs under the environment's lock and
// reports what the provider stopped (doctor's cases are in doctor.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, readStopRequest } from '../../src/delivery/deploy-lock.js';
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

  it('issue 17.5: asks the running deployment to stop, waits for it to let go of the lock, then stops the environment', async () => {
    provider.tellRunning('stage', ['stage-i1']);
    const lockFile = ws.paths.lock('stage');
    const held = await acquireLock(lockFile, 'mod deploy --env stage');
    // The deployment in flight: it honours a stop request aimed at its pid by releasing the lock.
    let honoured = false;
    const deployment = (async () => {
      while (!(await readStopRequest(lockFile, process.pid))) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(provider.callsOf('stop')).toEqual([]);
      honoured = true;
      await held.release();
    })();
    const outcome = await stop(ws, { environment: 'stage', events: events.emit, requestGraceMs: 5000 });
    await deployment;
    expect(honoured).toBe(true);
    expect(outcome.stoppedDeployment).toMatchObject({ pid: process.pid, command: 'mod deploy --env stage' });
    expect(outcome.stopped).toEqual([`mod deploy --env stage (pid ${process.pid})`, 'stage-i1']);
    expect(provider.callsOf('stop')).toHaveLength(1);
    expect(events.notices('info').some((n) => n.message.includes('asking the running mod deploy --env stage'))).toBe(true);
    // The request is gone and the lock free.
    expect(await readStopRequest(lockFile, process.pid)).toBeUndefined();
    const again = await acquireLock(lockFile, 'mod deploy --env stage');
    await again.release();
  });

  it('gives up with LOCK_HELD when the deployment does not let go of the lock, changing nothing', async () => {
    provider.tellRunning('stage', ['stage-i1']);
    const lockFile = ws.paths.lock('stage');
    const held = await acquireLock(lockFile, 'mod deploy --env stage');
    try {
      const error = await stop(ws, { environment: 'stage', events: events.emit, requestGraceMs: 200, waitMs: 400 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LOCK_HELD' });
      expect((error as Error).message).toContain('did not stop within');
    } finally {
      await held.release();
    }
    expect(provider.callsOf('stop')).toEqual([]);
    expect(await readStopRequest(lockFile, process.pid)).toBeUndefined();
    await stop(ws, { environment: 'stage', events: events.emit });
    const again = await acquireLock(lockFile, 'mod deploy --env stage');
    await again.release();
  });

  it('refuses an unknown environment without calling the provider', async () => {
    await expect(stop(ws, { environment: 'qa', events: events.emit })).rejects.toMatchObject({ code: 'USAGE' });
    expect(provider.calls).toEqual([]);
  });
});
