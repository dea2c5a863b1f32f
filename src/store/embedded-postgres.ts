// The embedded default database: PGlite (Postgres compiled to WASM, data in a
// directory) served over the Postgres wire protocol on loopback, so the
// service talks to it with the same `pg` code path it uses for Aurora.
//
// PGlite runs one statement at a time in one session: the wire server
// (pglite-wire-server.ts) accepts up to `maxConnections` clients and runs
// their exchanges one after another. Extra connections add no parallelism,
// only queueing, so each process's pool is EMBEDDED_POOL_SIZE: 32 / 4 lets
// eight processes (local instances, `mod db`, tests) share one database.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModError } from '../errors.js';
import { PGliteWireServer } from './pglite-wire-server.js';

const LOCK_FILE = 'mod-embedded.pid';

/**
 * PGlite has no postmaster.pid: two processes opening one data directory
 * would corrupt it. A pid file refuses the second one (a dead holder's file
 * is taken over).
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, LOCK_FILE);
  try {
    await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new ModError('EMBEDDED_DB_IN_USE', `the embedded database in ${dataDir} is in use by process ${holder}`, {
        hint: 'stop that process (mod serve, mod stop --env E), use its database through DATABASE_URL, or set MOD_DATA_DIR to another directory',
      });
    }
    await writeFile(file, `${process.pid}\n`);
  }
  return () => rm(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  maxConnections: number;
  stop(): Promise<void>;
}

export const EMBEDDED_MAX_CONNECTIONS = 32;
/** Pool size for one process using the embedded database. */
export const EMBEDDED_POOL_SIZE = 4;

/** Options for the connection string that tell the store it talks to PGlite. */
export const EMBEDDED_URL_MARKER = 'application_name=mod-embedded';

export function isEmbeddedUrl(url: string): boolean {
  return url.includes(EMBEDDED_URL_MARKER);
}

/**
 * Starts PGlite with its data in `dataDir` (or in memory when `dataDir` is
 * `memory://`) and serves it on 127.0.0.1.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; maxConnections?: number }): Promise<EmbeddedPostgres> {
  const inMemory = options.dataDir.startsWith('memory://');
  let unlock = async () => undefined as void;
  if (!inMemory) {
    await mkdir(options.dataDir, { recursive: true });
    unlock = await lockDataDir(options.dataDir);
  }
  // Heavy WASM module: loaded only when an embedded database is wanted.
  const { PGlite } = await import('@electric-sql/pglite');
  let db: Awaited<ReturnType<typeof PGlite.create>>;
  try {
    db = await PGlite.create(inMemory ? undefined : options.dataDir);
  } catch (error) {
    await unlock();
    throw error;
  }
  const maxConnections = options.maxConnections ?? EMBEDDED_MAX_CONNECTIONS;
  const server = new PGliteWireServer(db, maxConnections);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, '127.0.0.1');
  } catch (error) {
    await db.close();
    await unlock();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable&${EMBEDDED_URL_MARKER}`,
    port,
    maxConnections,
    stop() {
      return (stopping ??= (async () => {
        await server.close();
        await db.close();
        await unlock();
      })());
    },
  };
}
