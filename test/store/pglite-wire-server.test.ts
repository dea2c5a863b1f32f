// The embedded database's wire server: many pooled `pg` connections with
// concurrent parameterised queries and transactions get their own results
// (pglite-socket's server interleaves them), a client that disconnects
// inside a transaction has it rolled back, and a data directory in use by
// another live process is refused. Issue 17.11: a password is required, a
// connection over the limit gets 53300 instead of a reset while the owner's
// reserved sessions stay free, and named prepared statements are per
// connection (the old server answered `prepared statement "x" already
// exists` to the second connection and reset the 33rd).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

/** A raw TCP client: what a local process that knows no password can do. */
function rawSocket(port: number): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => (data = Buffer.concat([data, chunk])));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** The SQLSTATE of the first ErrorResponse in a backend byte stream. */
function sqlstateOf(data: Buffer): string | null {
  const at = data.indexOf('E');
  if (at < 0) return null;
  const fields = data.subarray(at + 5, at + 1 + data.readInt32BE(at + 1));
  const code = fields.indexOf(Buffer.from('C'));
  return fields.toString('utf8', code + 1, fields.indexOf(0, code));
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const withoutPassword = (url: string) => url.replace(/\/\/postgres:[^@]*@/, '//postgres@');

describe('issue 17.11: the embedded wire server', () => {
  let small: EmbeddedPostgres;
  beforeAll(async () => {
    small = await startEmbeddedPostgres({ dataDir: 'memory://', maxConnections: 3, reservedConnections: 1, authTimeoutMs: 500, maxPending: 6 });
  });
  afterAll(async () => {
    await small?.stop();
  });
  // Each test starts with no one connected (a client's end() resolves before the server has seen the close).
  beforeEach(async () => {
    await expect.poll(() => small.activeConnections + small.pendingConnections).toBe(0);
  });

  it('requires the password (SCRAM-SHA-256): none or a wrong one is refused with 28P01', async () => {
    await expect(connect(withoutPassword(small.url))).rejects.toThrow();
    await expect(connect(small.url.replace(/:([0-9a-f]+)@/, ':0000@'))).rejects.toMatchObject({ code: '28P01' });
    const client = await connect(small.url);
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await client.end();
  });

  it('answers a connection over the limit with 53300 "too many clients", keeps reserved sessions for its owner, and admits again when one leaves', async () => {
    const a = await connect(small.url);
    const b = await connect(small.url);
    // Before: the socket was reset (ECONNRESET) and the service answered 503 to everything.
    await expect(connect(small.url)).rejects.toMatchObject({ code: '53300', message: expect.stringMatching(/too many clients/) });
    const owner = await connect(small.ownerUrl);
    expect((await owner.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    await expect(connect(small.ownerUrl)).rejects.toMatchObject({ code: '53300' });
    // The owner's session counts too: with it and b open, the shared slots are full.
    await Promise.all([a.end(), owner.end()]);
    await expect.poll(() => small.activeConnections).toBe(1);
    const c = await connect(small.url);
    expect((await c.query('SELECT 3 AS three')).rows[0].three).toBe(3);
    await Promise.all([b.end(), c.end()]);
  });

  it('drops a connection that never authenticates, and refuses with 53300 beyond the pending limit instead of resetting', async () => {
    const idle = await rawSocket(small.port);
    await idle.closed; // closed by the server's authentication timeout, not by us
    const sockets = await Promise.all(Array.from({ length: 7 }, () => rawSocket(small.port)));
    const refused = sockets[6]!;
    await refused.closed;
    expect(sqlstateOf(refused.received())).toBe('53300');
    for (const s of sockets) s.socket.destroy();
    await expect.poll(() => small.pendingConnections).toBe(0);
    const client = await connect(small.url);
    await client.end();
  });

  it('gives each connection its own named prepared statements (no "already exists"), deallocated when it leaves', async () => {
    // What DATABASE_URL=<the embedded URL without its marker> did: pg's named statements from two pooled connections.
    const url = small.url.replace(/&application_name=mod-embedded/, '');
    const one = await connect(url);
    const two = await connect(url);
    const query = (client: pg.Client, v: number) => client.query({ name: 'same_name', text: 'SELECT $1::int * 2 AS v', values: [v] });
    expect((await query(one, 1)).rows[0].v).toBe(2);
    expect((await query(two, 5)).rows[0].v).toBe(10);
    expect((await query(one, 7)).rows[0].v).toBe(14);
    const names = async () => (await two.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map((r) => r.name);
    expect((await names()).filter((n) => n.endsWith('_same_name'))).toHaveLength(2);
    await one.end();
    await expect.poll(async () => (await names()).filter((n) => n.endsWith('_same_name'))).toHaveLength(1);
    await two.end();
  });
});
