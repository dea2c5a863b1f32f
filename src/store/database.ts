// Opens the service's database: PostgreSQL when a URL is given, otherwise
// the embedded PGlite in `dataDir`, started here and served on loopback so
// the same `pg` store talks to it. Used by the service, `mod serve` and
// `mod db`. With `attach`, a data directory another process serves (a
// running `mod serve`) is reached over the wire with its password instead
// of refused: how `mod service token` and `mod db` work while it runs.
import { ModError } from '../errors.js';
import { findRunningEmbedded, startEmbeddedPostgres, type EmbeddedPostgres, type RunningEmbedded } from './embedded-postgres.js';
import { PostgresStore } from './postgres-store.js';
import type { Migration } from './migrations.js';

export interface OpenDatabaseOptions {
  url?: string;
  /** Where the embedded database keeps its files when no URL is given. */
  dataDir: string;
  /** Use the embedded server already running on dataDir, if any, instead of failing with EMBEDDED_DB_IN_USE. */
  attach?: boolean;
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
  /** Set when the embedded database is another process's, reached over the wire. */
  attached: RunningEmbedded | undefined;
  store: PostgresStore;
  close(): Promise<void>;
}

/** How long to wait for a server that holds the lock but has not published its port yet (it is starting). */
const ATTACH_WAIT_MS = 10_000;

async function attachToRunning(dataDir: string, refusal: unknown): Promise<RunningEmbedded> {
  const until = Date.now() + ATTACH_WAIT_MS;
  for (;;) {
    const running = await findRunningEmbedded(dataDir);
    if (running) return running;
    if (Date.now() > until) throw refusal;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let attached: RunningEmbedded | undefined;
  if (!options.url) {
    try {
      embedded = await startEmbeddedPostgres({ dataDir: options.dataDir });
    } catch (error) {
      if (!options.attach || !(error instanceof ModError) || error.code !== 'EMBEDDED_DB_IN_USE') throw error;
      attached = await attachToRunning(options.dataDir, error);
    }
  }
  // This process's own pool uses the owner's credentials (the reserved sessions).
  const url = options.url ?? embedded?.ownerUrl ?? attached!.url;
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
    attached,
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
