// Locks an embedded database's data directory to one process. PGlite has no
// postmaster.pid, and two PGlite processes on one directory corrupt it
// (`PANIC: could not locate a valid checkpoint record`, issue 17.1). Node has
// no flock, so a lock is a file created with O_EXCL that names its holder:
// pid, the process's start time (a reused pid is not the holder) and a random
// token (only the holder removes it; a stale one is removed under a takeover
// guard after re-reading it, so two starters never both "take over").
//
// Two lock files, both required:
// - `mod-embedded.pid` inside the data directory, so two paths to one
//   directory (a symlink, a bind mount) meet;
// - one in the user's lock directory (os.tmpdir()/mod-embedded-locks-<uid>),
//   keyed by the directory's real path: `git clean -fdx` or `rm -rf .mod`
//   deletes the first file and the directory, but a process that still has
//   PGlite open there writes by path into whatever directory is created at
//   that path next (its checkpoint rewrites global/pg_control), so a new
//   directory at the same path stays locked until that process is gone.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, realpath, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ModError } from '../errors.js';

export const DATA_DIR_LOCK_FILE = 'mod-embedded.pid';

export interface LockHolder {
  pid: number;
  /** The holder's start time (Linux: /proc/<pid>/stat field 22), null where unknown. */
  startTime: string | null;
  token: string | null;
  dataDir: string | null;
}

export interface DataDirLock {
  readonly token: string;
  readonly dataDir: string;
  /** Both lock files still hold this token and the path is still the directory that was locked. */
  verify(): Promise<boolean>;
  /** Removes the lock files this lock wrote (and only those). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Where the path-keyed locks live (default: os.tmpdir()/mod-embedded-locks-<uid>). */
  lockRoot?: string;
}

export function defaultLockRoot(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().username;
  return path.join(os.tmpdir(), `mod-embedded-locks-${uid}`);
}

/** A process's start time, to tell the holder from a later process given the same pid. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process a lock names still runs (the same process, not a reuse of its pid). */
export function holderAlive(holder: LockHolder): boolean {
  // Our own pid in a lock this process did not write: a previous process
  // given the same pid (pid 1 in a container), unless the start time says otherwise.
  if (holder.pid === process.pid) return holder.startTime !== null && holder.startTime === processStartTime(process.pid);
  if (!pidAlive(holder.pid)) return false;
  if (holder.startTime === null) return true;
  const now = processStartTime(holder.pid);
  return now === null || now === holder.startTime;
}

/** Reads a lock file: the JSON this module writes, or the bare pid older versions wrote. */
export function parseLockHolder(raw: string): LockHolder | null {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return { pid: Number(text), startTime: null, token: null, dataDir: null };
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return null;
    return { pid: value.pid, startTime: typeof value.startTime === 'string' ? value.startTime : null, token: typeof value.token === 'string' ? value.token : null, dataDir: typeof value.dataDir === 'string' ? value.dataDir : null };
  } catch {
    return null;
  }
}

async function readRaw(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export function inUseError(dataDir: string, holder: LockHolder | null): ModError {
  const who = holder ? `process ${holder.pid}` : 'another process';
  return new ModError('EMBEDDED_DB_IN_USE', `the embedded database in ${dataDir} is in use by ${who}`, {
    hint: 'stop that process (mod serve: Ctrl-C; a local environment: mod stop --env E) or set MOD_DATA_DIR to another directory; mod service token and mod db reach a running mod serve database by themselves',
  });
}

/** Real paths this process has locked: a second open in the same process is refused too. */
const heldHere = new Set<string>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a lock file may stay empty or unreadable (a starter between create and write) before it counts as stale. */
const PARTIAL_GRACE_MS = 2000;
/** A takeover guard older than this belongs to a process that died while taking over. */
const GUARD_STALE_MS = 10_000;

/**
 * Creates `file` exclusively with `record`, or throws EMBEDDED_DB_IN_USE when
 * a live process holds it. A dead holder's file is removed (under the guard,
 * after re-reading it) and creation retried.
 */
async function acquireFile(file: string, record: string, dataDir: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(record);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const raw = await readRaw(file);
    if (raw === null) continue; // released meanwhile: try again
    const holder = parseLockHolder(raw);
    if (holder && holderAlive(holder)) throw inUseError(dataDir, holder);
    if (!holder) {
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age < PARTIAL_GRACE_MS && Date.now() - started < 2 * PARTIAL_GRACE_MS) {
        await sleep(50);
        continue;
      }
    }
    await removeStale(file, raw);
    if (Date.now() - started > 30_000) throw inUseError(dataDir, holder);
  }
}

