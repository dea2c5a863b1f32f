// Issue 12.4: a deploy that died mid-canary leaves its canary and baseline
// instances running beside the fleet; the next deploy (or `mod stop`) finds
// them under .mod/envs/<env>/canary/ and removes them, service processes
// included. A real process stands in for the pair's service.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment } from '../../../../src/delivery/config.js';
import { isAlive } from '../../../../src/delivery/deploy-lock.js';
import type { DeliveryEvent } from '../../../../src/delivery/events.js';
import { canaryInstancesDir, removeLeftoverCanary } from '../../../../src/delivery/providers/local/local-canary.js';
import { StatePaths } from '../../../../src/delivery/state-paths.js';

let dir: string;
const pids: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-canary-left-'));
});
afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function leftover(paths: StatePaths, id: string): Promise<number> {
  const instanceDir = path.join(canaryInstancesDir(paths, 'stage'), id);
  await mkdir(path.join(instanceDir, 'root', 'var', 'run', 'mod'), { recursive: true });
  await writeFile(path.join(instanceDir, 'instance.json'), JSON.stringify({ id, port: 1, createdAt: new Date().toISOString() }));
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  child.unref();
  pids.push(child.pid!);
  await writeFile(path.join(instanceDir, 'root', 'var', 'run', 'mod', 'service.pid'), `${child.pid}\n`);
  return child.pid!;
}

describe('canary instances left by a deploy that died (issue 12.4)', () => {
  const env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', canary: {} } } }), 'stage');

  it('issue 12.4: are stopped and removed, and said so', async () => {
    const paths = new StatePaths(dir);
    const canaryPid = await leftover(paths, 'i-canary-1');
    const baselinePid = await leftover(paths, 'i-baseline-1');
    const events: DeliveryEvent[] = [];
    const removed = await removeLeftoverCanary(paths, env, undefined, (e) => events.push(e));
    expect(removed.sort()).toEqual(['i-baseline-1', 'i-canary-1']);
    for (let i = 0; i < 100 && (isAlive(canaryPid) || isAlive(baselinePid)); i++) await new Promise((r) => setTimeout(r, 20));
    expect([isAlive(canaryPid), isAlive(baselinePid)]).toEqual([false, false]);
    expect(await readdir(canaryInstancesDir(paths, 'stage'))).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', level: 'warn', message: expect.stringMatching(/left by an earlier canary/) }));
  });

  it('issue 12.4: nothing left, nothing done', async () => {
    const events: DeliveryEvent[] = [];
    expect(await removeLeftoverCanary(new StatePaths(dir), env, undefined, (e) => events.push(e))).toEqual([]);
    expect(events).toEqual([]);
  });
});
