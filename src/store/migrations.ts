// Schema migrations: plain SQL files in migrations/ named `NNNN_name.sql`,
// applied in order, all pending ones in one transaction, recorded in
// schema_migrations with a SHA-256 of the file. A transaction-scoped advisory
// lock (keyed by the schema) makes two instances starting together take
// turns: the second one finds nothing left to do. An applied migration whose
// file changed is refused: write a new migration instead. The service keeps
// running during a deploy's migration, so every lock a migration takes is
// waited for at most lock_timeout (5 s, after the advisory lock): an ALTER
// TABLE queued behind a long reader would otherwise hold up every request
// queued behind it. A timed-out run applies nothing and says to run again.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { MigrationError } from './errors.js';

/** migrations/ at the package root (this file is src/store/ or dist/store/). */
export const defaultMigrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface Migration {
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: Migration[];
  /** Applied migrations whose file now differs (or is gone). */
  changed: { version: string; name: string; reason: 'edited' | 'missing' }[];
  current: boolean;
}

const FILE_PATTERN = /^(\d+)_([\w-]+)\.sql$/;

export async function loadMigrations(dir: string = defaultMigrationsDir): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new MigrationError(`cannot read the migrations directory ${dir}: ${(error as Error).message}`, 'run from the package root or install the bundle with its migrations/', error);
  }
  const migrations: Migration[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new MigrationError(`migration file name ${name} is not NNNN_name.sql`, 'rename it, e.g. 0002_add_index.sql');
    const sql = await readFile(path.join(dir, name), 'utf8');
    migrations.push({ version: match[1]!, name: match[2]!, file: name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.version)) throw new MigrationError(`two migrations have version ${m.version}`, 'give each migration file a unique number');
    seen.add(m.version);
  }
  return migrations.sort((a, b) => compareVersions(a.version, b.version));
}

function compareVersions(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version text PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('mod.schema_migrations:' || current_schema()))`;

async function readApplied(client: pg.ClientBase): Promise<AppliedMigration[]> {
  const exists = await client.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!exists.rows[0]?.present) return [];
  const { rows } = await client.query<{ version: string; name: string; checksum: string; applied_at: Date }>('SELECT version, name, checksum, applied_at FROM schema_migrations');
  return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at })).sort((a, b) => compareVersions(a.version, b.version));
}

export function compareWithFiles(applied: AppliedMigration[], migrations: Migration[]): MigrationStatus {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const appliedVersions = new Set(applied.map((a) => a.version));
  const changed: MigrationStatus['changed'] = [];
  for (const a of applied) {
    const file = byVersion.get(a.version);
    if (!file) changed.push({ version: a.version, name: a.name, reason: 'missing' });
    else if (file.checksum !== a.checksum) changed.push({ version: a.version, name: a.name, reason: 'edited' });
  }
  const pending = migrations.filter((m) => !appliedVersions.has(m.version));
  return { applied, pending, changed, current: pending.length === 0 && changed.every((c) => c.reason === 'missing') };
}

function refuseChanged(status: MigrationStatus): void {
  const edited = status.changed.filter((c) => c.reason === 'edited');
  if (edited.length > 0) {
    throw new MigrationError(
      `applied migration${edited.length > 1 ? 's' : ''} ${edited.map((c) => `${c.version}_${c.name}`).join(', ')} changed since ${edited.length > 1 ? 'they were' : 'it was'} applied (checksum differs)`,
      'never edit an applied migration: restore the file and add a new migration with the change',
    );
  }
}

/** version -> checksum of the migrations applied to the database at `databaseUrl` (read-only, one connection). */
export async function appliedMigrationChecksums(databaseUrl: string): Promise<Map<string, string>> {
  const { default: Pg } = await import('pg');
  const client = new Pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return new Map((await readApplied(client)).map((a) => [a.version, a.checksum]));
  } finally {
    await client.end();
  }
}

/** What is applied and what is pending, without changing anything. */
export async function migrationStatus(pool: pg.Pool, migrations: Migration[]): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    return compareWithFiles(await readApplied(client), migrations);
  } finally {
    client.release();
  }
}

/** How long a migration waits for one table lock before the run gives up (PostgreSQL's lock_timeout). */
export const MIGRATION_LOCK_TIMEOUT_MS = 5000;

const LOCK_NOT_AVAILABLE = '55P03';

/** Applies every pending migration in one transaction; returns those it applied. */
export async function migrate(pool: pg.Pool, migrations: Migration[], options: { lockTimeoutMs?: number } = {}): Promise<{ applied: Migration[]; status: MigrationStatus }> {
  const lockTimeoutMs = options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS;
  const client = await pool.connect();
  let failed: unknown;
  try {
    await client.query('BEGIN');
    await client.query(LOCK);
    // After the advisory lock: an instance waiting for another's migration waits as long as it takes.
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    await client.query(CREATE_TABLE);
    const before = compareWithFiles(await readApplied(client), migrations);
    refuseChanged(before);
    for (const m of before.pending) {
      try {
        await client.query(m.sql);
      } catch (error) {
        if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
          throw new MigrationError(
            `migration ${m.file} waited more than ${lockTimeoutMs / 1000} s for a table lock (lock_timeout): a long-running transaction holds a table it changes`,
            'nothing was applied (the migrations run in one transaction) and the service was not held up; run mod db migrate again (safe to repeat), or look for the blocking session in pg_stat_activity',
            error,
          );
        }
        throw new MigrationError(`migration ${m.file} failed: ${(error as Error).message}`, 'nothing was applied (the migrations run in one transaction); fix the migration and run again', error);
      }
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    }
    await client.query('COMMIT');
    const applied = await readApplied(client);
    return { applied: before.pending, status: compareWithFiles(applied, migrations) };
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be broken: do not reuse it.
    client.release(failed instanceof Error && !(failed instanceof MigrationError) ? failed : undefined);
  }
}
