// One end-to-end scenario that drives either provider through the CLI:
// ship a commit, ship a change, see it in status, fast-rollback, and find
// the rollback in history. Each provider's test supplies how to run `mod`
// (a child process for local, in-process with the SDK faked for AWS).
import { expect } from 'vitest';
import type { FixtureApp } from './fixture-app.js';

export interface ScenarioDriver {
  app: FixtureApp;
  /** Runs `mod <args> --json` and returns the exit code and the parsed document. */
  mod(args: string[]): Promise<{ exitCode: number; body: Record<string, unknown>; stderr: string }>;
  /** Optional extra check that the environment serves `version` (local: a real HTTP request). */
  serves?(endpoint: string, version: string): Promise<void>;
}

export async function shipAndFastRollback(driver: ScenarioDriver): Promise<void> {
  const { app } = driver;
  const c1 = (await app.git('rev-parse', 'HEAD')).trim();
  const first = await driver.mod(['deploy', '--env', 'stage']);
  expect(first.exitCode, first.stderr).toBe(0);
  expect(first.body).toMatchObject({ schemaVersion: 1, status: 'Succeeded', environment: 'stage', revision: { commit: c1 } });
  await driver.serves?.(first.body.endpoint as string, 'v1');

  await app.write('VERSION', 'v2\n');
  const c2 = await app.commit('Ship v2');
  const second = await driver.mod(['deploy', '--env', 'stage']);
  expect(second.exitCode, second.stderr).toBe(0);
  expect(second.body).toMatchObject({ status: 'Succeeded', revision: { commit: c2 } });
  await driver.serves?.(second.body.endpoint as string, 'v2');

  const status = await driver.mod(['status', '--env', 'stage']);
  expect(status.exitCode, status.stderr).toBe(0);
  expect((status.body.environments as Record<string, unknown>[])[0]).toMatchObject({ name: 'stage', deployed: { commit: c2 }, branchHead: { commit: c2 }, pending: 0 });

  const rollback = await driver.mod(['rollback', '--env', 'stage', '--fast']);
  expect(rollback.exitCode, rollback.stderr).toBe(0);
  expect(rollback.body).toMatchObject({ status: 'Succeeded', revision: { commit: c1 }, rollbackOf: second.body.deploymentId });
  expect(rollback.body.revertCommit).toMatch(/^[0-9a-f]{40}$/);
  expect((await app.git('rev-parse', 'stage^{tree}')).trim()).toBe((await app.git('rev-parse', `${c1}^{tree}`)).trim());
  await driver.serves?.(rollback.body.endpoint as string, 'v1');

  const history = await driver.mod(['history', '--env', 'stage']);
  expect(history.exitCode, history.stderr).toBe(0);
  const deployments = history.body.deployments as { deploymentId: string; status: string; revision: { commit: string }; rollbackOf: string | null }[];
  expect(deployments.find((d) => d.deploymentId === rollback.body.deploymentId)).toMatchObject({ status: 'Succeeded', revision: { commit: c1 } });
  expect(deployments.find((d) => d.deploymentId === second.body.deploymentId)).toMatchObject({ status: 'Succeeded', revision: { commit: c2 } });
}
