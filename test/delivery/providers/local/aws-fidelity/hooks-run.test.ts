// How one hook script runs, case by case against the CodeDeploy agent
// (aws/aws-codedeploy-agent: lib/instance_agent/plugins/codedeploy/hook_executor.rb,
// lib/instance_agent/platform/linux_util.rb, command_executor.rb), with real
// scripts, processes and users.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hookCommand, RUNNING_HOOK_FILE, runHook, type RunningHook } from '../../../../../src/delivery/providers/local/lifecycle-hook.js';
import { runScript } from '../../../../../src/delivery/providers/local/run-script.js';
import { alive, cleanUp, context, newInstance, tempRoot, waitUntil, writeBundle } from './hooks-fixture.js';

afterEach(cleanUp);

const APPSPEC = 'version: 0.0\nos: linux\n';

async function setUp(scripts: Record<string, string | [string, number]>) {
  const root = await tempRoot();
  const instance = await newInstance(root);
  const archiveDir = await writeBundle(root, 'b1', APPSPEC, scripts);
  const logFile = path.join(instance.dir, 'logs', 'Hook.log');
  return { root, instance, archiveDir, logFile };
}

/** A user other than root whose login shell works (su runs it), read from /etc/passwd. */
function userWithShell(): string {
  const shells = new Set(
    readFileSync('/etc/shells', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('/')),
  );
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, , , , shell] = line.split(':');
    if (name && uid !== '0' && shell && shells.has(shell)) return name;
  }
  throw new Error('this test needs a user other than root with a login shell in /etc/passwd (e.g. postgres)');
}

describe('output pipes (issue 11.4)', () => {
  // hook_executor.rb execute_script: after the script exits, the agent joins the
  // stdout and stderr reader threads with the same ThreadJoiner (the script's
  // timeout); one left open raises "failed to close STDOUT" (OUTPUTS_LEFT_OPEN_CODE).
  it('issue 11.4: a background process holding stdout fails the hook at its timeout, saying why; its group is ended', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'daemon.sh': '#!/bin/sh\necho starting\nsleep 30 &\necho $! > "$MOD_INSTANCE_DIR/bg.pid"\nexit 0\n',
    });
    const failure = await runHook(instance, context(), { event: 'ApplicationStart', archiveDir, hook: { location: 'scripts/daemon.sh' }, timeoutSeconds: 1, logFile });
    expect(failure?.message).toContain('scripts/daemon.sh failed to close STDOUT within its 1s timeout');
    expect(failure?.message).toContain('a background process kept stdout/stderr open: redirect its output, e.g. `> /dev/null 2>&1 &`');
    expect(failure?.exitCode).toBe(0);
    const pid = Number(await readFile(path.join(instance.dir, 'bg.pid'), 'utf8'));
    await waitUntil(() => !alive(pid));
  });

  it('issue 11.4: stdout redirected but stderr inherited: "failed to close STDERR"', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'daemon.sh': '#!/bin/sh\nsleep 30 > /dev/null &\nexit 0\n',
    });
    const failure = await runHook(instance, context(), { event: 'ApplicationStart', archiveDir, hook: { location: 'scripts/daemon.sh' }, timeoutSeconds: 1, logFile });
    expect(failure?.message).toContain('failed to close STDERR');
  });

  it('issue 11.4: a daemon whose output is redirected passes, as on EC2', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'daemon.sh': '#!/bin/sh\nsleep 30 > /dev/null 2>&1 &\necho $! > "$MOD_INSTANCE_DIR/bg.pid"\necho started\n',
    });
    const failure = await runHook(instance, context(), { event: 'ApplicationStart', archiveDir, hook: { location: 'scripts/daemon.sh' }, timeoutSeconds: 20, logFile });
    expect(failure).toBeUndefined();
    const pid = Number(await readFile(path.join(instance.dir, 'bg.pid'), 'utf8'));
    expect(alive(pid)).toBe(true); // the agent leaves a daemon that let go of the pipes running
    process.kill(pid, 'SIGKILL');
  });

  it('runScript without waitForOutput (the buildspec runner) still returns at exit while a descendant holds stdout', async () => {
    const { root } = await setUp({});
    const pidFile = path.join(root, 'bg.pid');
    const result = await runScript({ command: '/bin/sh', args: ['-c', `sleep 30 & echo $! > ${pidFile}; echo done`], cwd: root, env: { PATH: process.env.PATH }, logFile: path.join(root, 'build.log'), timeoutMs: 20_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.outputLeftOpen).toBeUndefined();
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true); // returned while the descendant still held the pipe
    process.kill(pid, 'SIGKILL');
  });

  // hook_executor.rb: on timeout the agent kills the process group (-TERM) and reports "failed to complete in N seconds".
  it('a script running past its timeout fails and its process group is killed', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'slow.sh': '#!/bin/sh\nsleep 30 &\necho $! > "$MOD_INSTANCE_DIR/bg.pid"\nwait\n',
    });
    const failure = await runHook(instance, context(), { event: 'ValidateService', archiveDir, hook: { location: 'scripts/slow.sh' }, timeoutSeconds: 1, logFile });
    expect(failure).toMatchObject({ timedOut: true, exitCode: null });
    expect(failure?.message).toContain('scripts/slow.sh timed out after 1s');
    const pid = Number(await readFile(path.join(instance.dir, 'bg.pid'), 'utf8'));
    await waitUntil(() => !alive(pid));
  });
});

