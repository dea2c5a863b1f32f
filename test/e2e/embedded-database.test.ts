// The embedded database as a user meets it through bin/mod (issue 17.11):
// while `mod serve` runs on it, `mod service token create|list|revoke` and
// `mod db status|migrate` reach its database over the wire (the server's port
// file and password in the data directory) instead of failing on the locked
// directory, a token created that way works at once and a revoked one is
// refused at once; the password file is 0600 and a client without it is
// refused; a second `mod serve` on the same directory is refused.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mod.js');
let dir: string;
let dataDir: string;
let serve: ChildProcess | undefined;
let serviceUrl: string;

function env(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  return { ...rest, CI: 'true', NO_COLOR: '1', MOD_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
}

function mod(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: env(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function startServe(): Promise<{ child: ChildProcess; result: { url?: string; error?: unknown } | null; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, '--json', 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // --json prints one (pretty-printed) object once listening.
      let result: { url?: string; error?: unknown } | null = null;
      try {
        result = JSON.parse(stdout) as { url?: string; error?: unknown };
      } catch {
        return;
      }
      resolve({ child, result, stderr: () => stderr, exited });
    });
    void exited.then(() => resolve({ child, result: null, stderr: () => stderr, exited }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-embedded-e2e-'));
  dataDir = path.join(dir, '.mod', 'data');
  const started = await startServe();
  serve = started.child;
  if (!started.result?.url) throw new Error(`mod serve did not start: ${JSON.stringify(started.result)} ${started.stderr()}`);
  serviceUrl = started.result.url;
});
afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve!.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

it('issue 17.11: mod service token create / list / revoke work while mod serve runs on the embedded database', async () => {
  // Before: EMBEDDED_DB_IN_USE, "stop that process ... or use its database through DATABASE_URL".
  const created = await mod(['--json', 'service', 'token', 'create', '--name', 'alice']);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const { token } = JSON.parse(created.stdout) as { token: string };
  const reviews = () => fetch(`${serviceUrl}/v1/reviews`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  expect(await reviews()).toBe(200);

  const listed = await mod(['--json', 'service', 'token', 'list']);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).tokens).toEqual([expect.objectContaining({ name: 'alice', revokedAt: null })]);

  const revoked = await mod(['--json', 'service', 'token', 'revoke', '--name', 'alice']);
  expect(revoked.code).toBe(0);
  expect(JSON.parse(revoked.stdout)).toMatchObject({ name: 'alice', revoked: true });
  expect(await reviews()).toBe(401);
  // The service kept serving throughout.
  expect((await fetch(`${serviceUrl}/readyz`)).status).toBe(200);
});

it('issue 17.11: mod db status and migrate reach the running server; its password is 0600 and required', async () => {
  const status = await mod(['--json', 'db', 'status']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ current: true, database: expect.stringMatching(/served by process \d+/) });
  const migrate = await mod(['db', 'migrate']);
  expect(migrate.code).toBe(0);
  expect(migrate.stdout).toMatch(/no pending migrations/);

  const passwordFile = path.join(dataDir, 'mod-embedded.password');
  expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
  const server = JSON.parse(await readFile(path.join(dataDir, 'mod-embedded.server.json'), 'utf8')) as { port: number };
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const withPassword = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${server.port}/postgres` });
  await withPassword.connect();
  expect((await withPassword.query('SELECT count(*)::int AS n FROM moderator_tokens')).rows[0].n).toBe(1);
  await withPassword.end();
  const wrong = new pg.Client({ connectionString: `postgres://postgres:wrong@127.0.0.1:${server.port}/postgres` });
  wrong.on('error', () => undefined);
  await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
});

it('a second mod serve on the same data directory is refused (EMBEDDED_DB_IN_USE), and the first keeps serving', async () => {
  const second = await startServe();
  // --json: the error object on stdout.
  expect(second.result).toMatchObject({ error: { code: 'EMBEDDED_DB_IN_USE', message: expect.stringMatching(/in use by process \d+/) } });
  expect(await second.exited).toBe(1);
  expect((await fetch(`${serviceUrl}/readyz`)).status).toBe(200);
});

it('after mod serve stops, its lock and port file are gone and the CLI opens the data directory itself', async () => {
  const exited = new Promise((resolve) => serve!.once('exit', resolve));
  serve!.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(path.join(dataDir, 'mod-embedded.pid'))).toBe(false);
  expect(existsSync(path.join(dataDir, 'mod-embedded.server.json'))).toBe(false);
  const listed = await mod(['--json', 'service', 'token', 'list']);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).tokens).toEqual([expect.objectContaining({ name: 'alice', revokedAt: expect.any(String) })]);
  const status = await mod(['--json', 'db', 'status']);
  expect(JSON.parse(status.stdout).database).toBe(`embedded PGlite in ${dataDir}`);
});
