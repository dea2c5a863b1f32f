// A model release whose `mod` is killed (SIGKILL, a real child process) while
// it waits for the instances, the pointer already naming its model: the
// next model command to take the env's lock closes its record `Stopped`
// (DEPLOYMENT_ABANDONED) and puts the pointer back as it was. The real
// LocalModelStore on real files; the instances are the fake provider's.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelStore } from '../../../src/delivery/model/model-store.js';
import { releaseModel } from '../../../src/delivery/model/model-release.js';
import { rollbackModel } from '../../../src/delivery/model/model-rollback.js';
import { LocalModelStore } from '../../../src/delivery/providers/local/local-model-store.js';
import type { DeliveryEvent } from '../../../src/delivery/events.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { BASELINE_DIR, CONFIG, DEFAULT_DIR, manifestOf } from './model-support.js';

const CHILD = path.join(import.meta.dirname, 'support', 'release-child.ts');

let repo: TempRepository;
let ws: FakeWorkspace;
let store: LocalModelStore;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.commit('First', { 'app.txt': 'v1\n' });
  const provider = new (class extends FakeProvider {
    override models(): ModelStore {
      return store;
    }
  })();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
  store = new LocalModelStore(ws.paths, () => {});
});
afterEach(() => repo.dispose());

const options = (events: DeliveryEvent[] = []) => ({ environment: 'stage', signal: new AbortController().signal, events: (e: DeliveryEvent) => void events.push(e), wait: { pollMs: 20 } });

/** Starts a release of `model` in a child process and SIGKILLs it once the pointer names its model; resolves with its release id. */
async function killedMidRelease(model: string): Promise<string> {
  const { version } = await manifestOf(model);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ws.paths.root, model], { stdio: ['ignore', 'ignore', 'pipe'], cwd: path.resolve(import.meta.dirname, '..', '..', '..') });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pointer = await readFile(ws.paths.modelPointer('stage'), 'utf8').then(
      (t) => JSON.parse(t) as { live: { version: string }; releaseId: string },
      () => undefined,
    );
    if (pointer?.live.version === version) {
      child.kill('SIGKILL');
      await exited;
      return pointer.releaseId;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the release child ended or never wrote the pointer (exit ${child.exitCode}): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a model release whose process was killed (SIGKILL)', () => {
  it('the next release closes it Stopped (DEPLOYMENT_ABANDONED) and puts the pointer back: the model it replaced is live again', { timeout: 180_000 }, async () => {
    const first = await releaseModel(ws, { ...options(), model: DEFAULT_DIR });
    expect(first.record.status).toBe('Succeeded');
    const dflt = await manifestOf(DEFAULT_DIR);

    const killed = await killedMidRelease(BASELINE_DIR);
    const before = (await store.releases(ws.environment('stage'))).find((r) => r.deploymentId === killed)!;
    expect(before.status).toBe('InProgress');

    // The model of the first release is live again once the dead one is closed: releasing it is "already live".
    const events: DeliveryEvent[] = [];
    await expect(releaseModel(ws, { ...options(events), model: DEFAULT_DIR })).rejects.toThrow(/already live in stage \(released m-/);
    const closed = (await store.releases(ws.environment('stage'))).find((r) => r.deploymentId === killed)!;
    expect(closed).toMatchObject({ status: 'Stopped', error: { code: 'DEPLOYMENT_ABANDONED' } });
    expect(closed.stopReason).toMatch(/died; lock taken over by mod model release.*put back: model .* is live again/);
    expect(closed.pid).toBeUndefined();
    expect(closed.endedAt).toBeDefined();
    const pointer = (await store.readPointer(ws.environment('stage')))!;
    expect(pointer.live).toMatchObject({ version: dflt.version, checksum: dflt.checksum });
    expect(pointer.releaseId).toBe(first.record.deploymentId);
    expect(events.some((e) => e.type === 'notice' && e.level === 'warn' && e.message.includes(`closed abandoned model release ${killed}`))).toBe(true);
  });

  it('a first release killed: the next rollback clears what it wrote (nothing to roll back: the bundled model decides)', { timeout: 180_000 }, async () => {
    const killed = await killedMidRelease(DEFAULT_DIR);
    await expect(rollbackModel(ws, options())).rejects.toThrow(/no model is released to stage/);
    expect(await store.readPointer(ws.environment('stage'))).toBeNull();
    const closed = (await store.releases(ws.environment('stage'))).find((r) => r.deploymentId === killed)!;
    expect(closed).toMatchObject({ status: 'Stopped', error: { code: 'DEPLOYMENT_ABANDONED' } });
    expect(closed.stopReason).toContain('the bundled model decides again');
  });

  it('a live release is not closed: only records whose process is gone', async () => {
    await releaseModel(ws, { ...options(), model: DEFAULT_DIR });
    const env = ws.environment('stage');
    const [record] = await store.releases(env);
    await store.saveRelease(env, { ...record!, deploymentId: 'm-20990101T000000Z-aaaaaa', status: 'InProgress', pid: process.pid, endedAt: undefined });
    await expect(releaseModel(ws, { ...options(), model: DEFAULT_DIR })).rejects.toThrow(/already live/);
    expect((await store.releases(env)).find((r) => r.deploymentId === 'm-20990101T000000Z-aaaaaa')?.status).toBe('InProgress');
  });
});
