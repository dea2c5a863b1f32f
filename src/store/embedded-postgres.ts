// The embedded default database: PGlite (Postgres compiled to WASM, data in a
// directory) served over the Postgres wire protocol on loopback, so the
// service talks to it with the same `pg` code path it uses for Aurora.
// PGlite runs one query at a time; pglite-socket multiplexes up to
// `maxConnections` client connections over it with a query queue.
import { mkdir } from 'node:fs/promises';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  maxConnections: number;
  stop(): Promise<void>;
}

export const EMBEDDED_MAX_CONNECTIONS = 32;

export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; maxConnections?: number }): Promise<EmbeddedPostgres> {
  await mkdir(options.dataDir, { recursive: true });
  // Heavy WASM modules: loaded only when an embedded database is wanted.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(options.dataDir);
  const maxConnections = options.maxConnections ?? EMBEDDED_MAX_CONNECTIONS;
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    maxConnections,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
