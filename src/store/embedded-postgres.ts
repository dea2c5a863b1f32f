// The embedded default database: PGlite (Postgres compiled to WASM, data in a
// directory) served over the Postgres wire protocol on loopback, so the
// service talks to it with the same `pg` code path it uses for Aurora.
//
// PGlite runs one statement at a time in one session: the wire server
// (pglite-wire-server.ts) admits up to `maxConnections` sessions and runs
// their exchanges one after another. Extra connections add no parallelism,
// only queueing, so each process's pool is EMBEDDED_POOL_SIZE. Of the 32
// sessions, 8 are reserved for the process that started the database (its
// `ownerUrl`): other processes (local instances, `mod db`, `mod service
// token`) share the other 24, and cannot starve it.
//
// Files in the data directory besides PGlite's own:
// - mod-embedded.pid: the lock (data-dir-lock.ts), with its twin in the
//   user's lock directory;
// - mod-embedded.password (0600): the password every client needs, generated
//   on first start and kept, so URLs handed to instances survive restarts;
// - mod-embedded.server.json (0600): pid, lock token and port of the running
//   server, so `mod service token` and `mod db` reach its database over the
//   wire instead of opening the locked directory.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lockDataDir, processStartTime, readLockHolder, type DataDirLock } from './data-dir-lock.js';
import { PGliteWireServer } from './pglite-wire-server.js';

export const PASSWORD_FILE = 'mod-embedded.password';
export const SERVER_FILE = 'mod-embedded.server.json';

export interface EmbeddedPostgres {
  /** For other processes (instances, the CLI): the stored password, the shared sessions. */
  url: string;
  /** For this process's own pool: may also use the reserved sessions. */
  ownerUrl: string;
  port: number;
  maxConnections: number;
  reservedConnections: number;
  /** Sessions open now (authenticated), and connections still authenticating. */
  readonly activeConnections: number;
  readonly pendingConnections: number;
  /** The data directory was deleted or its lock taken away while running: the server refuses work and stop() leaves the files alone. */
  readonly lost: boolean;
  stop(): Promise<void>;
}

export const EMBEDDED_MAX_CONNECTIONS = 32;
export const EMBEDDED_RESERVED_CONNECTIONS = 8;
/** Pool size for one process using the embedded database. */
export const EMBEDDED_POOL_SIZE = 4;
/** How often a running server checks that its data directory and lock are still its own. */
const VERIFY_INTERVAL_MS = 2000;

/** Options for the connection string that tell the store it talks to PGlite. */
export const EMBEDDED_URL_MARKER = 'application_name=mod-embedded';

export function isEmbeddedUrl(url: string): boolean {
  return url.includes(EMBEDDED_URL_MARKER);
}

export function embeddedUrl(port: number, password: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable&${EMBEDDED_URL_MARKER}`;
}

const PASSWORD = /^[0-9a-f]{32,}$/;

/** The data directory's password, created (0600) on first use. */
async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, PASSWORD_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await readFile(file, 'utf8').catch(() => null);
    if (existing !== null && PASSWORD.test(existing.trim())) {
      if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
      return existing.trim();
    }
    if (existing !== null) await unlink(file).catch(() => undefined);
    const password = randomBytes(24).toString('hex');
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${password}\n`);
      await handle.sync();
      await handle.close();
      return password;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`cannot read or create ${file}`);
}

interface ServerRecord {
  pid: number;
  startTime: string | null;
  token: string;
  port: number;
  startedAt: string;
}

export interface RunningEmbedded {
  pid: number;
  port: number;
  /** With the password: what a client of the running server connects with. */
  url: string;
}

/**
 * The embedded server that holds `dataDir` right now, if there is one: its
 * lock names a live process and that process published its port. Never
 * opens the directory.
 */
export async function findRunningEmbedded(dataDir: string): Promise<RunningEmbedded | null> {
  const holder = await readLockHolder(dataDir);
  if (!holder) return null;
  const record = await readFile(path.join(dataDir, SERVER_FILE), 'utf8')
    .then((raw) => JSON.parse(raw) as ServerRecord)
    .catch(() => null);
  if (!record || record.token !== holder.token || record.pid !== holder.pid || !Number.isInteger(record.port)) return null;
  const password = (await readFile(path.join(dataDir, PASSWORD_FILE), 'utf8').catch(() => '')).trim();
  if (!PASSWORD.test(password)) return null;
  return { pid: record.pid, port: record.port, url: embeddedUrl(record.port, password) };
}

