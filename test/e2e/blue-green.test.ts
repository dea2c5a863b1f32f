// Issue 12.1 through bin/mod.js: a blue/green environment deploys to a
// replacement fleet and switches the endpoint to it in one swap, keeps the
// original fleet on standby, and `mod rollback --fast` re-routes to that fleet
// instead of reinstalling; a replacement that fails before the switch is
// removed while the original fleet keeps serving. Requests run throughout
// and none of them fails.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';

interface DeployJson {
  deploymentId: string;
  build?: { reused: boolean };
  status: string;
  endpoint: string;
  deploymentType?: string;
  blueGreen?: { originalInstances: string[]; replacementInstances: string[]; keepOriginalUntil?: string; originalTerminated?: boolean; reroute?: string };
  instances: { instanceId: string; status: string }[];
  revision: { commit: string };
}

/** The deployment's record as the local provider saved it (the audit trail). */
async function recordOf(app: FixtureApp, deploymentId: string): Promise<DeployJson> {
  return JSON.parse(await readFile(path.join(app.dir, '.mod', 'envs', 'stage', 'deployments', `${deploymentId}.json`), 'utf8')) as DeployJson;
}

/** Requests sent continuously to the endpoint until stopped: what answered, and every failure. */
function load(endpoint: string) {
  // versions: in answer order; byWorker: each worker's answers in the order it sent them.
  const seen = { ok: 0, failed: [] as string[], versions: [] as string[], byWorker: [[], [], []] as string[][] };
  let running = true;
  const worker = async (n: number) => {
    while (running) {
      try {
        const r = await postModerate(endpoint, 'continuous');
        if (r.status === 200) {
          seen.ok++;
          seen.versions.push(String(r.body.modelVersion));
          seen.byWorker[n]!.push(String(r.body.modelVersion));
        } else seen.failed.push(`HTTP ${r.status}`);
      } catch (error) {
        seen.failed.push(String((error as Error).cause ?? error));
      }
    }
  };
  const workers = [worker(0), worker(1), worker(2)];
  return {
    seen,
    stop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      running = false;
      await Promise.all(workers);
      return seen;
    },
  };
}

const BLUE_GREEN = `    deploymentType: blue-green
    blueGreen: { terminationWaitSeconds: 600 }
    variables: { VALIDATE_TIMEOUT_SECONDS: 3 }
`;

