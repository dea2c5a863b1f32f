import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, clearStopRequest, readStopRequest, requestStop, waitForRelease } from '../../src/delivery/deploy-lock.js';
import { LockHeldError } from '../../src/errors.js';

describe('deployment lock', () => {
  it('lets one holder in, names it to the next, and frees on release', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mod-lock-')), 'env', 'deploy.lock');
    const first = await acquireLock(file, 'mod deploy --env stage');
    const error = await acquireLock(file, 'mod deploy --env stage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect((error as Error).message).toContain(os.userInfo().username);
    await first.release();
    const second = await acquireLock(file, 'mod rollback');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, command: 'mod rollback' });
    await second.release();
  });

  it('takes over a lock whose process is dead', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mod-lock-')), 'deploy.lock');
    const dead = Number((await execa('sh', ['-c', 'echo $$'])).stdout);
    await writeFile(file, JSON.stringify({ pid: dead, user: 'bob', host: os.hostname(), since: '2026-01-01T00:00:00Z', command: 'mod deploy' }));
    const lock = await acquireLock(file, 'mod deploy');
    expect(lock.takenOverFrom).toMatchObject({ pid: dead, user: 'bob' });
    await lock.release();
  });

  it('issue 17.5: carries a stop request to the holder it names, and waits for the holder to let go', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mod-lock-')), 'deploy.lock');
    const lock = await acquireLock(file, 'mod deploy --env stage');
    expect(await readStopRequest(file, process.pid)).toBeUndefined();
    await requestStop(file, lock.holder, 'mod stop --env stage');
    expect(await readStopRequest(file, process.pid)).toMatchObject({ targetPid: process.pid, by: { pid: process.pid, command: 'mod stop --env stage' } });
    // A request for another holder is not this one's.
    expect(await readStopRequest(file, process.pid + 1)).toBeUndefined();

    expect(await waitForRelease(file, lock.holder, 150, 20)).toBe(false);
    setTimeout(() => void lock.release(), 100);
    expect(await waitForRelease(file, lock.holder, 5000, 20)).toBe(true);
    await clearStopRequest(file, process.pid);
    expect(await readStopRequest(file, process.pid)).toBeUndefined();
  });
});
