// Issue 17.15 and the doctor colours of 17.17, through bin/mod.js: deploy
// refuses a revision whose hook script is missing before it builds anything,
// `mod doctor` names the same problem, and colours its verdicts only on a
// terminal (a real pseudo-terminal from script(1)).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN } from '../support/fixture-app.js';

describe('validate before building', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('doctor colours ok/warn/FAIL on a terminal and not in a pipe', async () => {
    const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'CI' && k !== 'FORCE_COLOR' && k !== 'NO_COLOR' && v !== undefined)) as Record<string, string>;
    env.TERM = 'xterm-256color';
    const tty = await execa('script', ['-qec', `stty cols 160 rows 40; ${process.execPath} ${MOD_BIN} doctor --env stage`, '/dev/null'], { cwd: app.dir, env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
    expect(tty.stdout).toMatch(/\x1b\[32mok/);
    expect(tty.stdout).toContain('hook scripts');
    const plain = await app.mod(['doctor', '--env', 'stage']);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).not.toMatch(/\x1b\[/);
    expect(plain.stdout).toMatch(/^ok +hook scripts/m);
  });

  it('issue 17.15: a hook script missing from the commit fails the deploy before the build, and doctor says the same', async () => {
    await app.write('appspec.yml', (await app.read('appspec.yml')).replace('scripts/application_start.sh', 'scripts/aplication_start.sh'));
    await app.commit('Typo in a hook location');
    const deploy = await app.mod(['deploy', '--env', 'stage']);
    expect(deploy.exitCode).toBe(2);
    expect(deploy.stderr).toContain('ApplicationStart: scripts/aplication_start.sh');
    expect(deploy.stderr).not.toMatch(/^build /m);
    const doctor = await app.mod(['doctor', '--env', 'stage']);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toMatch(/^FAIL {2}hook scripts .*aplication_start\.sh/m);
    const history = await app.json<{ deployments: unknown[] }>(['history', '--env', 'stage']);
    expect(history.body.deployments).toEqual([]);
  });

  it('issue 11.9: a revision whose AppSpec file is appspec.yaml deploys, as the agent accepts it', async () => {
    await app.write('appspec.yml', (await app.read('appspec.yml')).replace('scripts/aplication_start.sh', 'scripts/application_start.sh'));
    await app.git('mv', 'appspec.yml', 'appspec.yaml');
    await app.write('buildspec.yml', (await app.read('buildspec.yml')).replace('- appspec.yml', '- appspec.yaml'));
    await app.commit('AppSpec as appspec.yaml');
    const deploy = await app.mod(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.stdout).toContain('Succeeded');
  });
});
