// The main user journey through the built CLI against a real git repo, real
// hook scripts, real processes and real HTTP: deploy, a new commit, fast
// rollback, revert rollback, status and history; one test per step.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';
import { scenarioSteps } from '../support/scenario-steps.js';

/** A deployment builds and rolls out two instances; the rest reads records. */
const DEPLOY_MS = 90_000;
const READ_MS = 30_000;

interface DeployJson {
  schemaVersion: number;
  status: string;
  deploymentId: string;
  environment: string;
  revision: { commit: string };
  endpoint: string;
  revertCommit?: string | null;
  rollbackOf?: string | null;
}

describe('deploy, rollback, status and history', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    // The embedded default database (PGlite served over the wire protocol), as a new user gets it.
    app = await FixtureApp.create({ database: 'embedded' });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  let c1 = '';
  let c2 = '';
  let c3 = '';
  let endpoint = '';
  let second: DeployJson;
  let head = '';

  scenarioSteps([
    {
      name: 'deploys the first commit and serves it, with plain output in CI',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        c1 = (await app.git('rev-parse', 'HEAD')).trim();
        const first = await app.json<DeployJson>(['deploy', '--env', 'staging']);
        expect(first.exitCode, first.stderr).toBe(0);
        expect(first.body).toMatchObject({ schemaVersion: 1, status: 'Succeeded', environment: 'stage', revision: { commit: c1 } });
        endpoint = first.body.endpoint;
        expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await postModerate(endpoint)).body).toMatchObject({ decision: 'approve', modelVersion: 'v1' });
        // Plain output in CI: one line per event, no colour codes.
        expect(first.stderr).toContain('ValidateService succeeded');
        expect(first.stderr).not.toMatch(/\x1b\[/);
      },
    },
    {
      name: 'deploys a new commit behind the same endpoint',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        await app.write('VERSION', 'v2\n');
        c2 = await app.commit('Ship v2');
        const run = await app.json<DeployJson>(['deploy', '--env', 'stage']);
        expect(run.body).toMatchObject({ status: 'Succeeded', revision: { commit: c2 }, endpoint });
        second = run.body;
        expect((await postModerate(endpoint)).body.modelVersion).toBe('v2');
      },
    },
    {
      name: 'status shows both instances healthy on the new commit, and production not deployed',
      timeoutMs: READ_MS,
      run: async () => {
        const status = await app.json<{ schemaVersion: number; environments: Record<string, unknown>[] }>(['status']);
        expect(status.exitCode).toBe(0);
        const stage = status.body.environments.find((e) => e.name === 'stage')!;
        expect(stage).toMatchObject({ branch: 'stage', deployed: { commit: c2, deploymentId: second.deploymentId }, branchHead: { commit: c2 }, pending: 0, endpoint });
        expect(stage.instances).toEqual([expect.objectContaining({ id: 'i-local-1', healthy: true, commit: c2 }), expect.objectContaining({ id: 'i-local-2', healthy: true, commit: c2 })]);
        expect(status.body.environments.find((e) => e.name === 'production')).toMatchObject({ deployed: null, endpoint: null });
      },
    },
    {
      name: 'status counts a commit not deployed yet as pending',
      timeoutMs: READ_MS,
      run: async () => {
        await app.write('NOTES', 'not deployed\n');
        await app.commit('Undeployed note');
        try {
          expect((await app.json<{ environments: { pending: number }[] }>(['status', '--env', 'stage'])).body.environments[0]!.pending).toBe(1);
        } finally {
          await app.git('reset', '-q', '--hard', 'HEAD~1');
        }
      },
    },
    {
      name: 'rollback --fast brings the previous bundle back, then commits the revert',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        const fast = await app.json<DeployJson>(['rollback', '--env', 'stage', '--fast']);
        expect(fast.exitCode, fast.stderr).toBe(0);
        expect(fast.body).toMatchObject({ status: 'Succeeded', revision: { commit: c1 }, rollbackOf: second.deploymentId, endpoint });
        expect(fast.body.revertCommit).toMatch(/^[0-9a-f]{40}$/);
        expect((await postModerate(endpoint)).body.modelVersion).toBe('v1');
        expect((await app.git('rev-parse', 'stage')).trim()).toBe(fast.body.revertCommit);
        expect((await app.git('rev-parse', 'stage^{tree}')).trim()).toBe((await app.git('rev-parse', `${c1}^{tree}`)).trim());
        expect(await app.read('VERSION')).toBe('v1\n');
        const afterFast = await app.json<{ environments: { pending: number; deployed: { commit: string } }[] }>(['status', '--env', 'stage']);
        expect(afterFast.body.environments[0]).toMatchObject({ pending: 0, deployed: { commit: c1 } });
      },
    },
    {
      name: 'deploys a third commit',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        await app.write('VERSION', 'v3\n');
        c3 = await app.commit('Ship v3');
        expect((await app.json<DeployJson>(['deploy', '--env', 'stage'])).body).toMatchObject({ status: 'Succeeded', revision: { commit: c3 } });
        expect((await postModerate(endpoint)).body.modelVersion).toBe('v3');
      },
    },
    {
      name: 'rollback by revert commits the revert and deploys it, reusing the first bundle',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        const revert = await app.json<DeployJson>(['rollback', '--env', 'stage', '--no-push']);
        expect(revert.exitCode, revert.stderr).toBe(0);
        head = (await app.git('rev-parse', 'stage')).trim();
        expect(revert.body).toMatchObject({ status: 'Succeeded', revertCommit: head, revision: { commit: head } });
        expect((await app.git('log', '-1', '--format=%s', head)).trim()).toBe(`Rollback stage to ${c1.slice(0, 8)}`);
        expect((await postModerate(endpoint)).body.modelVersion).toBe('v1');
        // The reverted tree equals v1's: its bundle is reused, not rebuilt.
        expect(revert.stderr).toContain('reusing the bundle');
      },
    },
    {
      name: 'history lists every deployment, newest first, with its lifecycle events and timings',
      timeoutMs: READ_MS,
      run: async () => {
        const history = await app.json<{ schemaVersion: number; deployments: Record<string, unknown>[] }>(['history', '--env', 'stage']);
        expect(history.body.schemaVersion).toBe(1);
        expect(history.body.deployments.map((d) => d.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
        expect(history.body.deployments.map((d) => (d.revision as { commit: string }).commit)).toEqual([head, c3, c1, c2, c1]);
        const latest = history.body.deployments[0]!;
        expect(latest).toMatchObject({ environment: 'stage', rollbackOf: expect.stringMatching(/^d-/), revertCommit: head, initiator: expect.any(String) });
        expect(latest.startedAt).toEqual(expect.any(String));
        expect(latest.endedAt).toEqual(expect.any(String));
        const events = (latest.instances as { events: { name: string; status: string; durationMs: number | null }[] }[])[0]!.events;
        expect(events.filter((e) => e.status === 'Succeeded').map((e) => e.name)).toEqual(['BlockTraffic', 'ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService', 'AllowTraffic']);
        expect(events.every((e) => e.status !== 'Succeeded' || typeof e.durationMs === 'number')).toBe(true);
      },
    },
  ]);
});
