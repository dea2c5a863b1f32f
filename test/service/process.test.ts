// The service as a process (src/service/main.ts, what the hooks start) and
// the CLI commands that operate it, against real PostgreSQL: SIGTERM drains
// in-flight requests before exit, bad configuration is reported variable by
// variable, and mod db / mod service work on the same schema.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readLabelledFile } from '../../src/moderation/labelled-data.js';
import { buildApp } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { loadMigrations } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// Run the TypeScript entry point directly (cwd is a temp dir, so name tsx's loader by path).
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let db: TestDatabase;
let tmp: string;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-service-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(tmp, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['node', 'mod', '--plain', '-C', tmp, ...args], {
    streams: { stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream },
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, ...env },
    interactive: false,
  });
  return { code, stdout: out, stderr: err };
}

function startService(env: Record<string, string>): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/service/main.ts')], {
    cwd: tmp,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

it('migrates and manages tokens and labels through mod db and mod service', async () => {
  const pending = await cli(['db', 'status']);
  expect(pending.code).toBe(1);
  expect(pending.stdout).toContain('pending  0001_posts_reviews_tokens.sql');
  const migrated = await cli(['--json', 'db', 'migrate']);
  expect(migrated.code).toBe(0);
  expect(JSON.parse(migrated.stdout)).toMatchObject({ schemaVersion: 1, applied: (await loadMigrations()).map((m) => m.file) });
  expect(JSON.parse(migrated.stdout).applied.slice(0, 4)).toEqual(['0001_posts_reviews_tokens.sql', '0002_post_categories.sql', '0003_shadow_scores.sql', '0004_review_priority_second_opinions.sql']);
  expect((await cli(['db', 'migrate'])).stdout).toContain('no pending migrations');
  expect((await cli(['db', 'status'])).code).toBe(0);
  expect(JSON.parse((await cli(['--json', 'db', 'status'])).stdout)).toMatchObject({ schemaVersion: 1, current: true, pending: [] });

  const created = await cli(['--json', 'service', 'token', 'create', '--name', 'carol']);
  expect(created.code).toBe(0);
  const { token } = JSON.parse(created.stdout) as { token: string };
  expect(token).toMatch(/^modtok_/);
  const stored = (await db.admin('SELECT token_hash FROM moderator_tokens')).rows;
  expect(stored).toHaveLength(1);
  expect(JSON.stringify(stored)).not.toContain(token);
  expect((await cli(['service', 'token', 'create', '--name', 'bad name'])).code).toBe(2);

  await db.admin(
    `INSERT INTO posts (id, text, decision, score, reasons, model_version, created_at) VALUES ('x1', 'a labelled, "quoted" text', 'review', 0.5, '[]', 't', now()), ('x2', 'another', 'review', 0.5, '[]', 't', now()), ('x3', 'send 5000 yen by bank transfer', 'review', 0.5, '[]', 't', now())`,
  );
  await db.admin(
    `INSERT INTO reviews (post_id, enqueued_at, state, label, category, decided_by, decided_at) VALUES ('x1', now(), 'decided', 'ng', NULL, 'carol', now()), ('x2', now(), 'decided', 'ok', NULL, 'carol', now()), ('x3', now(), 'decided', 'ng', 'offplatform_payment', 'carol', now())`,
  );
  const exported = await cli(['service', 'export-labels', '--out', 'labels.csv']);
  expect(exported.code).toBe(0);
  // What mod model train --data labels.csv reads.
  expect(await readLabelledFile(path.join(tmp, 'labels.csv'))).toEqual([
    { text: 'a labelled, "quoted" text', label: 'ng', category: null },
    { text: 'another', label: 'ok', category: null },
    { text: 'send 5000 yen by bank transfer', label: 'ng', category: 'offplatform_payment' },
  ]);
  const csv = await readFile(path.join(tmp, 'labels.csv'), 'utf8');
  expect(csv).toMatch(/^text,label,category,post_id,decided_at\n/);
  expect(csv).toContain('"send 5000 yen by bank transfer",offplatform_payment,"offplatform_payment","x3",');
  const json = JSON.parse((await cli(['--json', 'service', 'export-labels'])).stdout) as { labels: { label: string; category: string | null; postId: string }[] };
  expect(json.labels.map((l) => [l.postId, l.label, l.category])).toEqual([
    ['x1', 'ng', null],
    ['x2', 'ok', null],
    ['x3', 'offplatform_payment', 'offplatform_payment'],
  ]);
});

