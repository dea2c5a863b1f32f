// Opens the service's database: PostgreSQL when a URL is given, otherwise
// the embedded PGlite in `dataDir`, started here and served on loopback so
// the same `pg` store talks to it. Used by the service, `mod serve` and
// `mod db`.
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { PostgresStore } from './postgres-store.js';
import type { Migration } from './migrations.js';

export interface OpenDatabaseOptions {
  url?: string;
  /** Where the embedded database keeps its files when no URL is given. */
  dataDir: string;
  migrations?: Migration[];
  poolMax?: number;
  schema?: string;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

export interface Database {
  url: string;
  /** Set when this process started the embedded database (and stops it on close). */
  embedded: EmbeddedPostgres | undefined;
  store: PostgresStore;
  close(): Promise<void>;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.url ? undefined : await startEmbeddedPostgres({ dataDir: options.dataDir });
  const url = options.url ?? embedded!.url;
  const store = PostgresStore.open({
    url,
    max: options.poolMax,
    schema: options.schema,
    connectionTimeoutMs: options.connectionTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs,
    onError: options.onPoolError,
    migrations: options.migrations,
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    embedded,
    store,
    close: () =>
      (closing ??= (async () => {
        await store.close().catch(() => undefined);
        await embedded?.stop();
      })()),
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
