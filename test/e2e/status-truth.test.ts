// mod status tells what runs, through the built CLI (issue 17 items 3, 7 and
// the host part of 1): a service killed in service is restarted by the host
// and status says so; a killed host is an error (ENDPOINT_DOWN, exit 1) while
// the instances still serve; a Ctrl-C that left the new revision's process
// running out of traffic is a warning; a bundle reused for another commit of
// the same tree says both; a host whose .mod was deleted is found again.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN, postModerate } from '../support/fixture-app.js';

interface StatusInstance {
  id: string;
  healthy: boolean;
  state: string;
  commit: string | null;
  tree: string | null;
  builtFrom: string | null;
  running: { commit: string | null; tree?: string | null; builtFrom?: string | null; deploymentId?: string | null } | null;
  restarted: { at: string; reason: string; ok: boolean; count: number } | null;
}
interface StatusEnv {
  endpoint: string | null;
  pending: number;
  drift: string | null;
  warnings: string[];
  problems: { code: string; message: string }[];
  deployed: { commit: string } | null;
  instances: StatusInstance[];
}
interface DeployJson {
  status: string;
  revision: { commit: string };
  endpoint: string;
}

const fixtures: FixtureApp[] = [];
const pidsToKill: number[] = [];
async function fixture(): Promise<FixtureApp> {
  const app = await FixtureApp.create();
  fixtures.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.dispose()));
  for (const pid of pidsToKill.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

async function stageStatus(app: FixtureApp): Promise<{ exitCode: number; env: StatusEnv }> {
  const result = await app.json<{ environments: StatusEnv[] }>(['status', '--env', 'stage']);
  return { exitCode: result.exitCode, env: result.body.environments[0]! };
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function servicePidFile(app: FixtureApp, instance: string): string {
  return path.join(app.dir, '.mod', 'envs', 'stage', 'instances', instance, 'root', 'var', 'run', 'mod', 'service.pid');
}

async function hostPid(app: FixtureApp): Promise<number> {
  return (JSON.parse(await readFile(path.join(app.dir, '.mod', 'envs', 'stage', 'host.json'), 'utf8')) as { pid: number }).pid;
}

describe('issue 17.3: status tells what runs', () => {
  it('issue 17.3: the host restarts a service killed in service (as an ASG would), and status says when and why', async () => {
    const app = await fixture();
    const deployed = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(deployed.body.status).toBe('Succeeded');
    const before = Number((await readFile(servicePidFile(app, 'i-local-1'), 'utf8')).trim());
    process.kill(before, 'SIGKILL');

    const restarted = await waitFor(async () => {
      const { env } = await stageStatus(app);
      const i1 = env.instances.find((i) => i.id === 'i-local-1')!;
      return i1.restarted?.ok && i1.healthy ? i1 : undefined;
    });
    expect(restarted.restarted).toMatchObject({ ok: true, count: 1, reason: expect.stringContaining('health check failed') });
    expect(restarted.running?.commit).toBe(deployed.body.revision.commit);
    const after = Number((await readFile(servicePidFile(app, 'i-local-1'), 'utf8')).trim());
    expect(after).not.toBe(before);
    expect((await postModerate(deployed.body.endpoint)).status).toBe(200);

    const text = await app.mod(['status', '--env', 'stage', '--plain']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout, text.stderr).toMatch(/restarted \d+s ago after its health check failed \d+ times/);
  });

  it('issue 17.3: a killed host is ENDPOINT_DOWN (exit 1) while the instances, which still serve, say so', async () => {
    const app = await fixture();
    const deployed = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const pid = await hostPid(app);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });

    const { exitCode, env } = await stageStatus(app);
    expect(exitCode).toBe(1);
    expect(env.endpoint).toBeNull();
    expect(env.problems).toEqual([expect.objectContaining({ code: 'ENDPOINT_DOWN' })]);
    expect(env.problems[0]!.message).toContain(`its host process ${pid} is gone`);
    expect(env.problems[0]!.message).toContain('2 instance(s) still serve');
    // Not "stopped": they answer with the deployed revision on their own ports.
    expect(env.instances.map((i) => [i.state, i.running?.commit])).toEqual([
      ['no endpoint', deployed.body.revision.commit],
      ['no endpoint', deployed.body.revision.commit],
    ]);
    const plain = await app.mod(['status', '--env', 'stage', '--plain']);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout, plain.stderr).toContain('error: the endpoint is down');

    // mod stop is on purpose: then status is not an error.
    expect((await app.mod(['stop', '--env', 'stage', '--yes'])).exitCode).toBe(0);
    const stopped = await stageStatus(app);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.env.problems).toEqual([]);
    expect(stopped.env.instances.map((i) => [i.state, i.running])).toEqual([
      ['stopped', null],
      ['stopped', null],
    ]);
  });

  it('issue 17.3: after Ctrl-C the new revision running out of traffic is a warning, not the old revision shown as healthy and up to date', async () => {
    const app = await fixture();
    const good = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    // v2's ValidateService hangs after ApplicationStart started the new process on i-local-1.
    await app.write('scripts/slow_validate.sh', '#!/usr/bin/env bash\necho slow-validate; sleep 30\n');
    await execa('chmod', ['+x', path.join(app.dir, 'scripts', 'slow_validate.sh')]);
    await app.write('appspec.yml', (await app.read('appspec.yml')).replace('  ValidateService:\n', '  ValidateService:\n    - location: scripts/slow_validate.sh\n      timeout: 60\n'));
    await app.write('VERSION', 'v2\n');
    const v2 = await app.commit('v2 with a slow ValidateService');
    const child = execa(process.execPath, [MOD_BIN, 'deploy', '--env', 'stage', '--json'], { cwd: app.dir, reject: false, env: { CI: 'true' } });
    const logs = path.join(app.dir, '.mod', 'envs', 'stage', 'instances', 'i-local-1', 'deployment-root');
    await waitFor(async () => (await execa('sh', ['-c', `cat ${logs}/*/logs/ValidateService.log 2>/dev/null || true`])).stdout.includes('slow-validate'));
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);

    const { env } = await stageStatus(app);
    const i1 = env.instances.find((i) => i.id === 'i-local-1')!;
    expect(i1.commit).toBe(good.body.revision.commit);
    expect(i1.running?.commit).toBe(v2);
    expect(env.drift).toContain('i-local-1 runs another revision than recorded');
    expect(env.warnings.some((w) => w.startsWith(`i-local-1 runs ${v2.slice(0, 8)}`) && w.includes(`record says ${good.body.revision.commit.slice(0, 8)}`))).toBe(true);
    const plain = await app.mod(['status', '--env', 'stage', '--plain']);
    expect(plain.stdout, plain.stderr).not.toContain('up to date');
    expect(plain.stdout, plain.stderr).toContain('(not the record)');
  });
});

