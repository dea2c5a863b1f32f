// `mod service token ... --env`, `mod service export-labels --env` and
// `mod db status|migrate --env` through bin/mod work on the env's database,
// the one its instances use (review item 2): `stage` has a databaseUrl (real
// PostgreSQL), `qa` is a local env whose embedded PGlite in
// .mod/envs/qa/pgdata is served over the wire (as its host serves it) or,
// stopped, opened by the command itself. A token made that way
// authenticates against the real app on that database. Without --env in a
// repo with deployed envs, no hint sends the user to migrate a stray
// .mod/data, and none is created. Last, a really deployed local env (the
// host's embedded database, no databaseUrl): the token authenticates against
// its endpoint.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';
import { configYaml, createRealServiceRepo, type RealServiceRepo } from '../support/real-service-repo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mod.js');
let dir: string;
let db: TestDatabase;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function mod(args: string[]): Promise<Run> {
  const { DATABASE_URL: _url, MOD_DATA_DIR: _data, MOD_STATE_DIR: _state, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...rest, CI: 'true', NO_COLOR: '1', LOG_LEVEL: 'warn' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;

/** A succeeded deployment in the local provider's history: the env counts as deployed here. */
async function recordDeployment(env: string): Promise<void> {
  const folder = path.join(dir, '.mod', 'envs', env, 'deployments');
  await mkdir(folder, { recursive: true });
  const id = 'd-20261202T000000-abc123';
  const record = { schemaVersion: 1, deploymentId: id, environment: env, provider: 'local', status: 'Succeeded', revision: { commit: '0'.repeat(40) }, initiator: 'test', startedAt: '2026-12-02T00:00:00.000Z', endedAt: '2026-12-02T00:00:01.000Z' };
  await writeFile(path.join(folder, `${id}.json`), JSON.stringify(record));
}

/** The real app on a database, as an instance of the env runs it; GET /v1/labels/export with a token. */
async function withApp<T>(url: string, body: (exportLabels: (token?: string) => Promise<{ statusCode: number; body: string }>) => Promise<T>): Promise<T> {
  const store = PostgresStore.open({ url });
  const app = buildApp({ store, moderator: await loadModerator({ maxTextLength: 1000 }) });
  try {
    return await body(async (token) => {
      const response = await app.inject({ method: 'GET', url: '/v1/labels/export', headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { statusCode: response.statusCode, body: response.body };
    });
  } finally {
    await app.close();
    await store.close().catch(() => undefined);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  dir = await mkdtemp(path.join(tmpdir(), 'mod-service-env-'));
  const config = ['app: mod-app', 'environments:', '  stage:', '    branch: stage', `    databaseUrl: ${JSON.stringify(db.url)}`, '  qa:', '    branch: qa', '  production:', '    branch: master', '    requireConfirmation: true', ''].join('\n');
  await writeFile(path.join(dir, 'mod.config.yml'), config);
  await new Promise<void>((resolve, reject) => execFile('git', ['init', '-q', dir], (error) => (error ? reject(error) : resolve())));
  await recordDeployment('stage');
  await recordDeployment('qa');
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('without --env, in a repo with deployed envs, the token commands say to pass --env and create no stray .mod/data', async () => {
  for (const args of [
    ['service', 'token', 'create', '--name', 'alice'],
    ['service', 'token', 'list'],
    ['service', 'export-labels'],
    ['db', 'status'],
  ]) {
    const run = await mod(['--json', ...args]);
    expect(run.code, args.join(' ')).toBe(2);
    const { error } = json<{ error: { code: string; message: string; hint: string } }>(run);
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('no --env given');
    expect(error.hint).toBe('pass --env <env> (deployed here: stage, qa)');
    expect(`${error.message} ${error.hint}`).not.toContain('mod db migrate');
  }
  expect(existsSync(path.join(dir, '.mod', 'data'))).toBe(false);
  // The 401 of the service names --env.
  await withApp(db.url, async (exportLabels) => {
    const refused = await exportLabels();
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('mod service token create --env <env> --name <name>');
  });
});

it('stage (databaseUrl): mod db --env migrates its database, and a token from mod service token create --env authenticates against the app on it', async () => {
  const before = await mod(['db', 'status', '--env', 'stage']);
  expect(before.code).toBe(1);
  expect(before.stdout).toContain("stage's database");
  expect(before.stdout).toContain('pending: run mod db migrate --env stage');

  const early = await mod(['--json', 'service', 'token', 'create', '--env', 'stage', '--name', 'alice']);
  expect(early.code).toBe(1);
  expect(json<{ error: { code: string; hint: string } }>(early).error).toMatchObject({ code: 'MIGRATION', hint: expect.stringContaining('mod db migrate --env stage') });

  const migrated = await mod(['--json', 'db', 'migrate', '--env', 'stage']);
  expect(migrated.code, migrated.stderr).toBe(0);
  expect(json<{ applied: string[] }>(migrated).applied).toContain('0001_posts_reviews_tokens.sql');
  expect((await db.admin('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBeGreaterThan(0);
  expect((await mod(['db', 'status', '--env', 'stage'])).code).toBe(0);

  const created = await mod(['--json', 'service', 'token', 'create', '--env', 'stage', '--name', 'alice']);
  expect(created.code, created.stderr).toBe(0);
  const { token } = json<{ token: string }>(created);
  await withApp(db.url, async (exportLabels) => {
    expect((await exportLabels(token)).statusCode).toBe(200);
    const listed = await mod(['--json', 'service', 'token', 'list', '--env', 'stage']);
    expect(json<{ tokens: { name: string }[] }>(listed).tokens.map((t) => t.name)).toEqual(['alice']);
    const exported = await mod(['--json', 'service', 'export-labels', '--env', 'stage']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(json<{ count: number }>(exported).count).toBe(0);
    const revoked = await mod(['service', 'token', 'revoke', '--env', 'stage', '--name', 'alice']);
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await exportLabels(token);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('--env <env>');
  });
  // Still nothing made in the default place.
  expect(existsSync(path.join(dir, '.mod', 'data'))).toBe(false);
});

it("qa (local, embedded): the env's pgdata is reached over the wire while served, and opened by the command while stopped", async () => {
  const dataDir = path.join(dir, '.mod', 'envs', 'qa', 'pgdata');
  let served: EmbeddedPostgres | undefined = await startEmbeddedPostgres({ dataDir });
  try {
    const migrated = await mod(['--json', 'db', 'migrate', '--env', 'qa']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(json<{ database: string }>(migrated).database).toContain(`qa's database, embedded PGlite in ${dataDir} (served by process`);
    const created = await mod(['--json', 'service', 'token', 'create', '--env', 'qa', '--name', 'bob']);
    expect(created.code, created.stderr).toBe(0);
    const { token } = json<{ token: string }>(created);
    await withApp(served.url, async (exportLabels) => {
      expect((await exportLabels(token)).statusCode).toBe(200);
    });
    // stage's database does not know bob.
    await withApp(db.url, async (exportLabels) => {
      expect((await exportLabels(token)).statusCode).toBe(401);
    });
    await served.stop();
    served = undefined;

    const listed = await mod(['--json', 'service', 'token', 'list', '--env', 'qa']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(json<{ tokens: { name: string; revokedAt: string | null }[] }>(listed).tokens).toEqual([{ name: 'bob', role: 'moderator', createdAt: expect.any(String), revokedAt: null }]);
  } finally {
    await served?.stop();
  }
  // production was never deployed: a clear error, no database made for it.
  const never = await mod(['--json', 'service', 'token', 'list', '--env', 'production']);
  expect(never.code).toBe(2);
  expect(json<{ error: { message: string; hint: string } }>(never).error).toMatchObject({ message: expect.stringContaining('no database is known for production'), hint: expect.stringContaining('mod deploy --env production') });
  expect(existsSync(path.join(dir, '.mod', 'envs', 'production', 'pgdata'))).toBe(false);

  // A .mod/data that exists but was never migrated: the hint still points to --env, not to mod db migrate.
  await (await startEmbeddedPostgres({ dataDir: path.join(dir, '.mod', 'data') })).stop();
  const stray = await mod(['--json', 'service', 'token', 'create', '--name', 'alice']);
  expect(stray.code).toBe(1);
  const { error } = json<{ error: { code: string; hint: string } }>(stray);
  expect(error.code).toBe('MIGRATION');
  expect(error.hint).toContain('pass --env <env>');
  expect(error.hint).toContain('deployed here: stage, qa');
  expect(error.hint).not.toContain('mod db migrate');
});

describe('a deployed local env on its embedded database (the host serves .mod/envs/stage/pgdata)', () => {
  let repo: RealServiceRepo;
  beforeAll(async () => {
    // configYaml's stage without its databaseUrl: the host starts the embedded database.
    repo = await createRealServiceRepo(configYaml('unused', { instances: 1 }).replace(/^ +databaseUrl: .*\n/m, ''), 'mod-e2e-service-env-');
  }, 120_000);
  afterAll(async () => {
    await repo?.dispose(['stage']);
  }, 180_000);

  it('mod service token create --env stage gives a token the deployed endpoint accepts; without --env the hint names stage', { timeout: 300_000 }, async () => {
    const deploy = await repo.json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    const { endpoint } = deploy.body;
    const exportLabels = (token?: string) => fetch(`${endpoint}/v1/labels/export`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(20_000) });

    // No DATABASE_URL (CI exports one): the implicit default, which is what the hint is about.
    const stray = await repo.json<{ error: { code: string; hint: string } }>(['service', 'token', 'create', '--name', 'alice'], { env: { DATABASE_URL: '' } });
    expect(stray.exitCode).toBe(2);
    expect(stray.body.error).toMatchObject({ code: 'USAGE', hint: 'pass --env <env> (deployed here: stage)' });
    expect(existsSync(path.join(repo.dir, '.mod', 'data'))).toBe(false);

    const status = await repo.mod(['db', 'status', '--env', 'stage']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain("database: stage's database, postgres://");
    expect(status.stdout).toContain('up to date');

    const created = await repo.json<{ token: string }>(['service', 'token', 'create', '--env', 'stage', '--name', 'alice']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect((await exportLabels(created.body.token)).status).toBe(200);
    // The deployed bundle serves the moderator console (console/ is in the buildspec's artifacts): sign in with the token, open the queue and its assets.
    const signIn = await fetch(`${endpoint}/console/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(created.body.token)}`, signal: AbortSignal.timeout(20_000) });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers
      .getSetCookie()
      .find((c) => c.startsWith('mod_session='))!
      .split(';')[0]!;
    const queuePage = await fetch(`${endpoint}/console/queue`, { headers: { cookie }, signal: AbortSignal.timeout(20_000) });
    expect(queuePage.status).toBe(200);
    expect(await queuePage.text()).toContain('/console/assets/queue.js');
    for (const asset of ['/console/assets/queue.js', '/console/assets/console.css', '/console/assets/vendor/uplot.esm.js']) expect((await fetch(`${endpoint}${asset}`, { signal: AbortSignal.timeout(20_000) })).status, asset).toBe(200);
    const refused = await exportLabels();
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('mod service token create --env <env> --name <name>');

    const exported = await repo.json<{ count: number }>(['service', 'export-labels', '--env', 'stage']);
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect(exported.body.count).toBe(0);
    expect((await repo.mod(['service', 'token', 'revoke', '--env', 'stage', '--name', 'alice'])).exitCode).toBe(0);
    expect((await exportLabels(created.body.token)).status).toBe(401);
  });
});
