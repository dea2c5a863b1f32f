// Issue 12.1: the local blue/green fleets on real files: replacement ids
// after every id the environment had, terminated instances out of the list,
// and the host's termination of the kept fleet when its time is up (never
// while a live process holds the deployment lock).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetsFile, readFleets, scheduleStandbyTermination } from '../../../../src/delivery/providers/local/local-blue-green.js';
import { ensureInstances, launchInstances, listInstances, markTerminated } from '../../../../src/delivery/providers/local/local-instances.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-bg-'));
  dirs.push(dir);
  return dir;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('blue/green fleets', () => {
  it('issue 12.1: a replacement fleet gets new ids and ports; a terminated instance leaves the list and its id is not reused', async () => {
    const instancesDir = path.join(await tempDir(), 'instances');
    const blue = await ensureInstances(instancesDir, 2);
    const green = await launchInstances(instancesDir, 2);
    expect(green.map((i) => i.id)).toEqual(['i-local-3', 'i-local-4']);
    expect(new Set([...blue, ...green].map((i) => i.port)).size).toBe(4);
    for (const instance of blue) await markTerminated(instance);
    expect((await listInstances(instancesDir)).map((i) => i.id)).toEqual(['i-local-3', 'i-local-4']);
    // In place after blue/green: the live fleet, and a new id when one more is needed.
    expect((await ensureInstances(instancesDir, 3)).map((i) => i.id)).toEqual(['i-local-3', 'i-local-4', 'i-local-5']);
    expect((await launchInstances(instancesDir, 1)).map((i) => i.id)).toEqual(['i-local-6']);
  });

  it('issue 12.1: the host terminates the kept fleet when its time is up, not while a deployment holds the lock, and records it on the deployment', async () => {
    const envDir = await tempDir();
    const instancesDir = path.join(envDir, 'instances');
    const deploymentsDir = path.join(envDir, 'deployments');
    const lockFile = path.join(envDir, 'deploy.lock');
    const kept = await ensureInstances(instancesDir, 2);
    await launchInstances(instancesDir, 2);
    const { writeJsonAtomic } = await import('../../../../src/delivery/json-file.js');
    await writeJsonAtomic(path.join(deploymentsDir, 'd-1.json'), { deploymentId: 'd-1', blueGreen: { originalInstances: ['i-local-1', 'i-local-2'], replacementInstances: ['i-local-3', 'i-local-4'] } });
    await writeJsonAtomic(fleetsFile(envDir), { standby: { instances: kept.map((i) => i.id), until: new Date(Date.now() - 1000).toISOString(), revision: { commit: 'a'.repeat(40) }, deploymentId: 'd-1' } });
    // A live process (this one) holds the lock: nothing happens.
    await writeFile(lockFile, JSON.stringify({ pid: process.pid }));
    const deregistered: string[] = [];
    const log: string[] = [];
    const stop = scheduleStandbyTermination({
      envDir,
      lockFile,
      deploymentsDir,
      instancesDir,
      applicationName: 'app',
      deploymentGroupName: 'app-stage',
      variables: {},
      hookTimeoutCapSeconds: 10,
      deregister: async (id) => {
        deregistered.push(id);
      },
      log: (line) => log.push(line),
      intervalMs: 20,
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(deregistered).toEqual([]);
      expect((await readFleets(envDir)).standby?.terminating).toBeUndefined();

      await rm(lockFile);
      await until(async () => (await readFleets(envDir)).standby === undefined);
      expect(deregistered.sort()).toEqual(['i-local-1', 'i-local-2']);
      expect((await listInstances(instancesDir)).map((i) => i.id)).toEqual(['i-local-3', 'i-local-4']);
      const record = JSON.parse(await readFile(path.join(deploymentsDir, 'd-1.json'), 'utf8')) as { blueGreen: { originalTerminated?: boolean } };
      expect(record.blueGreen.originalTerminated).toBe(true);
      // The line is written after the fleets file and the record are: wait for it rather than race it.
      await until(async () => /i-local-1, i-local-2 terminated/.test(log.join('\n')));
      expect(log.join('\n')).toMatch(/i-local-1, i-local-2 terminated/);
    } finally {
      stop();
    }
  });
});