/**
 * Removes a stale lock file, but only if it still holds what was read: the
 * guard makes "re-read, then unlink" one step among the processes taking
 * over, so none removes a lock another has just created.
 */
async function removeStale(file: string, seen: string): Promise<void> {
  const guard = `${file}.takeover`;
  try {
    const handle = await open(guard, 'wx', 0o600);
    await handle.writeFile(JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raw = await readRaw(guard);
    const holder = raw === null ? null : parseLockHolder(raw);
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if ((holder && !holderAlive(holder)) || (!holder && age > PARTIAL_GRACE_MS) || age > GUARD_STALE_MS) await unlink(guard).catch(() => undefined);
    else await sleep(50);
    return;
  }
  try {
    if ((await readRaw(file)) === seen) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function releaseFile(file: string, token: string): Promise<void> {
  const raw = await readRaw(file).catch(() => null);
  if (raw !== null && parseLockHolder(raw)?.token === token) await unlink(file).catch(() => undefined);
}

/** The path-keyed lock file of a data directory (its real path). */
export function outsideLockFile(realDir: string, lockRoot = defaultLockRoot()): string {
  return path.join(lockRoot, `${createHash('sha256').update(realDir).digest('hex').slice(0, 32)}.lock`);
}

/** Reads who holds a data directory, if anyone live does. */
export async function readLockHolder(dataDir: string): Promise<LockHolder | null> {
  const raw = await readRaw(path.join(dataDir, DATA_DIR_LOCK_FILE)).catch(() => null);
  const holder = raw === null ? null : parseLockHolder(raw);
  return holder && holderAlive(holder) ? holder : null;
}

/** Locks `dataDir` (which must exist) for this process, or throws EMBEDDED_DB_IN_USE. */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const realDir = await realpath(dataDir);
  const { ino, dev } = await stat(realDir);
  const token = randomBytes(16).toString('hex');
  const record = `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), token, dataDir: realDir, inode: ino, createdAt: new Date().toISOString() })}\n`;
  if (heldHere.has(realDir)) throw inUseError(dataDir, { pid: process.pid, startTime: null, token: null, dataDir: realDir });
  heldHere.add(realDir);
  const lockRoot = options.lockRoot ?? defaultLockRoot();
  const outside = outsideLockFile(realDir, lockRoot);
  const inside = path.join(realDir, DATA_DIR_LOCK_FILE);
  try {
    await mkdir(lockRoot, { recursive: true, mode: 0o700 });
    await acquireFile(outside, record, dataDir);
    try {
      await acquireFile(inside, record, dataDir);
    } catch (error) {
      await releaseFile(outside, token);
      throw error;
    }
  } catch (error) {
    heldHere.delete(realDir);
    throw error;
  }
  let released = false;
  return {
    token,
    dataDir: realDir,
    async verify() {
      const [a, b, now] = await Promise.all([readRaw(inside).catch(() => null), readRaw(outside).catch(() => null), stat(realDir).catch(() => null)]);
      return parseLockHolder(a ?? '')?.token === token && parseLockHolder(b ?? '')?.token === token && now?.ino === ino && now.dev === dev;
    },
    async release() {
      if (released) return;
      released = true;
      await releaseFile(inside, token);
      await releaseFile(outside, token);
      heldHere.delete(realDir);
    },
  };
}
