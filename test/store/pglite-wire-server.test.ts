// The embedded database's wire server: many pooled `pg` connections with
// concurrent parameterised queries and transactions get their own results
// (pglite-socket's server interleaves them), a client that disconnects
// inside a transaction has it rolled back, and a data directory in use by
// another live process is refused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { createPool } from '../../src/store/pool.js';

let db: EmbeddedPostgres;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-pglite-'));
  db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data') });
});
afterAll(async () => {
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

// The pool's connectionTimeoutMs bounds each wait for a free connection from
// the moment it is asked for. Asking for all 1500 at once made the last ones
// wait for the 1499 before them on the one PGlite backend: over 2 s on two
// busy cores ("timeout exceeded when trying to connect"), which measured the
// machine, not the server. Workers keep twice the pool's size of operations
// in flight instead: all 16 connections interleave and the pool still
// queues checkouts, but each waits only for a connection's current operation.
const OPERATIONS = 1500;
const POOL_SIZE = 16;
const IN_FLIGHT = 2 * POOL_SIZE;

it('keeps concurrent parameterised queries and transactions of many connections apart', async () => {
  const { pool, embedded, max } = createPool({ url: db.url, max: POOL_SIZE });
  expect(embedded).toBe(true);
  expect(createPool({ url: db.url }).max).toBe(EMBEDDED_POOL_SIZE);
  try {
    await pool.query('CREATE TABLE t (id int PRIMARY KEY, s text)');
    let wrong = 0;
    let next = 0;
    let mostWaiting = 0;
    const operation = async (i: number) => {
      if (i % 5 === 0) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO t VALUES ($1, $2)', [i, `s${i}`]);
          const r = await client.query('SELECT s FROM t WHERE id = $1', [i]);
          if (r.rows[0]?.s !== `s${i}`) wrong++;
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      } else {
        const r = await pool.query('SELECT $1::int AS v, $2::text AS s', [i, `x${i}`]);
        if (r.rows[0]?.v !== i || r.rows[0]?.s !== `x${i}`) wrong++;
      }
    };
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < OPERATIONS) {
          const i = next++;
          const running = operation(i);
          mostWaiting = Math.max(mostWaiting, pool.waitingCount);
          await running;
        }
      }),
    );
    expect(wrong).toBe(0);
    expect(max).toBe(POOL_SIZE);
    // Every connection was open and some checkouts queued: the interleaving and the pool's queue were exercised.
    expect(pool.totalCount).toBe(POOL_SIZE);
    expect(mostWaiting).toBeGreaterThan(0);
    expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(300);
  } finally {
    await pool.end();
  }
});

it('rolls back the transaction of a client that disconnects inside it, and serves the others after', async () => {
  const a = new pg.Client({ connectionString: db.url });
  const b = new pg.Client({ connectionString: db.url });
  await a.connect();
  await b.connect();
  await b.query('CREATE TABLE u (id int)');
  await a.query('BEGIN');
  await a.query('INSERT INTO u VALUES (1)');
  // b's statement waits for a's transaction; a goes away without COMMIT.
  const bCount = b.query('SELECT count(*)::int AS n FROM u');
  a.on('error', () => undefined);
  (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  expect((await bCount).rows[0].n).toBe(0);
  await b.end();
});

it('refuses a data directory that another live process uses', async () => {
  const other = path.join(dir, 'other');
  await startEmbeddedPostgres({ dataDir: other }).then((e) => e.stop());
  // A pid file naming a live process that is not us (pid 1) blocks; a dead one is taken over.
  await writeFile(path.join(other, 'mod-embedded.pid'), '1\n');
  await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(/in use by process 1/);
  await writeFile(path.join(other, 'mod-embedded.pid'), '999999999\n');
  const taken = await startEmbeddedPostgres({ dataDir: other });
  await taken.stop();
});