describe('issue 12.1: blue/green on the local provider', () => {
  let app: FixtureApp;
  let endpoint: string;
  let first: DeployJson;
  let second: DeployJson;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 2, extra: BLUE_GREEN });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('a first deploy launches the fleet and switches the endpoint to it', async () => {
    const run = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(run.body.status, run.stderr).toBe('Succeeded');
    endpoint = run.body.endpoint;
    first = await recordOf(app, run.body.deploymentId);
    expect(first).toMatchObject({ deploymentType: 'blue-green', blueGreen: { originalInstances: [], replacementInstances: ['i-local-1', 'i-local-2'] } });
    expect((await postModerate(endpoint)).body.modelVersion).toBe('v1');
  });

  it('a second deploy installs a replacement fleet, switches all traffic at once and keeps the original fleet on standby', async () => {
    await app.write('VERSION', 'v2\n');
    await app.commit('v2');
    const traffic = load(endpoint);
    const run = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const seen = await traffic.stop();
    expect(run.body.status, run.stderr).toBe('Succeeded');
    second = await recordOf(app, run.body.deploymentId);
    expect(second.blueGreen).toMatchObject({ originalInstances: ['i-local-1', 'i-local-2'], replacementInstances: ['i-local-3', 'i-local-4'], keepOriginalUntil: expect.any(String) });
    expect(second.instances.map((i) => `${i.instanceId} ${i.status}`)).toEqual(['i-local-3 Succeeded', 'i-local-4 Succeeded']);
    expect(seen.failed).toEqual([]);
    // One swap: each client saw v1 until the switch and v2 after it, never v1 again.
    for (const answers of seen.byWorker) {
      const firstV2 = answers.indexOf('v2');
      expect(firstV2, answers.join(' ')).toBeGreaterThan(0);
      expect(
        answers.slice(firstV2).every((v) => v === 'v2'),
        answers.join(' '),
      ).toBe(true);
    }
    const after = await Promise.all([1, 2, 3, 4].map(() => postModerate(endpoint)));
    expect(after.map((r) => r.body.modelVersion)).toEqual(['v2', 'v2', 'v2', 'v2']);
    expect(new Set(after.map((r) => r.instance))).toEqual(new Set(['i-local-3', 'i-local-4']));

    const status = await app.json<{ environments?: { instances: { id: string; state: string }[] }[]; instances?: { id: string; state: string }[] }>(['status', '--env', 'stage']);
    const instances = status.body.environments?.[0]?.instances ?? status.body.instances ?? [];
    const states = Object.fromEntries(instances.map((i) => [i.id, i.state]));
    expect(states['i-local-3']).toBe('healthy');
    expect(states['i-local-1']).toMatch(/^standby until \d\d:\d\d$/);
  });

  it('rollback --fast re-routes to the kept fleet without reinstalling, and the fleet rolled back from is terminated by the host', async () => {
    const traffic = load(endpoint);
    const run = await app.json<DeployJson & { rollbackOf: string }>(['rollback', '--env', 'stage', '--fast', '--no-push']);
    const answer = await postModerate(endpoint);
    const seen = await traffic.stop();
    expect(run.body.status, run.stderr).toBe('Succeeded');
    expect(answer.body.modelVersion).toBe('v1');
    expect(run.body).toMatchObject({ rollbackOf: second.deploymentId, revision: { commit: first.revision.commit } });
    expect(await recordOf(app, run.body.deploymentId)).toMatchObject({ deploymentType: 'blue-green', build: { reused: true }, blueGreen: { replacementInstances: ['i-local-1', 'i-local-2'], reroute: expect.stringContaining('re-routed to the kept fleet') } });
    expect(seen.failed).toEqual([]);
    expect(seen.versions.at(-1)).toBe('v1');

    // The host terminates i-local-3 and -4 (their ApplicationStop) once the rollback released the lock.
    const file = (id: string) => path.join(app.dir, '.mod', 'envs', 'stage', 'instances', id, 'instance.json');
    let terminated: string[] = [];
    for (let i = 0; i < 100 && terminated.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      terminated = [];
      for (const id of ['i-local-3', 'i-local-4']) if ((JSON.parse(await readFile(file(id), 'utf8')) as { terminatedAt?: string }).terminatedAt) terminated.push(id);
    }
    expect(terminated).toEqual(['i-local-3', 'i-local-4']);
    expect(JSON.parse(await readFile(file('i-local-1'), 'utf8'))).not.toHaveProperty('terminatedAt');
    const still = await Promise.all([1, 2, 3].map(() => postModerate(endpoint)));
    expect(still.map((r) => `${r.status} ${String(r.body.modelVersion)}`)).toEqual(['200 v1', '200 v1', '200 v1']);
  });

  it('a replacement fleet that fails before the switch is removed; the original fleet never stopped serving', async () => {
    await app.write('app/server.js', 'process.exit(1);\n');
    await app.write('VERSION', 'broken\n');
    await app.commit('broken');
    const traffic = load(endpoint);
    const run = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const seen = await traffic.stop();
    expect(run.body.status, run.stderr).toBe('Failed');
    expect((await recordOf(app, run.body.deploymentId)).blueGreen).toMatchObject({ originalInstances: ['i-local-1', 'i-local-2'], replacementInstances: ['i-local-5', 'i-local-6'] });
    expect(seen.failed).toEqual([]);
    expect(new Set(seen.versions)).toEqual(new Set(['v1']));
    for (const id of ['i-local-5', 'i-local-6']) {
      const file = path.join(app.dir, '.mod', 'envs', 'stage', 'instances', id, 'instance.json');
      expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('terminatedAt');
    }
  });
});
