// One deployment per environment at a time. The lock is a file created with
// O_EXCL holding who took it; a lock whose process is gone (crash, kill -9)
// is taken over with a warning rather than blocking the team forever.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockHeldError } from '../errors.js';

export interface LockHolder {
  pid: number;
  user: string;
  host: string;
  since: string;
  command: string;
}

export interface HeldLock {
  release(): Promise<void>;
  /** Set when a stale lock of a dead process was taken over. */
  takenOverFrom?: LockHolder;
}

export async function acquireLock(file: string, command: string): Promise<HeldLock> {
  await mkdir(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, user: os.userInfo().username, host: os.hostname(), since: new Date().toISOString(), command };
  let takenOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.sync();
      await handle.close();
      return {
        takenOverFrom,
        release: async () => {
          const current = await readHolder(file);
          if (current?.pid === me.pid && current.since === me.since) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (holder && holder.host === me.host && !isAlive(holder.pid)) {
      takenOverFrom = holder;
      await rm(file, { force: true });
      continue;
    }
    if (!holder) {
      // Being written right now, or unreadable: give the writer a moment.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    throw new LockHeldError(
      `another deployment holds the lock: pid ${holder.pid}, user ${holder.user}@${holder.host}, since ${holder.since} (${holder.command})`,
      'wait for it to finish (mod status --watch) or stop it; a lock of a dead process is taken over automatically',
    );
  }
  throw new LockHeldError(`could not take the deployment lock ${file}`, 'remove the file if no deployment is running');
}

export async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
