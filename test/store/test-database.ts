// Test databases: a schema of its own on this machine's PostgreSQL per test
// file (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), or an
// in-memory PGlite behind the embedded wire server. Both are reached
// through `pg`, as the service reaches them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { loadMigrations, migrate, type Migration } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Backend = 'postgres' | 'pglite';

export interface TestDatabase {
  backend: Backend;
  /** Connection string for the service (with search_path for the schema on PostgreSQL). */
  url: string;
  schema: string | undefined;
  /** Runs SQL as an admin, in the test's schema. */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/** A connection string whose connections use `schema` (pg passes `options` at startup). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const embedded = await startEmbeddedPostgres({ dataDir: 'memory://' });
    const admin = new pg.Client({ connectionString: embedded.url });
    await admin.connect();
    return {
      backend,
      url: embedded.url,
      schema: undefined,
      admin: (sql, values) => admin.query(sql, values),
      async drop() {
        await admin.end().catch(() => undefined);
        await embedded.stop();
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot connect to the test PostgreSQL at ${TEST_DATABASE_URL} (${(error as Error).message}); start it (see .ci/run) or set DATABASE_URL`);
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path = ${schema}`);
  return {
    backend,
    url: urlWithSchema(TEST_DATABASE_URL, schema),
    schema,
    admin: (sql, values) => admin.query(sql, values),
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** A migrated store on a fresh test database. */
export async function createTestStore(backend: Backend, options: { max?: number } = {}): Promise<{ db: TestDatabase; store: PostgresStore; migrations: Migration[]; close(): Promise<void> }> {
  const db = await createTestDatabase(backend);
  const migrations = await loadMigrations();
  const store = PostgresStore.open({ url: db.url, migrations, max: options.max });
  await migrate(store.pool, migrations);
  return {
    db,
    store,
    migrations,
    async close() {
      await store.close().catch(() => undefined);
      await db.drop();
    },
  };
}
