// In a terminal (a real pseudo-terminal from `script`), mod shows colour and
// a spinner; with CI=true or a pipe it prints plain lines (the other e2e tests).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN } from '../support/fixture-app.js';

describe('terminal output', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('uses colour, check marks and a spinner on a TTY', async () => {
    // Not CI: .ci/run exports CI=true, so build the child's environment without it.
    const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k !== 'CI' && k !== 'FORCE_COLOR' && k !== 'NO_COLOR' && v !== undefined)) as Record<string, string>;
    env.TERM = 'xterm-256color';
    // script(1) gives a pty with no size; stty sizes it as a terminal window would be.
    const run = await execa('script', ['-qec', `stty cols 120 rows 40; ${process.execPath} ${MOD_BIN} deploy --env stage`, '/dev/null'], { cwd: app.dir, env, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/\x1b\[3[0-9]m/); // chalk colours
    expect(run.stdout).toContain('✔');
    expect(run.stdout).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // ora's spinner frames
    expect(run.stdout).toContain('Succeeded');
    // Issue 17.14: the build's log file is printed (which command a spinner frame catches depends on timing,
    // so the running command's text is proven in test/cli/progress-events.test.ts instead).
    expect(run.stdout).toMatch(/running buildspec\.yml \(log: \S+build\.log\)/);
  });
});