describe('standard input', () => {
  // hook_executor.rb execute_script: Open3.popen3 { stdin.close }: a script reading stdin gets end-of-file at once.
  it('a script reading stdin gets end-of-file instead of waiting', async () => {
    const { instance, archiveDir, logFile } = await setUp({ 'ask.sh': '#!/bin/sh\nif read answer; then echo "got $answer"; exit 1; fi\necho eof\n' });
    const lines: string[] = [];
    expect(await runHook(instance, context(), { event: 'BeforeInstall', archiveDir, hook: { location: 'scripts/ask.sh' }, timeoutSeconds: 10, logFile, onLine: (l) => lines.push(l) })).toBeUndefined();
    expect(lines).toEqual(['eof']);
  });
});

describe('working directory (issue 11.6)', () => {
  // The agent never changes directory (no chdir in lib/): scripts inherit the
  // agent's, `/` under its systemd unit. Locally: the instance's root, which stands for `/`.
  it("issue 11.6: a hook runs in the instance's root, not in the revision's archive, so relative paths fail as on EC2", async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'where.sh': '#!/bin/sh\npwd > "$MOD_INSTANCE_DIR/cwd.txt"\ncat appspec.yml\n',
    });
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/where.sh' }, timeoutSeconds: 10, logFile });
    expect((await readFile(path.join(instance.dir, 'cwd.txt'), 'utf8')).trim()).toBe(instance.root);
    expect(failure?.message).toContain('exited with 1'); // cat: appspec.yml: No such file or directory
  });

  it('a script finds its own files from its path ($0), which works on EC2 and locally', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'lib.sh': ['GREETING=from-lib\n', 0o644],
      'own.sh': '#!/bin/sh\n. "$(dirname "$0")/lib.sh"\necho "$GREETING" > "$MOD_INSTANCE_DIR/out.txt"\n',
    });
    expect(await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/own.sh' }, timeoutSeconds: 10, logFile })).toBeUndefined();
    expect((await readFile(path.join(instance.dir, 'out.txt'), 'utf8')).trim()).toBe('from-lib');
  });
});

