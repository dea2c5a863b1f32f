// One end-to-end scenario that drives either provider through the CLI:
// ship a commit, ship a change, see it in status, fast-rollback, and find
// the rollback in history. Each provider's test supplies how to run `mod`
// (a child process for local, in-process with the SDK faked for AWS) and
// registers the steps with scenarioSteps (scenario-steps.ts).
import { expect } from 'vitest';
import type { FixtureApp } from './fixture-app.js';
import type { ScenarioStep } from './scenario-steps.js';

export interface ScenarioDriver {
  app: FixtureApp;
  /** Runs `mod <args> --json` and returns the exit code and the parsed document. */
  mod(args: string[]): Promise<{ exitCode: number; body: Record<string, unknown>; stderr: string }>;
  /** Optional extra check that the environment serves `version` (local: a real HTTP request). */
  serves?(endpoint: string, version: string): Promise<void>;
}

/** A deployment builds and rolls out; the rest reads records. */
const DEPLOY_MS = 90_000;
const READ_MS = 30_000;

/** The steps, in order; `driver` is called when they run (the fixture is made in the caller's beforeAll). */
export function shipAndFastRollback(driver: () => ScenarioDriver): ScenarioStep[] {
  let c1 = '';
  let c2 = '';
  let first: Record<string, unknown> = {};
  let second: Record<string, unknown> = {};
  let rollback: Record<string, unknown> = {};
  return [
    {
      name: 'deploys the first commit',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        const { app, mod, serves } = driver();
        c1 = (await app.git('rev-parse', 'HEAD')).trim();
        const run = await mod(['deploy', '--env', 'stage']);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.body).toMatchObject({ schemaVersion: 1, status: 'Succeeded', environment: 'stage', revision: { commit: c1 } });
        first = run.body;
        await serves?.(first.endpoint as string, 'v1');
      },
    },
    {
      name: 'deploys a change',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        const { app, mod, serves } = driver();
        await app.write('VERSION', 'v2\n');
        c2 = await app.commit('Ship v2');
        const run = await mod(['deploy', '--env', 'stage']);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.body).toMatchObject({ status: 'Succeeded', revision: { commit: c2 } });
        second = run.body;
        await serves?.(second.endpoint as string, 'v2');
      },
    },
    {
      name: 'status shows the change deployed and nothing pending',
      timeoutMs: READ_MS,
      run: async () => {
        const status = await driver().mod(['status', '--env', 'stage']);
        expect(status.exitCode, status.stderr).toBe(0);
        expect((status.body.environments as Record<string, unknown>[])[0]).toMatchObject({ name: 'stage', deployed: { commit: c2 }, branchHead: { commit: c2 }, pending: 0 });
      },
    },
    {
      name: 'rollback --fast redeploys the first revision and reverts the branch',
      timeoutMs: DEPLOY_MS,
      run: async () => {
        const { app, mod, serves } = driver();
        const run = await mod(['rollback', '--env', 'stage', '--fast']);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.body).toMatchObject({ status: 'Succeeded', revision: { commit: c1 }, rollbackOf: second.deploymentId });
        expect(run.body.revertCommit).toMatch(/^[0-9a-f]{40}$/);
        expect((await app.git('rev-parse', 'stage^{tree}')).trim()).toBe((await app.git('rev-parse', `${c1}^{tree}`)).trim());
        rollback = run.body;
        await serves?.(rollback.endpoint as string, 'v1');
      },
    },
    {
      name: 'history lists the rollback and the deployment it undid',
      timeoutMs: READ_MS,
      run: async () => {
        const history = await driver().mod(['history', '--env', 'stage']);
        expect(history.exitCode, history.stderr).toBe(0);
        const deployments = history.body.deployments as { deploymentId: string; status: string; revision: { commit: string }; rollbackOf: string | null }[];
        expect(deployments.find((d) => d.deploymentId === rollback.deploymentId)).toMatchObject({ status: 'Succeeded', revision: { commit: c1 } });
        expect(deployments.find((d) => d.deploymentId === second.deploymentId)).toMatchObject({ status: 'Succeeded', revision: { commit: c2 } });
      },
    },
  ];
}
