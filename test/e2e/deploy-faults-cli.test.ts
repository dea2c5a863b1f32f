// Issue 17's deploy faults as users ran into them, through the built CLI:
// a deployer killed mid-hook (its record closed, its hook killed by the next
// lock holder), --timeout on the local provider (the deployment stopped,
// exit 4), mod stop during a deploy (and twice), and a fast rollback whose
// revert cannot be made (checked before redeploying; pending, refused, then
// finished with --finish-revert).
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureApp, MOD_BIN, postModerate } from '../support/fixture-app.js';

interface DeployJson {
  status: string;
  deploymentId: string;
  revision: { commit: string };
  endpoint: string;
  error: { code: string; message: string; hint?: string } | null;
  revertCommit?: string | null;
  revertError?: { code: string; message: string; hint?: string } | null;
  revertPending?: boolean;
}

interface HistoryJson {
  deployments: { deploymentId: string; status: string; stopReason?: string | null; pendingRevert?: { commits: string[] } | null; error: { code: string; message: string } | null }[];
}

const fixtures: FixtureApp[] = [];
async function fixture(instances = 1): Promise<FixtureApp> {
  const app = await FixtureApp.create({ instances });
  fixtures.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.dispose()));
});

async function addHook(app: FixtureApp, event: string, name: string, body: string, timeout: number): Promise<void> {
  await app.write(`scripts/${name}`, `#!/usr/bin/env bash\n${body}\n`);
  await execa('chmod', ['+x', path.join(app.dir, 'scripts', name)]);
  const appspec = await app.read('appspec.yml');
  const marker = `  ${event}:\n`;
  const entry = `    - location: scripts/${name}\n      timeout: ${timeout}\n`;
  await app.write('appspec.yml', appspec.includes(marker) ? appspec.replace(marker, marker + entry) : `${appspec}  ${event}:\n${entry}`);
}

