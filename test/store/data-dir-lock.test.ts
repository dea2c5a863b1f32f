// The embedded database's data-directory lock, with real processes (issue
// 17.1): a directory deleted and recreated under a running server stays
// locked, a process removes only the lock it wrote, a stale lock is taken
// over by exactly one of several starters, and a server whose directory was
// deleted stops writing instead of checkpointing into the next one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DATA_DIR_LOCK_FILE, lockDataDir, outsideLockFile, parseLockHolder, processStartTime, readLockHolder } from '../../src/store/data-dir-lock.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const HOLDER = path.join(ROOT, 'test', 'store', 'embedded-holder.ts');

interface Message {
  ready?: boolean;
  error?: string;
  message?: string;
  pid?: number;
  token?: string;
  url?: string;
  stopped?: boolean;
  committed?: number;
  lost?: boolean;
  queryError?: string;
}

class Holder {
  readonly messages: Message[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      rest += chunk.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (line.trim()) this.messages.push(JSON.parse(line) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
  async until(test: (m: Message) => boolean): Promise<Message> {
    for (;;) {
      const found = this.messages.find(test);
      if (found) return found;
      const woken = new Promise<void>((resolve) => this.waiters.push(resolve));
      const exited = this.exited.then(() => 'exited' as const);
      if ((await Promise.race([woken, exited])) === 'exited') {
        const last = this.messages.find(test);
        if (last) return last;
        throw new Error(`holder ${this.child.pid} exited without the expected message; got ${JSON.stringify(this.messages)}`);
      }
    }
  }
  /** Ready or refused. */
  started(): Promise<Message> {
    return this.until((m) => m.ready === true || m.error !== undefined);
  }
  async stop(): Promise<Message> {
    this.child.kill('SIGTERM');
    return this.until((m) => m.stopped === true);
  }
}

const holders: Holder[] = [];
function hold(mode: 'db' | 'lock', dataDir: string, lockRoot: string): Holder {
  const child = spawn(process.execPath, ['--import', TSX, HOLDER, mode, dataDir, lockRoot], { stdio: ['ignore', 'pipe', 'inherit'] });
  const holder = new Holder(child);
  holders.push(holder);
  return holder;
}

let dir: string;
let lockRoot: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mod-lock-')));
  lockRoot = path.join(dir, 'locks');
});
afterEach(async () => {
  for (const holder of holders.splice(0)) {
    if (holder.child.exitCode === null && holder.child.signalCode === null) holder.child.kill('SIGKILL');
    await holder.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

async function rowCount(dataDir: string): Promise<number> {
  const db = await startEmbeddedPostgres({ dataDir, lockRoot });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM rows')).rows[0]!.n;
  } finally {
    await client.end();
    await db.stop();
  }
}

it('issue 17.1: .mod deleted under a running server (git clean -fdx): the next server is refused until it is gone, and the data stays sound', async () => {
  const dataDir = path.join(dir, 'work', '.mod', 'data');
  const a = hold('db', dataDir, lockRoot);
  const aReady = await a.started();
  expect(aReady.ready).toBe(true);
  await rm(path.join(dir, 'work', '.mod'), { recursive: true, force: true });

  // Before: the lock went with the directory, B opened a fresh one at the same path, A's stop deleted B's lock, C opened B's directory too.
  const b = hold('db', dataDir, lockRoot);
  expect(await b.started()).toMatchObject({ error: 'EMBEDDED_DB_IN_USE', message: expect.stringContaining(`process ${aReady.pid}`) });
  // A notices that its directory is gone and stops writing (57P01) instead of writing by path into a new one.
  // (a statement in flight at the moment of the rm may fail with PGlite's own file error first)
  expect(await a.until((m) => m.queryError === '57P01')).toEqual({ queryError: '57P01' });
  expect(await a.stop()).toMatchObject({ stopped: true, lost: true });
  // A wrote nothing at the path (B only created the empty directory before it was refused).
  expect((await readdir(dataDir).catch(() => [])).filter((f) => f !== 'mod-embedded.pid')).toEqual([]);

  const b2 = hold('db', dataDir, lockRoot);
  const b2Ready = await b2.started();
  expect(b2Ready.ready).toBe(true);
  const c = hold('db', dataDir, lockRoot);
  expect(await c.started()).toMatchObject({ error: 'EMBEDDED_DB_IN_USE', message: expect.stringContaining(`process ${b2Ready.pid}`) });
  await c.exited;
  // C's refusal removed nothing of B2's.
  expect(parseLockHolder(await readFile(path.join(dataDir, DATA_DIR_LOCK_FILE), 'utf8'))?.pid).toBe(b2Ready.pid);
  // B2 keeps committing while C is refused.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stopped = await b2.stop();
  expect(stopped).toMatchObject({ stopped: true, lost: false });
  expect(stopped.committed).toBeGreaterThan(0);
  expect(b2.messages.filter((m) => m.queryError)).toEqual([]);
  // Every committed row is there after both stopped: no PANIC, no lost checkpoint.
  expect(await rowCount(dataDir)).toBe(stopped.committed);
});

it('issue 17.1: a process removes only the lock it wrote, never the next holder’s', async () => {
  const dataDir = path.join(dir, 'data');
  await mkdir(dataDir);
  const a = hold('lock', dataDir, lockRoot);
  const aReady = await a.started();
  expect(aReady.ready).toBe(true);
  // A's lock files disappear (a cleanup script, a recreated temp dir) and B locks the directory.
  await rm(path.join(dataDir, DATA_DIR_LOCK_FILE));
  await rm(outsideLockFile(dataDir, lockRoot));
  const b = await lockDataDir(dataDir, { lockRoot });
  try {
    expect(await a.stop()).toEqual({ stopped: true });
    // A's release left B's lock alone, so a third process is still refused.
    expect(parseLockHolder(await readFile(path.join(dataDir, DATA_DIR_LOCK_FILE), 'utf8'))?.token).toBe(b.token);
    expect(parseLockHolder(await readFile(outsideLockFile(dataDir, lockRoot), 'utf8'))?.token).toBe(b.token);
    expect(await b.verify()).toBe(true);
    const c = hold('lock', dataDir, lockRoot);
    expect(await c.started()).toMatchObject({ error: 'EMBEDDED_DB_IN_USE', message: expect.stringContaining(`process ${process.pid}`) });
  } finally {
    await b.release();
  }
  expect(existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  expect(existsSync(outsideLockFile(dataDir, lockRoot))).toBe(false);
});

it('issue 17.1: a stale lock (dead holder, or a reused pid) is taken over by exactly one of several starters', async () => {
  const dataDir = path.join(dir, 'data');
  await mkdir(dataDir);
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.once('exit', resolve));
  const stale = JSON.stringify({ pid: dead.pid, startTime: '1', token: 'old', dataDir });
  await mkdir(lockRoot, { recursive: true });
  await writeFile(path.join(dataDir, DATA_DIR_LOCK_FILE), stale);
  await writeFile(outsideLockFile(dataDir, lockRoot), stale);
  const starters = Array.from({ length: 4 }, () => hold('lock', dataDir, lockRoot));
  const results = await Promise.all(starters.map((s) => s.started()));
  expect(results.filter((r) => r.ready)).toHaveLength(1);
  expect(results.filter((r) => r.error === 'EMBEDDED_DB_IN_USE')).toHaveLength(3);
  const winner = results.find((r) => r.ready)!;
  expect((await readLockHolder(dataDir))?.pid).toBe(winner.pid);
  await starters[results.indexOf(winner)]!.stop();

  // A live pid whose start time is not the recorded one is another process given the same pid.
  const reused = JSON.stringify({ pid: process.ppid, startTime: `${processStartTime(process.ppid)}0`, token: 'old', dataDir });
  await writeFile(path.join(dataDir, DATA_DIR_LOCK_FILE), reused);
  const lock = await lockDataDir(dataDir, { lockRoot });
  await lock.release();
  // The same pid with its real start time is the holder.
  await writeFile(path.join(dataDir, DATA_DIR_LOCK_FILE), JSON.stringify({ pid: process.ppid, startTime: processStartTime(process.ppid), token: 'other', dataDir }));
  await expect(lockDataDir(dataDir, { lockRoot })).rejects.toMatchObject({ code: 'EMBEDDED_DB_IN_USE' });
});
