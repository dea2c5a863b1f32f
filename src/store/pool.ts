// A `pg` pool configured for the service: bounded waits so a dead database
// turns into a fast error (503) instead of piled-up requests, an error
// listener so a connection dropped while idle never crashes the process,
// and an optional schema (tests give each file its own).
import pg from 'pg';
import { EMBEDDED_POOL_SIZE, isEmbeddedUrl } from './embedded-postgres.js';

export interface PoolOptions {
  url: string;
  /** Default: EMBEDDED_POOL_SIZE for the embedded database, else 10. */
  max?: number;
  /** Sets search_path for every connection (PostgreSQL only; PGlite shares one session). */
  schema?: string;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export interface StorePool {
  pool: pg.Pool;
  /** PGlite behind the wire server: one shared session (SET is shared), and the store uses no named prepared statements there. */
  embedded: boolean;
  max: number;
}

export function createPool(options: PoolOptions): StorePool {
  const embedded = isEmbeddedUrl(options.url);
  const max = options.max ?? (embedded ? EMBEDDED_POOL_SIZE : 10);
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    // PGlite ignores startup options; PostgreSQL applies them per connection.
    ...(options.schema && !embedded ? { options: `-c search_path=${options.schema}` } : {}),
    ...(embedded ? {} : { statement_timeout: options.statementTimeoutMs ?? 10_000 }),
  });
  pool.on('error', (error) => options.onError?.(error));
  return { pool, embedded, max };
}
