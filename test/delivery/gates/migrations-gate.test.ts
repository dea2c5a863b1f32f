// The migrations gate through runGates: each migration the change adds or
// edits must be applied to the environment's database with the same checksum;
// the database is the one the provider knows, read through the fake store.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeGateDependencies } from '../../fakes/fake-gate-dependencies.js';
import { runGates } from '../../../src/delivery/gates/run-gates.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { GateScenario, gate } from './gate-scenario.js';

const DATABASE = 'postgres://db.example:5432/shop';
const ADD_INDEX = 'CREATE INDEX posts_id ON posts (id);\n';

let scenario: GateScenario;
afterEach(() => scenario.dispose());

async function withMigration(environment: { databaseUrl?: string } = { databaseUrl: DATABASE }) {
  scenario = await GateScenario.create({ migrations: {} }, environment);
  await scenario.merge(7, { 'migrations/0002_add_index.sql': ADD_INDEX, 'src/posts.ts': 'export {};\n' });
}

describe('migrations gate', () => {
  it("passes when the change's migrations are applied to the environment's database with the same content", async () => {
    await withMigration();
    scenario.deps.recordApplied(DATABASE, '0001', 'CREATE TABLE posts (id int);\n');
    scenario.deps.recordApplied(DATABASE, '0002', ADD_INDEX);
    const report = await scenario.judge();
    expect(report.passed).toBe(true);
    expect(gate(report, 'migrations')).toMatchObject({ status: 'pass', reason: expect.stringContaining('0002_add_index.sql') });
    expect(scenario.deps.migrationReads).toEqual([DATABASE]);
  });

  it('fails when a migration of the change is not applied, or is applied with other content', async () => {
    await withMigration();
    scenario.deps.recordApplied(DATABASE, '0001', 'CREATE TABLE posts (id int);\n');
    const missing = gate(await scenario.judge(), 'migrations');
    expect(missing.status).toBe('fail');
    expect(missing.reason).toContain('0002_add_index.sql');

    scenario.deps.recordApplied(DATABASE, '0002', 'CREATE INDEX posts_id ON posts (id DESC);\n');
    const edited = await scenario.judge();
    expect(edited.passed).toBe(false);
    expect(gate(edited, 'migrations').reason).toContain('0002_add_index.sql');
  });

  it('checks an edited migration too, by the content at the target commit', async () => {
    scenario = await GateScenario.create({ migrations: {} }, { databaseUrl: DATABASE });
    const edited = 'CREATE TABLE posts (id int, body text);\n';
    await scenario.merge(7, { 'migrations/0001_init.sql': edited });
    scenario.deps.recordApplied(DATABASE, '0001', 'CREATE TABLE posts (id int);\n');
    expect(gate(await scenario.judge(), 'migrations').status).toBe('fail');
    scenario.deps.recordApplied(DATABASE, '0001', edited);
    expect(gate(await scenario.judge(), 'migrations').status).toBe('pass');
  });

  it('passes without reading any database when the change has no migrations in the directory', async () => {
    scenario = await GateScenario.create({ migrations: {} }, { databaseUrl: DATABASE });
    await scenario.merge(7, { 'src/app.ts': 'export {};\n', 'migrations/README.md': 'how to\n', 'migrations/old/0009_x.sql': 'SELECT 1;\n' });
    expect(gate(await scenario.judge(), 'migrations').status).toBe('pass');
    expect(scenario.deps.migrationReads).toEqual([]);
  });

  it('reads the configured directory', async () => {
    scenario = await GateScenario.create({ migrations: { directory: 'db/migrate/' } }, { databaseUrl: DATABASE });
    await scenario.merge(7, { 'db/migrate/0003_tags.sql': 'CREATE TABLE tags ();\n', 'migrations/0002_add_index.sql': ADD_INDEX });
    scenario.deps.recordApplied(DATABASE, '0003', 'CREATE TABLE tags ();\n');
    expect(gate(await scenario.judge(), 'migrations').status).toBe('pass');
  });

  it('reads the database the provider knows when mod.config.yml names none, and fails when there is none or it is unreachable', async () => {
    await withMigration({});
    const unknown = gate(await scenario.judge(), 'migrations');
    expect(unknown.status).toBe('fail');
    expect(scenario.deps.migrationReads).toEqual([]);

    scenario.provider.tellDatabaseUrl('production', 'postgres://127.0.0.1:55432/postgres');
    const unreachable = gate(await scenario.judge(), 'migrations');
    expect(unreachable.status).toBe('fail');
    expect(scenario.deps.migrationReads).toEqual(['postgres://127.0.0.1:55432/postgres']);

    scenario.deps.recordApplied('postgres://127.0.0.1:55432/postgres', '0002', ADD_INDEX);
    expect(gate(await scenario.judge(), 'migrations').status).toBe('pass');
  });

  it('lets an unapplied migration through with an override, recorded', async () => {
    await withMigration();
    scenario.deps.recordApplied(DATABASE);
    const report = await scenario.judge({ overrides: [{ gate: 'migrations', reason: 'applied by hand, records lost' }] });
    expect(report.passed).toBe(true);
    expect(gate(report, 'migrations')).toMatchObject({ status: 'pass', overridden: { reason: 'applied by hand, records lost', by: 'carol' } });
    expect(report.overrides).toEqual([{ gate: 'migrations', reason: 'applied by hand, records lost', by: 'carol' }]);
  });

  it('compares sha256 checksums of the exact file content', () => {
    expect(FakeGateDependencies.checksumOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it("issue 17.16: on an environment's first deploy with no database known, says what to do", async () => {
    const repo = await TempRepository.create('master');
    try {
      await repo.commit('Shop', { 'migrations/0001_init.sql': 'CREATE TABLE posts (id int);\n' });
      const provider = new FakeProvider();
      const ws = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { production: { branch: 'master', gates: { migrations: {} } } } }, provider });
      const target = await ws.git.commitInfo('refs/heads/master');
      const report = await runGates(ws, ws.environment('production'), provider, target, { initiator: 'carol' }, new FakeGateDependencies());
      const verdict = gate(report, 'migrations');
      expect(verdict.status).toBe('fail');
      expect(verdict.reason).toContain('first deploy');
      expect(verdict.fix).toContain('databaseUrl');
      expect(verdict.fix).toContain('mod db migrate');
      expect(verdict.fix).toContain('--override migrations');
    } finally {
      await repo.dispose();
    }
  });
});
