// What goes wrong in real deployments, through the built CLI: a failing hook
// (auto-rollback), a hanging hook (timeout), two deploys at once (lock), a
// crashed deployer (stale lock), Ctrl-C mid-deploy, bad specs, and an
// unconfirmed production deploy in CI.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN, postModerate } from '../support/fixture-app.js';

interface DeployJson {
  status: string;
  deploymentId: string;
  revision: { commit: string };
  endpoint: string;
  error: { code: string; message: string; instanceId?: string; event?: string; exitCode?: number | null; logTail?: string[] } | null;
}

const fixtures: FixtureApp[] = [];
async function fixture(): Promise<FixtureApp> {
  const app = await FixtureApp.create();
  fixtures.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.dispose()));
});

/** Adds a hook script to the fixture's appspec (before the ones already there). */
async function addHook(app: FixtureApp, event: string, name: string, body: string, timeout: number): Promise<void> {
  await app.write(`scripts/${name}`, `#!/usr/bin/env bash\n${body}\n`);
  await execa('chmod', ['+x', path.join(app.dir, 'scripts', name)]);
  const appspec = await app.read('appspec.yml');
  const marker = `  ${event}:\n`;
  const entry = `    - location: scripts/${name}\n      timeout: ${timeout}\n`;
  await app.write('appspec.yml', appspec.includes(marker) ? appspec.replace(marker, marker + entry) : `${appspec}  ${event}:\n${entry}`);
}