/**
 * Starts PGlite with its data in `dataDir` (or in memory when `dataDir` is
 * `memory://`) and serves it on 127.0.0.1.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  maxConnections?: number;
  reservedConnections?: number;
  authTimeoutMs?: number;
  /** Connections authenticating at once (default 8 x maxConnections = 256; a socket each, so cheap: it only bounds a flood). */
  maxPending?: number;
  /** Where the path-keyed lock files live (tests). */
  lockRoot?: string;
}): Promise<EmbeddedPostgres> {
  const inMemory = options.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  let password: string;
  if (inMemory) {
    password = randomBytes(24).toString('hex');
  } else {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    lock = await lockDataDir(options.dataDir, { lockRoot: options.lockRoot });
    try {
      password = await readOrCreatePassword(options.dataDir);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }
  const unlock = async () => {
    if (!lock) return;
    // Only our own server file and locks: a directory recreated at this path belongs to someone else.
    const file = path.join(options.dataDir, SERVER_FILE);
    const record = await readFile(file, 'utf8')
      .then((raw) => JSON.parse(raw) as ServerRecord)
      .catch(() => null);
    if (record?.token === lock.token) await unlink(file).catch(() => undefined);
    await lock.release();
  };
  // Heavy WASM module: loaded only when an embedded database is wanted.
  const { PGlite } = await import('@electric-sql/pglite');
  let db: Awaited<ReturnType<typeof PGlite.create>>;
  try {
    db = await PGlite.create(inMemory ? undefined : options.dataDir);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const maxConnections = options.maxConnections ?? EMBEDDED_MAX_CONNECTIONS;
  const reservedConnections = Math.min(options.reservedConnections ?? EMBEDDED_RESERVED_CONNECTIONS, maxConnections);
  const ownerPassword = randomBytes(24).toString('hex');
  let lost = false;
  const lostMessage = `the embedded database's data directory ${options.dataDir} was removed or taken over by another process; restart this process`;
  const opened = inMemory ? undefined : statSync(options.dataDir);
  // A stat per unit (microseconds): PGlite opens files by path, so after
  // `rm -rf` its next statement would write into whatever directory is there.
  const checkBeforeUnit = () => {
    if (!opened) return null;
    if (!lost) {
      const now = statSync(options.dataDir, { throwIfNoEntry: false });
      if (!now || now.ino !== opened.ino || now.dev !== opened.dev) lost = true;
    }
    return lost ? lostMessage : null;
  };
  const server = new PGliteWireServer(db, { maxConnections, reservedConnections, password, ownerPassword, authTimeoutMs: options.authTimeoutMs, maxPending: options.maxPending ?? 8 * maxConnections, checkBeforeUnit });
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, '127.0.0.1');
    if (lock) {
      const record: ServerRecord = { pid: process.pid, startTime: processStartTime(process.pid), token: lock.token, port, startedAt: new Date().toISOString() };
      const file = path.join(options.dataDir, SERVER_FILE);
      await writeFile(`${file}.${lock.token}`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      await rename(`${file}.${lock.token}`, file);
    }
  } catch (error) {
    await server.close();
    await db.close();
    await lock?.release();
    throw error;
  }
  const watchdog = lock
    ? setInterval(() => {
        void lock.verify().then((ok) => {
          if (ok || lost || stopping) return;
          // Someone deleted the directory (git clean -fdx) or took the lock:
          // PGlite writes by path, so it must not write here any more.
          lost = true;
          server.fail('57P01', lostMessage);
        });
      }, VERIFY_INTERVAL_MS)
    : undefined;
  watchdog?.unref();
  let stopping: Promise<void> | undefined;
  return {
    url: embeddedUrl(port, password),
    ownerUrl: embeddedUrl(port, ownerPassword),
    port,
    maxConnections,
    reservedConnections,
    get lost() {
      return lost;
    },
    get activeConnections() {
      return server.activeConnections;
    },
    get pendingConnections() {
      return server.pendingConnections;
    },
    stop() {
      return (stopping ??= (async () => {
        clearInterval(watchdog);
        await server.close();
        if (!lost && lock && !(await lock.verify())) lost = true;
        // A lost directory is not ours: closing PGlite would checkpoint into
        // whatever is at that path now. Its files are gone anyway.
        if (!lost) await db.close();
        await unlock();
      })());
    },
  };
}
