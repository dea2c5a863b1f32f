// Issue 13 on the local provider, through bin/mod.js, with the REAL service
// (this checkout's dist/service, its appspec.yml hooks, migrations and
// models) on two instances backed by this machine's PostgreSQL: moderation
// requests run through the endpoint the whole time while `mod model release`
// swaps a different real model (models/baseline) in live, and `mod model
// rollback` returns to the bundled one; no request fails, every instance's
// /healthz and `mod status --json` name the model it decides with.
//
// The repository (a buildspec that copies this checkout's dist/, made under
// node_modules/.cache so the bundle resolves its dependencies) is
// test/support/real-service-repo.ts's.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/fixture-app.js';
import { configYaml, createRealServiceRepo, traffic, versionOf, type HealthModel, type RealServiceRepo } from '../support/real-service-repo.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

describe('a model released and rolled back on the local provider, live, through bin/mod.js (issue 13)', () => {
  let repo: RealServiceRepo;
  let dir: string;
  let db: TestDatabase;
  let endpoint: string;
  let bundled: string;
  let baseline: string;

  const mod = (args: string[], timeout = 300_000) => repo.mod(args, { timeout });
  const json = <T>(args: string[]) => repo.json<T>(args);
  const instanceModels = () => repo.instanceModels('stage');

  beforeAll(async () => {
    bundled = await versionOf(path.join(REPO_ROOT, 'models', 'default'));
    baseline = await versionOf(path.join(REPO_ROOT, 'models', 'baseline'));
    db = await createTestDatabase('postgres');
    repo = await createRealServiceRepo(configYaml(db.url));
    dir = repo.dir;
  }, 120_000);

  afterAll(async () => {
    await repo?.dispose();
    await db?.drop();
  }, 180_000);

  it('issue 13: the real service deploys, and before any release the bundled model decides on every instance', { timeout: 300_000 }, async () => {
    expect(baseline).not.toBe(bundled);
    const deploy = await json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    endpoint = deploy.body.endpoint;
    const models = await instanceModels();
    expect(Object.keys(models)).toHaveLength(2);
    for (const model of Object.values(models)) expect(model).toMatchObject({ version: bundled, source: 'bundled', releaseId: null });
  });

  it('issue 13: mod model release swaps another real model in on every instance with requests running, none failing', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    // models/baseline is an older model: its gate verdict is not what this test is about.
    const release = await json<{ schemaVersion: number; status: string; deploymentId: string; kind: string; model: { version: string; action: string } }>([
      'model',
      'release',
      '--env',
      'stage',
      '--model',
      path.join(dir, 'models', 'baseline'),
      '--override',
      'model',
      '--reason',
      'e2e: the older model on purpose',
    ]);
    const seen = await load.stop();
    expect(release.exitCode, release.stderr).toBe(0);
    expect(release.body).toMatchObject({ schemaVersion: 1, status: 'Succeeded', kind: 'model', model: { version: baseline, action: 'release' } });
    expect(release.body.deploymentId).toMatch(/^m-/);
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(0);

    const models = await instanceModels();
    for (const model of Object.values(models)) expect(model).toMatchObject({ version: baseline, source: 'released', releaseId: release.body.deploymentId, bundled });
    // The released model decides now: every answer names it.
    const after = traffic(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await after.stop();
    expect(answered.failed).toEqual([]);
    expect([...answered.models]).toEqual([baseline]);

    // mod status shows, per instance, the model its process decides with.
    const status = await json<{ environments: { name: string; instances: { id: string; running?: { model?: HealthModel } | null }[] }[] }>(['status', '--env', 'stage']);
    const instances = status.body.environments.find((e) => e.name === 'stage')!.instances;
    expect(instances).toHaveLength(2);
    for (const instance of instances) expect(instance.running?.model, instance.id).toMatchObject({ version: baseline, source: 'released', releaseId: release.body.deploymentId });
    // The artifact lives in the env's state, beside the pointer the instances poll.
    const pointer = JSON.parse(await readFile(path.join(dir, '.mod', 'envs', 'stage', 'models', 'pointer.json'), 'utf8')) as { releaseId: string; live: { version: string; location: string } };
    expect(pointer).toMatchObject({ releaseId: release.body.deploymentId, live: { version: baseline } });
    expect(pointer.live.location.startsWith(path.join(dir, '.mod', 'envs', 'stage', 'models', 'artifacts'))).toBe(true);
  });

  it('issue 13: mod model rollback returns every instance to the bundled model, requests running, none failing', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    const rollback = await json<{ status: string; kind: string; model: { action: string; version: string } }>(['model', 'rollback', '--env', 'stage']);
    const seen = await load.stop();
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    // The first release rolled back: the pointer is cleared and each instance's bundle decides (recorded as version `bundled`).
    expect(rollback.body).toMatchObject({ status: 'Succeeded', kind: 'model', model: { action: 'rollback', version: 'bundled' } });
    expect(seen.failed).toEqual([]);
    for (const model of Object.values(await instanceModels())) expect(model).toMatchObject({ version: bundled, source: 'bundled', releaseId: null });
    const after = traffic(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await after.stop();
    expect(answered.failed).toEqual([]);
    expect([...answered.models]).toEqual([bundled]);
  });

  it('issue 13: mod stop and a redeploy keep the released model (it lives in the env state; the pointer wins over the bundle); the history lists the model releases', { timeout: 300_000 }, async () => {
    const again = await json<{ status: string; deploymentId: string }>(['model', 'release', '--env', 'stage', '--model', path.join(dir, 'models', 'baseline'), '--override', 'model', '--reason', 'e2e: the older model again']);
    expect(again.exitCode, again.stderr).toBe(0);
    const history = await json<{ deployments: { deploymentId: string; kind?: string }[] }>(['history', '--env', 'stage']);
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.body.deployments.filter((d) => d.kind === 'model')).toHaveLength(3);

    const stop = await mod(['stop', '--env', 'stage', '--yes']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const artifacts = await readdir(path.join(dir, '.mod', 'envs', 'stage', 'models', 'artifacts'));
    // Published once: the same version and checksum released again is the same directory.
    expect(artifacts.filter((a) => a.startsWith(`${baseline}-`))).toHaveLength(1);

    const deploy = await json<{ status: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    for (const model of Object.values(await instanceModels())) expect(model).toMatchObject({ version: baseline, source: 'released', releaseId: again.body.deploymentId, bundled });
  });
});
