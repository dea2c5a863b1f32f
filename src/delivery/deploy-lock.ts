// One deployment per environment at a time. The lock is a file created with
// O_EXCL holding who took it; a lock whose process is gone (crash, kill -9)
// is taken over with a warning rather than blocking the team forever. Next to
// it, a stop request: `mod stop` asks the holder to stop (the local rollout
// polls for it) and waits for the lock to be released.
import { mkdir, open, readFile, rm, writeFile, rename } from 'node:fs/promises';
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
  /** Who holds it now: this process. */
  holder: LockHolder;
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
        holder: me,
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
      `wait for it to finish (mod status --env ${path.basename(path.dirname(file))} --watch) or stop it (mod stop --env ${path.basename(path.dirname(file))}); a lock of a dead process is taken over automatically`,
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

/** `mod stop` asking the holder of an environment's lock to stop what it runs. */
export interface StopRequest {
  /** The lock holder asked to stop; a request for another pid is stale. */
  targetPid: number;
  by: { pid: number; user: string; host: string; command: string };
  at: string;
}

export function stopRequestFile(lockFile: string): string {
  return path.join(path.dirname(lockFile), 'stop-request.json');
}

export async function requestStop(lockFile: string, target: LockHolder, command: string): Promise<StopRequest> {
  const request: StopRequest = { targetPid: target.pid, by: { pid: process.pid, user: os.userInfo().username, host: os.hostname(), command }, at: new Date().toISOString() };
  const file = stopRequestFile(lockFile);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(request));
  await rename(temp, file);
  return request;
}

/** The stop request aimed at `pid`, if there is one. */
export async function readStopRequest(lockFile: string, pid: number): Promise<StopRequest | undefined> {
  try {
    const request = JSON.parse(await readFile(stopRequestFile(lockFile), 'utf8')) as StopRequest;
    return request.targetPid === pid ? request : undefined;
  } catch {
    return undefined;
  }
}

export async function clearStopRequest(lockFile: string, pid?: number): Promise<void> {
  if (pid !== undefined && !(await readStopRequest(lockFile, pid))) return;
  await rm(stopRequestFile(lockFile), { force: true });
}

/** Waits until `holder` no longer holds the lock (released, or its process gone); false after `timeoutMs`. */
export async function waitForRelease(file: string, holder: LockHolder, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await readHolder(file);
    if (!current || current.pid !== holder.pid || current.since !== holder.since || !isAlive(holder.pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A process holding the lock on this host right now (alive), if any. */
export async function liveHolder(file: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(file);
  if (!holder) return undefined;
  if (holder.host !== os.hostname()) return holder;
  return isAlive(holder.pid) ? holder : undefined;
}