async function dropHook(app: FixtureApp, name: string, timeout: number): Promise<void> {
  await app.write('appspec.yml', (await app.read('appspec.yml')).replace(`    - location: scripts/${name}\n      timeout: ${timeout}\n`, ''));
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Processes whose command line contains `text`. */
async function processesRunning(text: string): Promise<string> {
  const { stdout } = await execa('ps', ['-eo', 'pid,pgid,args']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'))
    .join('\n');
}

function runningHookFile(app: FixtureApp, instance = 'i-local-1'): string {
  return path.join(app.dir, '.mod', 'envs', 'stage', 'instances', instance, 'running-hook.json');
}

function lockFile(app: FixtureApp): string {
  return path.join(app.dir, '.mod', 'envs', 'stage', 'deploy.lock');
}

describe('issue 17.2: a deploy whose CLI was killed', () => {
  it('is closed Stopped with why, and its orphaned hook killed, when the next deploy takes the lock over', async () => {
    const app = await fixture();
    await addHook(app, 'BeforeInstall', 'slow.sh', 'echo slow-start; sleep 37', 120);
    await app.commit('Slow hook');
    const child = execa(process.execPath, [MOD_BIN, 'deploy', '--env', 'stage', '--json'], { cwd: app.dir, reject: false, env: { CI: 'true' } });
    await waitFor(async () => (await readFile(runningHookFile(app), 'utf8').catch(() => '')).includes('"pid"'), 'the hook to start');
    const hook = JSON.parse(await readFile(runningHookFile(app), 'utf8')) as { pid: number; deploymentId: string };
    child.kill('SIGKILL');
    await child;
    // The bug as reported: the record stays InProgress and the hook goes on.
    const before = await app.json<HistoryJson>(['history', '--env', 'stage']);
    expect(before.body.deployments[0]).toMatchObject({ deploymentId: hook.deploymentId, status: 'InProgress' });
    expect(await processesRunning('sleep 37')).not.toBe('');

    await dropHook(app, 'slow.sh', 120);
    await app.commit('Drop the slow hook');
    const again = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.body.status).toBe('Succeeded');
    expect(again.stderr).toContain(`took over a stale deployment lock of pid ${child.pid}`);
    expect(again.stderr).toContain(`closed abandoned deployment ${hook.deploymentId}`);

    const after = await app.json<HistoryJson>(['history', '--env', 'stage']);
    const abandoned = after.body.deployments.find((d) => d.deploymentId === hook.deploymentId)!;
    expect(abandoned.status).toBe('Stopped');
    expect(abandoned.error).toMatchObject({ code: 'DEPLOYMENT_ABANDONED' });
    expect(abandoned.error!.message).toContain(`the deploying process (pid ${child.pid}) died; lock taken over by pid `);
    expect(abandoned.error!.message).toContain(`killed its running hook BeforeInstall scripts/slow.sh on i-local-1 (process group ${hook.pid})`);
    expect(await processesRunning('sleep 37')).toBe('');
    const status = await app.json<{ environments: { inFlight: unknown }[] }>(['status', '--env', 'stage']);
    expect(status.body.environments[0]!.inFlight).toBeNull();
  });
});

describe('issue 17.5: --timeout and mod stop on the local provider', () => {
  it('stops a deployment that runs past --timeout: hook killed, Stopped with TIMEOUT, exit 4, lock released', async () => {
    const app = await fixture();
    const good = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(good.body.status, JSON.stringify(good.body) + good.stderr).toBe('Succeeded');
    await addHook(app, 'BeforeInstall', 'hang.sh', 'echo hanging; sleep 41', 120);
    await app.write('VERSION', 'v2\n');
    await app.commit('v2 with a hanging hook');

    const result = await app.json<DeployJson>(['--verbose', 'deploy', '--env', 'stage', '--timeout', '4']);
    expect(result.exitCode, result.stderr).toBe(4);
    // The hook's own output reaches the terminal with --verbose (hook.output events).
    expect(result.stderr).toContain('| i-local-1 BeforeInstall: hanging');
    expect(result.body.status).toBe('Stopped');
    expect(result.body.error).toMatchObject({ code: 'TIMEOUT' });
    expect(result.body.error!.message).toContain('ran past --timeout 4s');
    expect(result.body.error!.message).toContain('i-local-1 ran BeforeInstall');
    expect(await processesRunning('sleep 41')).toBe('');
    expect(await readFile(lockFile(app), 'utf8').catch(() => 'released')).toBe('released');
    // The instance was blocked for the new revision; it keeps its recorded one in the history.
    const history = await app.json<HistoryJson>(['history', '--env', 'stage']);
    expect(history.body.deployments.map((d) => d.status)).toEqual(['Stopped', 'Succeeded']);
  });

  it('mod stop stops a running deploy (recorded Stopped, saying who), then the environment; a second mod stop says nothing was running', async () => {
    const app = await fixture();
    const good = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(good.body.status, JSON.stringify(good.body) + good.stderr).toBe('Succeeded');
    await addHook(app, 'BeforeInstall', 'slow.sh', 'echo slow-start; sleep 43', 120);
    await app.write('VERSION', 'v2\n');
    await app.commit('v2 with a slow hook');
    const deploying = execa(process.execPath, [MOD_BIN, 'deploy', '--env', 'stage', '--json'], { cwd: app.dir, reject: false, env: { CI: 'true' } });
    await waitFor(async () => (await readFile(runningHookFile(app), 'utf8').catch(() => '')).includes('"pid"'), 'the hook to start');

    const stopped = await app.mod(['stop', '--env', 'stage']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`stage: stopped mod deploy --env stage (pid ${deploying.pid})`);
    expect(stopped.stdout).toContain('endpoint http://');

    const result = await deploying;
    expect(result.exitCode).toBe(130);
    const body = JSON.parse(result.stdout) as DeployJson;
    expect(body.status).toBe('Stopped');
    expect(body.error).toMatchObject({ code: 'DEPLOYMENT_STOPPED' });
    expect(body.error!.message).toContain('stopped by mod stop --env stage');
    expect(body.error!.message).toContain('i-local-1 ran BeforeInstall');
    expect(await processesRunning('sleep 43')).toBe('');
    await expect(postModerate(good.body.endpoint)).rejects.toThrow();

    const twice = await app.mod(['stop', '--env', 'stage']);
    expect(twice.exitCode, twice.stderr).toBe(0);
    expect(twice.stdout.trim()).toBe('stage: nothing was running');
    const history = await app.json<HistoryJson>(['history', '--env', 'stage']);
    expect(history.body.deployments.map((d) => d.status)).toEqual(['Stopped', 'Succeeded']);
  });
});

describe('issue 17.4: rollback --fast and the revert it owes the branch', () => {
  it('refuses before redeploying when the revert cannot be made, and records, refuses and finishes a revert that fails after the redeploy', async () => {
    const app = await fixture();
    // v1's AfterInstall dirties the checkout when the flag file exists: the revert then fails after the redeploy.
    const flag = path.join(app.dir, '.mod', 'dirty-on-deploy');
    await addHook(app, 'AfterInstall', 'dirty.sh', `if [ -f '${flag}' ]; then echo edited-meanwhile >> '${path.join(app.dir, 'VERSION')}'; fi`, 30);
    await app.commit('v1 with a hook the test uses');
    const v1 = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(v1.body.status).toBe('Succeeded');
    await app.write('VERSION', 'v2\n');
    const badCommit = await app.commit('v2: the bad change');
    const v2 = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(v2.body.status).toBe('Succeeded');

    // Uncommitted changes on the checked-out branch: refused before anything is redeployed.
    await writeFile(path.join(app.dir, 'VERSION'), 'v2 local edit\n');
    const blocked = await app.json<{ error: { code: string; message: string; hint: string } }>(['rollback', '--env', 'stage', '--fast']);
    expect(blocked.exitCode).toBe(1);
    expect(blocked.body.error).toMatchObject({ code: 'REVERT_BLOCKED' });
    expect(blocked.body.error.message).toContain('uncommitted changes');
    expect((await app.json<HistoryJson>(['history', '--env', 'stage'])).body.deployments).toHaveLength(2);
    expect((await postModerate(v2.body.endpoint)).body.modelVersion).toBe('v2');
    await app.git('checkout', '--', 'VERSION');

    // The checkout turns dirty during the redeploy: redeployed, revert pending.
    await writeFile(flag, '');
    const fast = await app.json<DeployJson>(['rollback', '--env', 'stage', '--fast']);
    expect(fast.exitCode).toBe(1);
    expect(fast.body).toMatchObject({ status: 'Succeeded', revertCommit: null, revertPending: true });
    expect(fast.body.revertError!.hint).toContain('mod rollback --env stage --finish-revert');
    expect((await postModerate(v2.body.endpoint)).body.modelVersion).toBe('v1');
    expect((await app.git('rev-parse', 'stage')).trim()).toBe(badCommit);
    await rm(flag);

    // What made it worse before: rolling back again, or deploying the branch (the bad commit), is refused.
    const rollbackAgain = await app.json<{ error: { code: string; hint: string } }>(['rollback', '--env', 'stage']);
    expect(rollbackAgain.body.error).toMatchObject({ code: 'REVERT_PENDING' });
    expect(rollbackAgain.body.error.hint).toContain('--finish-revert');
    const deployAgain = await app.json<{ error: { code: string } }>(['deploy', '--env', 'stage']);
    expect(deployAgain.exitCode).toBe(1);
    expect(deployAgain.body.error).toMatchObject({ code: 'REVERT_PENDING' });
    const pending = await app.json<HistoryJson>(['history', '--env', 'stage']);
    expect(pending.body.deployments[0]).toMatchObject({ deploymentId: fast.body.deploymentId, pendingRevert: { commits: [badCommit] } });
    const statusPending = await app.json<{ environments: { warnings: string[] }[] }>(['status', '--env', 'stage']);
    expect(statusPending.body.environments[0]!.warnings.join('\n')).toContain('revert pending on stage');

    await app.git('checkout', '--', 'VERSION');
    const finished = await app.json<{ pending: boolean; revertCommit: string | null; pushed: boolean }>(['rollback', '--env', 'stage', '--finish-revert']);
    expect(finished.exitCode, finished.stderr).toBe(0);
    expect(finished.body.pending).toBe(true);
    const stageHead = (await app.git('rev-parse', 'stage')).trim();
    expect(finished.body.revertCommit).toBe(stageHead);
    expect((await app.git('show', `${stageHead}:VERSION`)).trim()).toBe('v1');
    const statusAfter = await app.json<{ environments: { warnings: string[] }[] }>(['status', '--env', 'stage']);
    expect(statusAfter.body.environments[0]!.warnings.join('\n')).not.toContain('revert pending');
    const none = await app.mod(['rollback', '--env', 'stage', '--finish-revert']);
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain('no revert is pending');

    // The next deploy ships the reverted branch, not the bad commit.
    const next = await app.json<DeployJson>(['deploy', '--env', 'stage']);
    expect(next.body).toMatchObject({ status: 'Succeeded', revision: { commit: stageHead } });
    expect((await postModerate(v2.body.endpoint)).body.modelVersion).toBe('v1');
  });
});