it('lists and revokes moderator tokens through mod service token, and the review API refuses a revoked one at once', async () => {
  // The service as its own process would run it: another pool on the same schema, nothing shared with the CLI.
  const store = PostgresStore.open({ url: db.url });
  const app = buildApp({ store, moderator: await loadModerator({ maxTextLength: 1000 }) });
  const exportLabels = (token: string) => app.inject({ method: 'GET', url: '/v1/labels/export', headers: { authorization: `Bearer ${token}` } });
  try {
    const created = await cli(['--json', 'service', 'token', 'create', '--name', 'erin']);
    expect(created.code, created.stderr).toBe(0);
    const first = (JSON.parse(created.stdout) as { token: string }).token;
    expect((await exportLabels(first)).statusCode).toBe(200);

    const listed = await cli(['--json', 'service', 'token', 'list']);
    expect(listed.code).toBe(0);
    const document = JSON.parse(listed.stdout) as { schemaVersion: number; tokens: { name: string; createdAt: string; revokedAt: string | null }[] };
    expect(document.schemaVersion).toBe(1);
    expect(document.tokens.map((t) => t.name)).toEqual(['carol', 'erin']);
    expect(document.tokens.find((t) => t.name === 'erin')).toEqual({ name: 'erin', role: 'moderator', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), revokedAt: null });
    expect(listed.stdout).not.toContain(first);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const revoked = await cli(['service', 'token', 'revoke', '--name', 'erin']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked the token of erin');
    const refused = await exportLabels(first);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('UNAUTHORIZED');

    // A viewer token (support staff): made with --role, listed with its role, refused by the label export.
    const badRole = await cli(['service', 'token', 'create', '--name', 'dana', '--role', 'admin']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role must be moderator');
    const viewer = await cli(['--json', 'service', 'token', 'create', '--name', 'sato', '--role', 'viewer']);
    expect(JSON.parse(viewer.stdout)).toMatchObject({ schemaVersion: 1, name: 'sato', role: 'viewer', replaced: false });
    const forbidden = await exportLabels((JSON.parse(viewer.stdout) as { token: string }).token);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.code).toBe('FORBIDDEN');

    const plain = await cli(['service', 'token', 'list']);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ROLE\s+CREATED\s+REVOKED$/);
    expect(lines.find((l) => l.startsWith('carol'))).toMatch(/^carol\s+moderator\s+\S+Z\s+-$/);
    expect(lines.find((l) => l.startsWith('sato'))).toMatch(/^sato\s+viewer\s+\S+Z\s+-$/);
    expect(lines.find((l) => l.startsWith('erin'))).toMatch(/^erin\s+moderator\s+\S+Z\s+\d{4}-\d\d-\d\dT\S+Z$/);

    const again = await cli(['--json', 'service', 'token', 'revoke', '--name', 'erin']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ schemaVersion: 1, name: 'erin', revoked: false });
    expect((await cli(['service', 'token', 'revoke', '--name', 'erin'])).stdout).toContain('already revoked');

    const unknown = await cli(['--json', 'service', 'token', 'revoke', '--name', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'TOKEN_NOT_FOUND', exitCode: 2 });
    expect(unknown.stderr).toContain('no moderator token named "nobody"');
    expect((await db.admin("SELECT count(*) AS n FROM moderator_tokens WHERE name = 'nobody'")).rows[0].n).toBe('0');

    const recreated = await cli(['--json', 'service', 'token', 'create', '--name', 'erin']);
    expect(recreated.code).toBe(0);
    expect(JSON.parse(recreated.stdout)).toMatchObject({ schemaVersion: 1, name: 'erin', replaced: true });
    const second = (JSON.parse(recreated.stdout) as { token: string }).token;
    expect((await exportLabels(second)).statusCode).toBe(200);
    expect((await exportLabels(first)).statusCode).toBe(401);
    const after = JSON.parse((await cli(['--json', 'service', 'token', 'list'])).stdout) as { tokens: { name: string; revokedAt: string | null }[] };
    expect(after.tokens.find((t) => t.name === 'erin')?.revokedAt).toBeNull();
  } finally {
    await app.close();
    await store.close();
  }
});

it('reports every wrong configuration variable at start and exits 2', async () => {
  const result = await execa(process.execPath, ['--import', TSX, path.join(ROOT, 'src/service/main.ts')], {
    cwd: tmp,
    env: { PATH: process.env.PATH, PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://secret@x/y' },
    extendEnv: false,
    reject: false,
  });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain('PORT="eighty"');
  expect(result.stderr).toContain('LOG_LEVEL="loud"');
  expect(result.stderr).toContain('DATABASE_URL: expected postgres://');
  expect(result.stderr).not.toContain('secret');
});

it('drains an in-flight request on SIGTERM, refuses new connections, and exits 0', async () => {
  const service = startService({ DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: '30000' });
  const url = await service.url;
  expect((await fetch(`${url}/readyz`)).status).toBe(200);

  // Hold a lock on posts so the next request is in flight (waiting in the DB) when SIGTERM arrives.
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE posts IN EXCLUSIVE MODE');
  const inFlight = fetch(`${url}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'drain-1', text: 'in flight during shutdown' }) });
  const waiting = async () => (await db.admin(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO posts%'`)).rows[0].n !== '0';
  for (let i = 0; !(await waiting()); i++) {
    if (i > 500) throw new Error('the request never reached the database');
    await new Promise((r) => setTimeout(r, 20));
  }
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
  service.child.kill('SIGTERM');
  // The listener closes at once: new connections are refused while the old request finishes.
  let refused = false;
  for (let i = 0; i < 200 && !refused; i++) {
    refused = await fetch(`${url}/healthz`).then(
      () => false,
      () => true,
    );
    if (!refused) await new Promise((r) => setTimeout(r, 20));
  }
  expect(refused).toBe(true);
  await locker.query('COMMIT');
  await locker.end();
  const response = await inFlight;
  expect(response.status).toBe(200);
  expect(((await response.json()) as { id: string }).id).toBe('drain-1');
  expect(await exited).toBe(0);
  expect((await db.admin("SELECT count(*) AS n FROM posts WHERE id = 'drain-1'")).rows[0].n).toBe('1');
  expect(service.output()).toContain('draining in-flight requests');
  expect(service.output()).not.toContain('in flight during shutdown');
});
