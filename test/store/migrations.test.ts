// Migrations against real PostgreSQL (a schema per test) and PGlite: order,
// checksums, refusal of an edited migration, all-or-nothing, and two
// instances migrating at the same moment.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/store/errors.js';
import { loadMigrations, migrate, migrationStatus } from '../../src/store/migrations.js';
import { createPool } from '../../src/store/pool.js';
import { createTestDatabase, type Backend, type TestDatabase } from './test-database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(backend: Backend, files: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  const db: TestDatabase = await createTestDatabase(backend);
  const pools = [createPool({ url: db.url }), createPool({ url: db.url })];
  cleanups.push(async () => {
    for (const p of pools) await p.pool.end();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, db, pools: pools.map((p) => p.pool) };
}

describe.each<Backend>(['postgres', 'pglite'])('migrations on %s', (backend) => {
  it('applies pending files in numeric order once, records checksums, and reports status', async () => {
    const { dir, db, pools } = await setup(backend, {
      '0002_add_b.sql': 'ALTER TABLE a ADD COLUMN b int;',
      '0001_create_a.sql': 'CREATE TABLE a (id int PRIMARY KEY);',
      '0010_add_c.sql': 'ALTER TABLE a ADD COLUMN c int;',
      'README.txt': 'not a migration',
    });
    const migrations = await loadMigrations(dir);
    expect(migrations.map((m) => m.file)).toEqual(['0001_create_a.sql', '0002_add_b.sql', '0010_add_c.sql']);
    const pool = pools[0]!;
    expect((await migrationStatus(pool, migrations)).pending).toHaveLength(3);
    const first = await migrate(pool, migrations);
    expect(first.applied.map((m) => m.version)).toEqual(['0001', '0002', '0010']);
    expect(first.status.current).toBe(true);
    expect((await migrate(pool, migrations)).applied).toEqual([]);
    const rows = (await db.admin('SELECT version, checksum FROM schema_migrations ORDER BY version')).rows;
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, checksum: m.checksum })));
    await db.admin('INSERT INTO a (id, b, c) VALUES (1, 2, 3)');
  });

  it('refuses an edited applied migration, and applies nothing when one migration fails', async () => {
    const { dir, db, pools } = await setup(backend, { '0001_create_a.sql': 'CREATE TABLE a (id int);' });
    await migrate(pools[0]!, await loadMigrations(dir));
    await writeFile(path.join(dir, '0001_create_a.sql'), 'CREATE TABLE a (id bigint);');
    const edited = await migrate(pools[0]!, await loadMigrations(dir)).catch((e: unknown) => e);
    expect(edited).toBeInstanceOf(MigrationError);
    expect((edited as Error).message).toMatch(/0001_create_a changed since it was applied/);
    expect((await migrationStatus(pools[0]!, await loadMigrations(dir))).changed).toEqual([{ version: '0001', name: 'create_a', reason: 'edited' }]);

    await writeFile(path.join(dir, '0001_create_a.sql'), 'CREATE TABLE a (id int);');
    await writeFile(path.join(dir, '0002_good.sql'), 'CREATE TABLE good (id int);');
    await writeFile(path.join(dir, '0003_bad.sql'), 'CREATE TABLE bad (id nosuchtype);');
    const failed = await migrate(pools[0]!, await loadMigrations(dir)).catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/0003_bad.sql failed/);
    expect((await db.admin("SELECT to_regclass('good') IS NULL AS absent")).rows[0].absent).toBe(true);
    expect((await db.admin('SELECT count(*) AS n FROM schema_migrations')).rows[0].n).toBe('1');
  });

  it('lets two instances start together: one applies, the other waits and finds nothing to do', async () => {
    // pg_sleep keeps the first transaction open so the second must wait on the lock.
    const { dir, db, pools } = await setup(backend, { '0001_slow.sql': 'SELECT pg_sleep(0.3); CREATE TABLE once (id int);', '0002_seed.sql': 'INSERT INTO once VALUES (1);' });
    const migrations = await loadMigrations(dir);
    const results = await Promise.all(pools.map((p) => migrate(p, migrations)));
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 2]);
    expect((await db.admin('SELECT count(*) AS n FROM once')).rows[0].n).toBe('1');
  });
});

it('gives up on a table lock after lock_timeout with a retry hint, applying nothing, instead of holding up the service (PostgreSQL)', async () => {
  const { dir, db, pools } = await setup('postgres', { '0001_create_a.sql': 'CREATE TABLE a (id int);' });
  await migrate(pools[0]!, await loadMigrations(dir));
  await writeFile(path.join(dir, '0002_add_b.sql'), 'CREATE TABLE b (id int); ALTER TABLE a ADD COLUMN b int;');
  // A long reader holds a lock on a: the ALTER TABLE would queue behind it (and every request behind the ALTER).
  const reader = await pools[1]!.connect();
  try {
    await reader.query('BEGIN');
    await reader.query('SELECT * FROM a');
    const failed = await migrate(pools[0]!, await loadMigrations(dir), { lockTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MigrationError);
    expect((failed as Error).message).toMatch(/0002_add_b.sql waited more than 0.2 s for a table lock/);
    expect((failed as MigrationError).hint).toMatch(/run mod db migrate again/);
  } finally {
    await reader.query('ROLLBACK');
    reader.release();
  }
  expect((await db.admin("SELECT to_regclass('b') IS NULL AS absent")).rows[0].absent).toBe(true);
  expect((await migrate(pools[0]!, await loadMigrations(dir))).applied.map((m) => m.version)).toEqual(['0002']);
});

it('rejects badly named migration files', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'create.sql'), 'SELECT 1;');
  await expect(loadMigrations(dir)).rejects.toThrow(/not NNNN_name.sql/);
});

it('ships migrations that apply to an empty database', async () => {
  expect((await loadMigrations()).map((m) => m.file)).toContain('0001_posts_reviews_tokens.sql');
});