describe('a failing deployment', () => {
  it('rolls back automatically when the new revision fails ValidateService, and the endpoint keeps answering', async () => {
    const app = await fixture();
    const good = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(good.body.status).toBe('Succeeded');
    const endpoint = good.body.endpoint;

    // The new revision crashes on start: ValidateService sees the process gone.
    await app.write('app/server.js', `console.error('boom: missing MODEL_PATH'); process.exit(3);\n`);
    await app.commit('Break the service');
    const failures: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const r = await postModerate(endpoint).catch(() => ({ status: 0 }));
        if (r.status !== 200) failures.push(r.status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const bad = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    polling = false;
    await poller;

    expect(bad.exitCode).toBe(1);
    expect(bad.body.status).toBe('RolledBack');
    expect(bad.body.error).toMatchObject({ code: 'LIFECYCLE_EVENT_FAILED', instanceId: 'i-local-1', event: 'ValidateService', exitCode: 1 });
    expect(bad.body.error!.logTail!.join('\n')).toContain('boom: missing MODEL_PATH');
    expect(bad.stderr).toContain('auto-rollback');
    expect(failures).toEqual([]);
    const answer = await postModerate(endpoint);
    expect(answer.body.modelVersion).toBe('v1');

    const history = await app.json<{ deployments: { status: string; autoRollback: { status: string; commit: string } | null }[] }>(['history', '--env', 'stage']);
    expect(history.body.deployments[0]).toMatchObject({ status: 'RolledBack', autoRollback: { status: 'Succeeded', commit: good.body.revision.commit } });
    const status = await app.json<{ environments: { deployed: { commit: string }; instances: { healthy: boolean; commit: string }[] }[] }>(['status', '--env', 'stage']);
    expect(status.body.environments[0]!.deployed.commit).toBe(good.body.revision.commit);
    expect(status.body.environments[0]!.instances.every((i) => i.healthy && i.commit === good.body.revision.commit)).toBe(true);
  });

  it('fails a hook that passes its timeout, naming the instance, event and timeout', async () => {
    const app = await fixture();
    await addHook(app, 'BeforeInstall', 'hang.sh', 'echo "waiting for a lock that never comes"; sleep 60', 1);
    await app.commit('Add a hanging hook');
    const result = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(result.exitCode).toBe(1);
    // No earlier good deployment: nothing to roll back to.
    expect(result.body.status).toBe('Failed');
    expect(result.body.error).toMatchObject({ instanceId: 'i-local-1', event: 'BeforeInstall', exitCode: null });
    expect(result.body.error!.message).toContain('timed out after 1s');
    expect(result.body.error!.logTail).toContain('waiting for a lock that never comes');
    // The hung script was killed, not left behind.
    const { stdout } = await execa('sh', ['-c', 'ps -eo args | grep "[h]ang.sh" || true']);
    expect(stdout.trim()).toBe('');
  });

  it('reports a build failure with the phase, command, exit code and log tail', async () => {
    const app = await fixture();
    const spec = (await app.read('buildspec.yml')).replace('      - mkdir -p dist/service\n', '      - mkdir -p dist/service\n      - echo "compiling" && exit 7\n');
    await app.write('buildspec.yml', spec);
    await app.commit('Break the build');
    const result = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(result.exitCode).toBe(1);
    expect(result.body.status).toBe('Failed');
    expect(result.body.error).toMatchObject({ code: 'BUILD_FAILED', exitCode: 7 });
    expect(result.body.error!.message).toContain('phase build');
    expect(result.body.error!.message).toContain('echo "compiling" && exit 7');
    expect(result.body.error!.logTail).toContain('compiling');
  });
});

describe('concurrency and interruption', () => {
  it('refuses a second deploy to the same environment while one runs, naming the holder', async () => {
    const app = await fixture();
    await addHook(app, 'BeforeInstall', 'slow.sh', 'sleep 3', 30);
    await app.commit('Slow hook');
    const first = app.mod(['deploy', '--env', 'stage', '--json']);
    const lockFile = path.join(app.dir, '.mod', 'envs', 'stage', 'deploy.lock');
    await waitFor(async () => (await readFile(lockFile, 'utf8').catch(() => '')).includes('"pid"'));
    const second = await app.mod(['deploy', '--env', 'stage']);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/another deployment holds the lock: pid \d+, user \S+@\S+, since \d{4}-/);
    expect((await first).exitCode).toBe(0);
    expect(await readFile(lockFile, 'utf8').catch(() => 'released')).toBe('released');
  });

  it('takes over the lock of a deployer that died', async () => {
    const app = await fixture();
    const lockFile = path.join(app.dir, '.mod', 'envs', 'stage', 'deploy.lock');
    await mkdir(path.dirname(lockFile), { recursive: true });
    const dead = await execa('sh', ['-c', 'echo $$']);
    const host = (await execa('hostname')).stdout.trim();
    await writeFile(lockFile, JSON.stringify({ pid: Number(dead.stdout), user: 'bob', host: (await import('node:os')).hostname() || host, since: '2026-01-01T00:00:00Z', command: 'mod deploy' }));
    const result = await app.mod(['deploy', '--env', 'stage']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`took over a stale deployment lock of pid ${dead.stdout.trim()}`);
  });

  it('stops cleanly on Ctrl-C: Stopped, lock released, endpoint still serving, exit 130', async () => {
    const app = await fixture();
    const good = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    await addHook(app, 'BeforeInstall', 'slow.sh', 'echo slow-start; sleep 30', 60);
    await app.write('VERSION', 'v2\n');
    await app.commit('v2 with a slow hook');
    const child = execa(process.execPath, [MOD_BIN, 'deploy', '--env', 'stage', '--json'], { cwd: app.dir, reject: false, env: { CI: 'true' } });
    const hookLog = path.join(app.dir, '.mod', 'envs', 'stage', 'instances', 'i-local-1', 'deployment-root');
    await waitFor(async () => (await execa('sh', ['-c', `cat ${hookLog}/*/logs/BeforeInstall.log 2>/dev/null || true`])).stdout.includes('slow-start'));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const body = JSON.parse(result.stdout) as DeployJson;
    expect(body.status).toBe('Stopped');
    expect(result.stderr).toContain('stopping the deployment cleanly');
    expect(await readFile(path.join(app.dir, '.mod', 'envs', 'stage', 'deploy.lock'), 'utf8').catch(() => 'released')).toBe('released');
    // i-local-2 was never touched and still serves the recorded revision v1.
    const answers = await Promise.all([1, 2, 3, 4].map(() => postModerate(good.body.endpoint)));
    expect(answers.every((a) => a.status === 200 && a.body.modelVersion === 'v1')).toBe(true);
    const history = await app.json<{ deployments: { status: string }[] }>(['history', '--env', 'stage']);
    expect(history.body.deployments.map((d) => d.status)).toEqual(['Stopped', 'Succeeded']);
    // And the environment is consistent enough to deploy again.
    await app.write('appspec.yml', (await app.read('appspec.yml')).replace(/    - location: scripts\/slow.sh\n      timeout: 60\n/, ''));
    await app.commit('Drop the slow hook');
    const again = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(again.body.status).toBe('Succeeded');
    expect((await postModerate(good.body.endpoint)).body.modelVersion).toBe('v2');
  });
});

