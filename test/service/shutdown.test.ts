// Issue 17.12: stopping keeps within SHUTDOWN_TIMEOUT_MS whatever the
// clients do. With an idle keep-alive connection, an upload that trickles in
// for minutes and a request stuck in the database (a table lock held by
// another session), close() settles, and `mod serve` exits, while all three
// are still in place: nothing waits for them. Real PostgreSQL, loopback.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { loadModerator } from '../../src/service/moderator.js';
import { startService } from '../../src/service/server.js';
import { loadMigrations, migrate } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';
import { exchange, parseResponses } from './raw-http.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let db: TestDatabase;
let tmp: string;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-shutdown-'));
  const store = PostgresStore.open({ url: db.url });
  await migrate(store.pool, await loadMigrations());
  await store.close();
});
afterAll(async () => {
  await db?.drop();
  await rm(tmp, { recursive: true, force: true });
});

const wait = (ms: number) => new Promise<'gave up'>((resolve) => setTimeout(() => resolve('gave up'), ms));

/** The three clients that used to hold a shutdown open; `release()` lets the stuck request go. */
async function holdConnections(port: number) {
  const keepAlive = exchange(port, 'GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n', { idleMs: 120_000 });
  const body = JSON.stringify({ text: 'y'.repeat(2000) });
  const uploadParts = [`POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, ...body.split('')];
  const upload = exchange(port, uploadParts, { intervalMs: 50, idleMs: 120_000 });

  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE posts IN EXCLUSIVE MODE');
  const stuckBody = JSON.stringify({ id: 'stuck-1', text: 'stuck in the db' });
  const stuck = exchange(port, `POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${stuckBody.length}\r\n\r\n${stuckBody}`, { idleMs: 120_000 });
  const waiting = async () => (await db.admin(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO posts%'`)).rows[0].n > 0;
  for (let i = 0; !(await waiting()); i++) {
    if (i > 500) throw new Error('the stuck request never reached the database');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    keepAlive,
    upload,
    uploadParts: uploadParts.length,
    stuck,
    /** Whether the lock is still held (the stuck request could not have finished). */
    lockHeld: async () => (await locker.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'relation' AND mode = 'ExclusiveLock' AND pid = pg_backend_pid()")).rows[0].n > 0,
    release: async () => {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    },
  };
}

it('issue 17.12: close() settles within SHUTDOWN_TIMEOUT_MS with an idle keep-alive connection, a trickling upload and a request stuck in the database', async () => {
  const config = parseServiceConfig({ DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', SHUTDOWN_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '600000', LOG_LEVEL: 'silent' }, tmp);
  const service = await startService(config, { migrate: false });
  const held = await holdConnections(Number(new URL(service.url).port));
  try {
    const outcome = await Promise.race([service.close(), wait(20_000)]);
    // Settled while every one of them still held on: the lock is held, the upload had more to send.
    expect(await held.lockHeld()).toBe(true);
    expect(outcome).toEqual({ forced: true });
    const upload = await held.upload;
    expect(upload.closed).toBe(true);
    expect(upload.sent).toBeLessThan(held.uploadParts);
    expect((await held.keepAlive).closed).toBe(true);
    expect((await held.stuck).responses).toEqual([]);
  } finally {
    await held.release();
    await service.close();
  }
});

it('issue 17.12: mod serve exits within SHUTDOWN_TIMEOUT_MS on SIGTERM while clients hold connections open', async () => {
  const script = `import { main } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/cli/main.ts')).href)}; process.exitCode = await main(['node', 'mod', ...process.argv.slice(1)]);`;
  const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', script, '--', '--plain', '-C', tmp, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd: tmp,
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '600000', HTTP_HEADERS_TIMEOUT_MS: '60000', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`mod serve exited with ${code} before listening: ${output}`)));
  });
  const held = await holdConnections(Number(new URL(url).port));
  try {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, wait(20_000)]);
    expect(await held.lockHeld()).toBe(true);
    // 1: requests had to be cut off, and mod serve says so.
    expect(code, output).toBe(1);
    expect(output).toMatch(/did not finish within 2000 ms/);
    const upload = await held.upload;
    expect(upload.closed).toBe(true);
    expect(upload.sent).toBeLessThan(held.uploadParts);
  } finally {
    child.kill('SIGKILL');
    await held.release();
  }
});

it('issue 17.12: a request that completes on an open connection while the service stops gets 503 SHUTTING_DOWN in the documented shape', async () => {
  const store = PostgresStore.open({ url: db.url });
  const app = buildApp({ store, moderator: await loadModerator({ maxTextLength: 100 }), retryAfterSeconds: 3 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const socket = net.connect((app.server.address() as AddressInfo).port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Half a request: the connection is not idle, so closing does not drop it.
    socket.write('GET /healthz HTTP/1.1\r\nHost: t\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 100));
    socket.write('\r\n');
    expect(await Promise.race([ended.then(() => 'ended' as const), wait(10_000)])).toBe('ended');
    const [response, ...more] = parseResponses(Buffer.concat(received)).responses;
    expect(more).toEqual([]);
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '3', connection: 'close' } });
    expect(JSON.parse(response!.body)).toEqual({ error: { code: 'SHUTTING_DOWN', message: expect.stringContaining('retry') } });
    await closed;
  } finally {
    socket.destroy();
    await app.close();
    await store.close();
  }
});
