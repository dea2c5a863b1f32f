// Issue 17.16 through bin/mod.js in a real pseudo-terminal: a production
// deploy judges its gates first, then asks, naming the commit, the change and
// the gates' verdicts; answering no ships nothing.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN } from '../support/fixture-app.js';

const ALWAYS_OPEN = '    gates:\n      window: { timezone: UTC, days: [Mon, Tue, Wed, Thu, Fri, Sat, Sun], from: "00:00", to: "23:59" }\n';

describe('production confirmation', () => {
  let app: FixtureApp;
  let head: string;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
    await app.write('mod.config.yml', (await app.read('mod.config.yml')) + ALWAYS_OPEN);
    await app.commit('Open the deploy window');
    await app.write('VERSION', 'v2\n');
    head = await app.commit('Version two of the fixture service');
    await app.git('branch', 'master', head);
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('issue 17.16: asks after the gates, naming the commit, the change and their verdicts; "n" ships nothing', async () => {
    const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'CI' && k !== 'FORCE_COLOR' && v !== undefined)) as Record<string, string>;
    env.TERM = 'xterm-256color';
    env.NO_COLOR = '1';
    const run = await execa('script', ['-qec', `stty cols 160 rows 40; ${process.execPath} ${MOD_BIN} deploy --env production`, '/dev/null'], { cwd: app.dir, env, extendEnv: false, reject: false, timeout: 60_000, input: 'n\n' });
    const screen = run.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).toContain('gate window: pass');
    expect(screen).toContain(`production: ${head.slice(0, 8)} "Version two of the fixture service" by Alice Author`);
    expect(screen).toMatch(/3 commit\(s\) first deploy/);
    expect(screen).toContain('gates: window pass');
    expect(screen).toContain(`Deploy ${head.slice(0, 8)} to production? [y/N]`);
    // The gate verdict comes before the question.
    expect(screen.indexOf('gate window: pass')).toBeLessThan(screen.indexOf('[y/N]'));
    expect(screen).toContain('cancelled');
    expect(screen).not.toContain('build ');
    const history = await app.json<{ deployments: unknown[] }>(['history', '--env', 'production']);
    expect(history.body.deployments).toEqual([]);
  });
});