describe('issue 17.7: a bundle reused for another commit of the same tree', () => {
  it('issue 17.7: status names the deployed commit, its tree and the commit the bundle was built from, and sees no disagreement', async () => {
    const app = await fixture();
    // The fixture service answers /healthz as src/service/routes/health.ts does: the deployer's variables over revision.json.
    const server = await app.read('app/server.js');
    await app.write(
      'app/server.js',
      server.replace(
        'revision: revision.commit, version',
        'revision: process.env.MOD_REVISION_COMMIT ?? revision.commit, commit: process.env.MOD_REVISION_COMMIT ?? revision.commit, tree: process.env.MOD_REVISION_TREE ?? null, builtFrom: revision.commit, deploymentId: process.env.DEPLOYMENT_ID ?? null, version',
      ),
    );
    expect(await app.read('app/server.js')).toContain('MOD_REVISION_TREE');
    await app.commit('Service says its tree');
    const first = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    await app.write('VERSION', 'v2\n');
    await app.commit('v2');
    await app.git('revert', '--no-edit', 'HEAD');
    const sameTree = (await app.git('rev-parse', 'HEAD')).trim();
    const reused = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(reused.body.status).toBe('Succeeded');
    expect(reused.stderr).toContain('reusing');

    const { env } = await stageStatus(app);
    const tree = (await app.git('rev-parse', `${sameTree}^{tree}`)).trim();
    // The record and the process agree: the deployed commit, its tree, and the commit the bundle was built from.
    const expected = { commit: sameTree, tree, builtFrom: first.body.revision.commit, deploymentId: expect.stringMatching(/^d-/) };
    expect(env.instances.map((i) => [i.commit, i.tree, i.builtFrom, i.running])).toEqual([
      [sameTree, tree, first.body.revision.commit, expected],
      [sameTree, tree, first.body.revision.commit, expected],
    ]);
    expect(env).toMatchObject({ drift: null, warnings: [], problems: [], pending: 0 });
    const plain = await app.mod(['status', '--env', 'stage', '--plain']);
    expect(plain.stdout, plain.stderr).toContain(`bundle built as ${first.body.revision.commit.slice(0, 8)}`);
    expect(plain.stdout, plain.stderr).toContain('up to date');
  });
});