describe('bad input', () => {
  it('rejects a malformed mod.config.yml with exit 2, naming the file and key', async () => {
    const app = await fixture();
    await app.write('mod.config.yml', (await app.read('mod.config.yml')).replace('instances: 2', 'instances: two'));
    const wrongType = await app.mod(['deploy', '--env', 'stage']);
    expect(wrongType.exitCode).toBe(2);
    expect(wrongType.stderr).toMatch(/mod\.config\.yml:\d+: environments\.stage\.instances: expected number, got "two"/);

    await app.write('mod.config.yml', (await app.read('mod.config.yml')).replace('instances: two', 'instances: 2\n    colour: blue'));
    const unknownKey = await app.mod(['status', '--json']);
    expect(unknownKey.exitCode).toBe(2);
    expect(unknownKey.stderr).toMatch(/mod\.config\.yml:\d+: environments\.stage\.colour: unknown key "colour"/);
    expect(JSON.parse(unknownKey.stdout)).toMatchObject({ error: { code: 'CONFIG_INVALID', exitCode: 2 } });
  });

  it('rejects a malformed buildspec.yml with exit 2, naming the file and key', async () => {
    const app = await fixture();
    await app.write('buildspec.yml', (await app.read('buildspec.yml')).replace('  build:\n    commands:', '  build:\n    comands:'));
    await app.commit('Typo in buildspec');
    const result = await app.mod(['deploy', '--env', 'stage']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/buildspec\.yml \(commit [0-9a-f]{8}\):\d+: phases\.build\.comands: unknown key "comands"/);
  });

  it('rejects a malformed appspec.yml with exit 2 before touching any instance', async () => {
    const app = await fixture();
    await app.write('appspec.yml', (await app.read('appspec.yml')).replace('  ApplicationStart:\n    - location:', '  ApplicationStart:\n    - locaton:'));
    await app.commit('Typo in appspec');
    const result = await app.mod(['deploy', '--env', 'stage']);
    expect(result.exitCode).toBe(2);
    // The agent ignores unknown keys in a script entry, and refuses one without a location (application_specification.rb).
    expect(result.stderr).toMatch(/appspec\.yml \(commit [0-9a-f]{8}\):\d+: hooks\.ApplicationStart\.0: a script with no location value/);
    expect(result.stderr).not.toContain('BeforeInstall');
  });

  it('refuses production without --yes when not interactive, and an unknown environment', async () => {
    const app = await fixture();
    const refused = await app.mod(['deploy', '--env', 'prod']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('Deploy to production: refused without confirmation (not interactive)');
    expect(refused.stderr).toContain('--yes');
    const unknown = await app.mod(['deploy', '--env', 'qa']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown environment "qa"');
    const badFlag = await app.mod(['deploy', '--env', 'stage', '--colour']);
    expect(badFlag.exitCode).toBe(2);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}
