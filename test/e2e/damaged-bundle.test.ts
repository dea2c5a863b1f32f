// Issue 17.6 through bin/mod.js: a cached bundle that lost a file is never
// redeployed as is. The reproduction: v1's bundle loses its service file, v2
// then fails, and the auto-rollback to v1 used to fail too (same damaged
// bundle); a fast rollback to it did the same. Now both rebuild v1 from git.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';

interface DeployJson {
  status: string;
  revision: { commit: string };
  endpoint: string;
}

describe('a damaged cached bundle', () => {
  let app: FixtureApp;
  let v1: DeployJson;
  // A local bundle is keyed by its commit's tree.
  const damage = async (commit: string) => rm(path.join(app.dir, '.mod', 'revisions', (await app.git('rev-parse', `${commit}^{tree}`)).trim(), 'bundle', 'dist', 'service', 'main.js'));

  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
    v1 = (await app.json<DeployJson>(['deploy', '--env', 'stage'])).body;
    expect(v1.status).toBe('Succeeded');
  }, 180_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('issue 17.6: the auto-rollback rebuilds the last good revision instead of redeploying its damaged bundle', async () => {
    await damage(v1.revision.commit);
    await app.write('app/server.js', `console.error('boom'); process.exit(3);\n`);
    await app.commit('Break the service');
    const bad = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    // RolledBack: the auto-rollback succeeded (a failed one leaves the deployment Failed).
    expect(bad.body.status, bad.stderr).toBe('RolledBack');
    expect(bad.stderr).toMatch(/the bundle of [0-9a-f]{8} cannot be reused \(.*main\.js.*\): rebuilding it from git/);
    expect((await postModerate(v1.endpoint)).body.modelVersion).toBe('v1');
  });

  it('issue 17.6: a fast rollback to a damaged bundle rebuilds it too', async () => {
    await app.git('revert', '--no-edit', 'HEAD');
    await app.write('VERSION', 'v2\n');
    await app.commit('Version two');
    const v2 = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(v2.body.status).toBe('Succeeded');
    expect((await postModerate(v1.endpoint)).body.modelVersion).toBe('v2');

    await damage(v1.revision.commit);
    const back = await app.json<DeployJson>(['rollback', '--env', 'stage', '--fast', '--no-push']);
    expect(back.body.status, back.stderr).toBe('Succeeded');
    expect(back.stderr).toContain('rebuilding it from git');
    expect((await postModerate(v1.endpoint)).body.modelVersion).toBe('v1');
  });
});
