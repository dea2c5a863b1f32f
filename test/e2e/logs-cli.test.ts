// Issue 17.14 through bin/mod.js on the local provider: `mod logs` shows each
// instance's lifecycle-hook logs and the service's own log files, --instance
// narrows it, --json is one document, and --follow prints lines as they are
// appended until Ctrl-C (exit 0).
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN } from '../support/fixture-app.js';

describe('mod logs', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 2 });
    const deployed = await app.mod(['deploy', '--env', 'stage']);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await app?.dispose();
  });

  it('shows the hook logs of each instance, and only one instance with --instance', async () => {
    const all = await app.mod(['logs', '--env', 'stage']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^i-local-1 ApplicationStart \| .*service started as \d+/m);
    expect(all.stdout).toMatch(/^i-local-2 ValidateService \| /m);
    const one = await app.json<{ lines: { source: string; line: string }[] }>(['logs', '--env', 'stage', '--instance', 'i-local-2']);
    expect(one.exitCode).toBe(0);
    expect(one.body.lines.length).toBeGreaterThan(0);
    expect(one.body.lines.every((l) => l.source.startsWith('i-local-2 '))).toBe(true);
    const unknown = await app.mod(['logs', '--env', 'stage', '--instance', 'i-local-9']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('i-local-1, i-local-2');
  });

  it('--follow prints what the service appends to its log, and Ctrl-C ends it with exit 0', async () => {
    const logDir = path.join(app.dir, '.mod', 'envs', 'stage', 'instances', 'i-local-1', 'root', 'var', 'log', 'mod');
    await mkdir(logDir, { recursive: true });
    const follow = execa(process.execPath, [MOD_BIN, 'logs', '--env', 'stage', '--instance', 'i-local-1', '--follow', '--lines', '0'], { cwd: app.dir, env: { CI: 'true' }, reject: false });
    let seen = '';
    follow.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const marker = `appended-${Date.now()}`;
    for (let i = 0; i < 100 && !seen.includes(marker); i++) {
      await appendFile(path.join(logDir, 'service.log'), `${marker}\n`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toContain(`i-local-1 var/log/mod/service.log | ${marker}`);
    follow.kill('SIGINT');
    const result = await follow;
    expect(result.exitCode).toBe(0);
  });
});
