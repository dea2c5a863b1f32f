// Issue 17.2: a deploying mod killed mid-hook leaves its record InProgress and
// its hook running. Closing abandoned deployments (what the next lock holder
// does) kills the hook's process group, found through running-hook.json,
// and closes the record Stopped with why. Real process groups (sh + sleep),
// a real history directory.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { newDeploymentRecord, type DeploymentRecord } from '../../../../src/delivery/deployment.js';
import { DeploymentHistory } from '../../../../src/delivery/providers/local/deployment-history.js';
import type { LocalInstance } from '../../../../src/delivery/providers/local/local-instances.js';
import { closeAbandonedDeployments, killOrphanedHooks } from '../../../../src/delivery/providers/local/orphaned-hooks.js';

const dirs: string[] = [];
const groups: number[] = [];
afterEach(async () => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-orphans-'));
  dirs.push(dir);
  return dir;
}

/** A hook as the agent runs it: its own process group, a shell with a child (`sleep`), ignoring nothing. */
function startHookGroup(script = 'sleep 60 & wait'): number {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  groups.push(child.pid!);
  return child.pid!;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function deadPid(): Promise<number> {
  return Number((await execa('sh', ['-c', 'echo $$'])).stdout);
}

async function instanceIn(root: string, id: string): Promise<LocalInstance> {
  const dir = path.join(root, 'instances', id);
  await mkdir(dir, { recursive: true });
  return { id, dir, root: path.join(dir, 'root'), port: 0, createdAt: new Date().toISOString() };
}

function inProgressRecord(id: string, pid: number | undefined): DeploymentRecord {
  const record = newDeploymentRecord({ environment: { name: 'stage' }, commit: { commit: 'a'.repeat(40), subject: 'v2', author: 'alice' }, initiator: 'alice' }, 'local', id);
  record.pid = pid;
  record.instances = [
    {
      instanceId: 'i-local-1',
      status: 'InProgress',
      events: [
        { name: 'ApplicationStop', status: 'Succeeded' },
        { name: 'BeforeInstall', status: 'InProgress', startedAt: new Date().toISOString() },
        { name: 'AfterInstall', status: 'Pending' },
      ],
    },
  ];
  return record;
}

describe('issue 17.2: orphaned hooks of a deployer that died', () => {
  it('closes the abandoned record Stopped with why and kills its hook process group (children included)', async () => {
    const root = await tempDir();
    const history = new DeploymentHistory(path.join(root, 'deployments'));
    const [i1, i2] = [await instanceIn(root, 'i-local-1'), await instanceIn(root, 'i-local-2')];
    const dead = await deadPid();
    await history.save(inProgressRecord('d-20260101T000000-dead01', dead));
    const pgid = startHookGroup();
    await writeFile(path.join(i1.dir, 'running-hook.json'), JSON.stringify({ pid: pgid, deploymentId: 'd-20260101T000000-dead01', event: 'BeforeInstall', location: 'scripts/slow.sh', startedAt: new Date().toISOString() }));
    // Another instance runs a hook of some other deployment: not ours to kill.
    const other = startHookGroup();
    await writeFile(path.join(i2.dir, 'running-hook.json'), JSON.stringify({ pid: other, deploymentId: 'd-other', event: 'BeforeInstall', location: 'x.sh', startedAt: new Date().toISOString() }));
    expect(groupAlive(pgid)).toBe(true);

    const closed = await closeAbandonedDeployments(history, [i1, i2], 'pid 4242 (bob@host, mod deploy --env stage)', { graceMs: 1000 });

    expect(closed.map((r) => r.deploymentId)).toEqual(['d-20260101T000000-dead01']);
    expect(groupAlive(pgid)).toBe(false);
    expect(groupAlive(other)).toBe(true);
    await expect(readFile(path.join(i1.dir, 'running-hook.json'), 'utf8')).rejects.toThrow();
    expect(JSON.parse(await readFile(path.join(i2.dir, 'running-hook.json'), 'utf8'))).toMatchObject({ pid: other });

    const record = (await history.get('d-20260101T000000-dead01'))!;
    expect(record.status).toBe('Stopped');
    expect(record.endedAt).toBeDefined();
    expect(record.pid).toBeUndefined();
    expect(record.stopReason).toContain(`the deploying process (pid ${dead}) died; lock taken over by pid 4242 (bob@host, mod deploy --env stage)`);
    expect(record.stopReason).toContain(`killed its running hook BeforeInstall scripts/slow.sh on i-local-1 (process group ${pgid})`);
    expect(record.error).toMatchObject({ code: 'DEPLOYMENT_ABANDONED' });
    expect(record.instances[0]!.status).toBe('Failed');
    expect(record.instances[0]!.events.map((e) => e.status)).toEqual(['Succeeded', 'Failed', 'Skipped']);
  });

  it('SIGKILLs a hook that ignores SIGTERM after the grace', async () => {
    const root = await tempDir();
    const instance = await instanceIn(root, 'i-local-1');
    const pgid = startHookGroup("trap '' TERM; sleep 60 & wait; sleep 60");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writeFile(path.join(instance.dir, 'running-hook.json'), JSON.stringify({ pid: pgid, deploymentId: 'd-x', event: 'AfterInstall', location: 'stubborn.sh', startedAt: new Date().toISOString() }));
    const killed = await killOrphanedHooks([instance], 'd-x', 300);
    expect(killed).toMatchObject([{ instanceId: 'i-local-1', pid: pgid, event: 'AfterInstall' }]);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('leaves a record whose process is alive, and finished records, alone', async () => {
    const root = await tempDir();
    const history = new DeploymentHistory(path.join(root, 'deployments'));
    await history.save(inProgressRecord('d-20260101T000000-alive1', process.pid));
    const done = { ...inProgressRecord('d-20260101T000000-done01', undefined), status: 'Succeeded' as const };
    await history.save(done);
    expect(await closeAbandonedDeployments(history, [], 'pid 1')).toEqual([]);
    expect((await history.get('d-20260101T000000-alive1'))!.status).toBe('InProgress');
    expect((await history.get('d-20260101T000000-done01'))!.status).toBe('Succeeded');
  });
});