describe('issue 17.1: the host owns its records', () => {
  it('issue 17.1: a host removes host.json on exit only when it is its own', async () => {
    const app = await fixture();
    await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const pid = await hostPid(app);
    const hostJson = path.join(app.dir, '.mod', 'envs', 'stage', 'host.json');
    const other = { ...JSON.parse(await readFile(hostJson, 'utf8')), pid: process.pid };
    await writeFile(hostJson, JSON.stringify(other));
    process.kill(pid, 'SIGTERM');
    await waitFor(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(JSON.parse(await readFile(hostJson, 'utf8'))).toMatchObject({ pid: process.pid });
    await rm(hostJson);
  });

  it('issue 17.1: with .mod deleted while the host runs (git clean -fdx), the next deploy finds the orphaned host instead of starting a second', async () => {
    const app = await fixture();
    const first = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const pid = await hostPid(app);
    for (const instance of ['i-local-1', 'i-local-2']) pidsToKill.push(Number((await readFile(servicePidFile(app, instance), 'utf8')).trim()));
    pidsToKill.push(pid);
    await rm(path.join(app.dir, '.mod'), { recursive: true, force: true });

    const again = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(again.body.status, again.stderr).toBe('Succeeded');
    expect(again.body.endpoint).toBe(first.body.endpoint);
    expect(await hostPid(app)).toBe(pid);
    expect((await postModerate(again.body.endpoint)).status).toBe(200);
  });
  it('issue 17.1: with .mod deleted under a host on the embedded database, the next deploy replaces that host (its database is gone) and stops the services it left', async () => {
    const app = await FixtureApp.create({ database: 'embedded' });
    fixtures.push(app);
    const first = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(first.body.status).toBe('Succeeded');
    const oldHost = await hostPid(app);
    const oldServices = await Promise.all(['i-local-1', 'i-local-2'].map(async (i) => Number((await readFile(servicePidFile(app, i), 'utf8')).trim())));
    pidsToKill.push(oldHost, ...oldServices);
    await rm(path.join(app.dir, '.mod'), { recursive: true, force: true });

    const again = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(again.body.status, again.stderr).toBe('Succeeded');
    expect(again.stderr).toContain('lost its embedded database with the state directory');
    expect(await hostPid(app)).not.toBe(oldHost);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && [oldHost, ...oldServices].some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect([oldHost, ...oldServices].filter(alive)).toEqual([]);
    expect((await postModerate(again.body.endpoint)).status).toBe(200);
  });

  it('issue 17.1: a host that is alive but does not answer is refused (HOST_ORPHANED, naming its pid), not fought over by a second one', async () => {
    const app = await fixture();
    await app.json<DeployJson>(['deploy', '--env', 'stage']);
    const pid = await hostPid(app);
    process.kill(pid, 'SIGSTOP');
    try {
      const refused = await app.json<{ error: { code: string; message: string; hint: string } }>(['deploy', '--env', 'stage']);
      expect(refused.exitCode).toBe(1);
      expect(refused.body.error).toMatchObject({ code: 'HOST_ORPHANED', hint: `stop it (kill ${pid}), then run the command again` });
      const status = await stageStatus(app);
      expect(status.exitCode).toBe(1);
      expect(status.env.problems[0]!.message).toContain(`its host process ${pid} does not answer`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
