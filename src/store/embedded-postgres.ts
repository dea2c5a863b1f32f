// The embedded default database: PGlite (Postgres compiled to WASM, data in a
// directory) served over the Postgres wire protocol on loopback, so the
// service talks to it with the same `pg` code path it uses for Aurora.
//
// PGlite runs one statement at a time in one session: the wire server
// (pglite-wire-server.ts) accepts up to `maxConnections` clients and runs
// their exchanges one after another. Extra connections add no parallelism,
// only queueing, so each process's pool is EMBEDDED_POOL_SIZE: 32 / 4 lets
// eight processes (local instances, `mod db`, tests) share one database.
import { mkdir } from 'node:fs/promises';
import { PGliteWireServer } from './pglite-wire-server.js';

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
  if (!inMemory) await mkdir(options.dataDir, { recursive: true });
  // Heavy WASM module: loaded only when an embedded database is wanted.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(inMemory ? undefined : options.dataDir);
  const maxConnections = options.maxConnections ?? EMBEDDED_MAX_CONNECTIONS;
  const server = new PGliteWireServer(db, maxConnections);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, '127.0.0.1');
  } catch (error) {
    await db.close();
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
      })());
    },
  };
}