describe('script checks (issue 11.9)', () => {
  // hook_executor.rb execute: not executable -> warn "is not executable.  Trying to
  // make it executable.", FileUtils.chmod("+x"), then run it.
  it('issue 11.9: a script that is not executable is made executable and runs; the bundle it links to is left as it was', async () => {
    const { root, instance, logFile } = await setUp({});
    const bundleDir = await writeBundle(root, 'b2', APPSPEC, { 'plain.sh': ['#!/bin/sh\necho ran > "$MOD_INSTANCE_DIR/ran.txt"\n', 0o644] });
    // The archive is hard links to the bundle, as DownloadBundle makes it.
    const { linkTree } = await import('../../../../../src/delivery/providers/local/revision-files.js');
    const archiveDir = path.join(instance.dir, 'deployment-root', 'd-1', 'deployment-archive');
    await linkTree(bundleDir, archiveDir);
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/plain.sh' }, timeoutSeconds: 10, logFile });
    expect(failure).toBeUndefined();
    expect((await readFile(path.join(instance.dir, 'ran.txt'), 'utf8')).trim()).toBe('ran');
    expect(await readFile(logFile, 'utf8')).toContain('Script at specified location: scripts/plain.sh is not executable.  Trying to make it executable.');
    expect((await stat(path.join(archiveDir, 'scripts', 'plain.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(bundleDir, 'scripts', 'plain.sh'))).mode & 0o777).toBe(0o644);
  });

  // hook_executor.rb: File.exist? fails -> "Script does not exist at specified location: <absolute path>".
  it('a script missing from the revision fails the hook naming its absolute path', async () => {
    const { instance, archiveDir, logFile } = await setUp({});
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/missing.sh' }, timeoutSeconds: 10, logFile });
    expect(failure?.message).toContain(`does not exist at ${path.join(archiveDir, 'scripts', 'missing.sh')}`);
  });
});

describe('runas (issue 11.5)', () => {
  // linux_util.rb prepare_script_command: runas -> `su <runas> -c <path>`.
  it('issue 11.5: runas runs the script as that user, through su', async () => {
    const user = userWithShell();
    const { instance, archiveDir, logFile } = await setUp({ 'who.sh': '#!/bin/sh\nid -un\n' });
    const lines: string[] = [];
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/who.sh', runas: user }, timeoutSeconds: 20, logFile, onLine: (l) => lines.push(l) });
    expect(failure).toBeUndefined();
    expect(lines).toContain(user);
  });

  it('issue 11.5: a misspelt runas user fails the script as the agent does ("run as user X failed with exit code 1")', async () => {
    const { instance, archiveDir, logFile } = await setUp({ 'who.sh': '#!/bin/sh\nid -un\n' });
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/who.sh', runas: 'no-such-user-mod' }, timeoutSeconds: 20, logFile });
    expect(failure?.message).toBe('script scripts/who.sh run as user no-such-user-mod exited with 1');
    expect(await readFile(logFile, 'utf8')).toMatch(/no-such-user-mod/);
  });

  // su runs the target's login shell: nobody's is nologin, so the script never runs, on EC2 too.
  it('issue 11.5: runas a user whose shell is nologin (nobody) fails: su runs that shell', async () => {
    const passwd = readFileSync('/etc/passwd', 'utf8');
    expect(passwd).toMatch(/^nobody:[^\n]*nologin$/m);
    const { instance, archiveDir, logFile } = await setUp({ 'who.sh': '#!/bin/sh\ntouch "$MOD_INSTANCE_DIR/ran"\n' });
    const failure = await runHook(instance, context(), { event: 'AfterInstall', archiveDir, hook: { location: 'scripts/who.sh', runas: 'nobody' }, timeoutSeconds: 20, logFile });
    expect(failure?.message).toContain('run as user nobody exited with 1');
    await expect(stat(path.join(instance.dir, 'ran'))).rejects.toThrow();
  });

  it('issue 11.5: the commands the agent builds, and a clear refusal where switching user is impossible (not root, no sudo)', () => {
    const dir = '/x/deployment-archive';
    const rootWithSu = { uid: 0, su: '/usr/bin/su' };
    expect(hookCommand(dir, { location: 'scripts/a.sh' }, rootWithSu)).toEqual({ command: '/x/deployment-archive/scripts/a.sh', args: [] });
    expect(hookCommand(dir, { location: 'scripts/a.sh', runas: 'app' }, rootWithSu)).toEqual({ command: '/usr/bin/su', args: ['app', '-c', "'/x/deployment-archive'/scripts/a.sh"] });
    expect(hookCommand(dir, { location: 'scripts/a.sh', runas: 'app', sudo: true }, { ...rootWithSu, sudo: '/usr/bin/sudo' })).toEqual({ command: '/usr/bin/sudo', args: ['/usr/bin/su', 'app', '-c', "'/x/deployment-archive'/scripts/a.sh"] });
    // Root without sudo installed: sudo would change nothing, so it is left out.
    expect(hookCommand(dir, { location: 'scripts/a.sh', sudo: true }, rootWithSu)).toEqual({ command: '/x/deployment-archive/scripts/a.sh', args: [] });
    // Ruby's popen3 hands a command with blanks or metacharacters to /bin/sh.
    expect(hookCommand(dir, { location: 'scripts/a.sh arg' }, rootWithSu)).toEqual({ command: '/bin/sh', args: ['-c', "'/x/deployment-archive'/scripts/a.sh arg"] });
    expect(hookCommand(dir, { location: 'scripts/a.sh', runas: 'app' }, { uid: 1000, su: '/usr/bin/su' })).toEqual({ refused: expect.stringContaining('runas: app needs the agent to run as root') });
    expect(hookCommand(dir, { location: 'scripts/a.sh', sudo: true }, { uid: 1000, su: '/usr/bin/su' })).toEqual({ refused: expect.stringContaining('sudo: true needs sudo, which is not installed here') });
    expect(hookCommand(dir, { location: 'scripts/a.sh', runas: 'app', sudo: true }, { uid: 1000, su: '/usr/bin/su', sudo: '/usr/bin/sudo' })).toEqual({ command: '/usr/bin/sudo', args: ['/usr/bin/su', 'app', '-c', "'/x/deployment-archive'/scripts/a.sh"] });
  });
});

describe('environment (issue 11.10)', () => {
  // hook_executor.rb @child_envs + command_executor.rb get_s3_envs, over the
  // agent's own environment (a systemd service's: PATH, LANG; no HOME, no credentials).
  it("issue 11.10: a hook sees the agent's variables and BUNDLE_* for the revision, and not mod's own environment", async () => {
    const { instance, archiveDir, logFile } = await setUp({ 'env.sh': '#!/bin/sh\nenv > "$MOD_INSTANCE_DIR/env.txt"\n' });
    const deployment = context({ deploymentId: 'd-7', env: { GREETING: 'hi' }, bundle: { bucket: '/state/bundles', key: 'tree-abc' } });
    expect(await runHook(instance, deployment, { event: 'BeforeInstall', archiveDir, hook: { location: 'scripts/env.sh' }, timeoutSeconds: 10, logFile })).toBeUndefined();
    const env = Object.fromEntries(
      (await readFile(path.join(instance.dir, 'env.txt'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    // The shell adds PWD, SHLVL and _ itself.
    const names = Object.keys(env)
      .filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name))
      .sort();
    expect(names).toEqual(['APPLICATION_NAME', 'BUNDLE_BUCKET', 'BUNDLE_KEY', 'DEPLOYMENT_GROUP_ID', 'DEPLOYMENT_GROUP_NAME', 'DEPLOYMENT_ID', 'GREETING', 'LANG', 'LIFECYCLE_EVENT', 'MOD_INSTANCE_DIR', 'MOD_INSTANCE_ID', 'MOD_INSTANCE_ROOT', 'PATH', 'PORT']);
    expect(env).toMatchObject({ LIFECYCLE_EVENT: 'BeforeInstall', DEPLOYMENT_ID: 'd-7', APPLICATION_NAME: 'mod', DEPLOYMENT_GROUP_NAME: 'mod-stage', BUNDLE_BUCKET: '/state/bundles', BUNDLE_KEY: 'tree-abc' });
  });
});

describe('running-hook.json (contract for issue 17.2)', () => {
  it("records the running hook's process group while it runs and removes the record afterwards", async () => {
    const { instance, archiveDir, logFile } = await setUp({ 'wait.sh': '#!/bin/sh\nwhile [ ! -f "$MOD_INSTANCE_DIR/go" ]; do sleep 0.05; done\n' });
    const running = runHook(instance, context({ deploymentId: 'd-9' }), { event: 'ValidateService', archiveDir, hook: { location: 'scripts/wait.sh' }, timeoutSeconds: 20, logFile });
    const file = path.join(instance.dir, RUNNING_HOOK_FILE);
    await waitUntil(async () => (await readFile(file, 'utf8').catch(() => '')) !== '');
    const record = JSON.parse(await readFile(file, 'utf8')) as RunningHook;
    expect(record).toMatchObject({ deploymentId: 'd-9', event: 'ValidateService', location: 'scripts/wait.sh' });
    expect(new Date(record.startedAt).toString()).not.toBe('Invalid Date');
    // The pid is the leader of its own process group.
    const procStat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    expect(Number(procStat.slice(procStat.lastIndexOf(')') + 2).split(' ')[2])).toBe(record.pid);
    await writeFile(path.join(instance.dir, 'go'), '');
    expect(await running).toBeUndefined();
    await expect(readFile(file, 'utf8')).rejects.toThrow();
  });

  it('leaves a record that another hook wrote in the meantime', async () => {
    const { instance, archiveDir, logFile } = await setUp({
      'over.sh': '#!/bin/sh\nf="$MOD_INSTANCE_DIR/running-hook.json"\nwhile [ ! -s "$f" ]; do sleep 0.02; done\necho \'{"pid": 1, "deploymentId": "other"}\' > "$f"\n',
    });
    await mkdir(instance.dir, { recursive: true });
    expect(await runHook(instance, context(), { event: 'ValidateService', archiveDir, hook: { location: 'scripts/over.sh' }, timeoutSeconds: 20, logFile })).toBeUndefined();
    expect(JSON.parse(await readFile(path.join(instance.dir, RUNNING_HOOK_FILE), 'utf8'))).toEqual({ pid: 1, deploymentId: 'other' });
  });
});
