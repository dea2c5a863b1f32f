// rollback() = revert & redeploy, on a real temporary git repository with a
// bare remote: the revert commit it makes on the environment's branch, what
// it pushes, what it asks the provider to deploy (a rebuild of the revert, or
// with --fast the earlier bundle first), and how each refusal leaves the
// branch untouched. The provider, notifier and output are fakes.
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/delivery/deploy-lock.js';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import { history } from '../../src/delivery/history.js';
import { finishRevert, readPendingRevert, rollback, type RollbackOptions } from '../../src/delivery/rollback.js';
import { ExitCode } from '../../src/errors.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', aliases: ['staging'], instances: 2 },
    production: { branch: 'master', instances: 1, gates: {} },
  },
};

let repo: TempRepository;
let remote: string;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;
let c1: string;
let c2: string;
let d1: DeploymentRecord;
let d2: DeploymentRecord;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  c1 = await repo.commit('Version one', { 'app.txt': 'v1\n' });
  c2 = await repo.commit('Version two', { 'app.txt': 'v2\n', 'feature.txt': 'new\n' });
  remote = await repo.addBareRemote('origin');
  await repo.sh('push', '-q', '-u', 'origin', 'stage');
  provider = new FakeProvider();
  d1 = provider.seed('stage', { commit: c1 });
  d2 = provider.seed('stage', { commit: c2 });
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  events = new FakeDeliveryEvents();
});
afterEach(() => repo.dispose());

function run(options: Partial<RollbackOptions> = {}) {
  return rollback(ws, { environment: 'stage', signal: new AbortController().signal, events: events.emit, ...options });
}

async function tree(ref: string): Promise<string> {
  return repo.sh('rev-parse', `${ref}^{tree}`);
}

describe('rollback (revert & redeploy)', () => {
  it('reverts the deployed change on the branch as one commit, pushes it and deploys it', async () => {
    provider.tellStatus('stage', { endpoint: 'http://127.0.0.1:4200' });
    const outcome = await run({ environment: 'staging', timeoutMs: 60_000 });

    const stageHead = await repo.head('refs/heads/stage');
    expect(outcome.revertCommit).toBe(stageHead);
    expect(await tree(stageHead)).toBe(await tree(c1));
    expect((await repo.git.commitInfo(stageHead)).parents).toEqual([c2]);
    expect(outcome.pushed).toBe(true);
    expect(await repo.remoteBranch(remote, 'stage')).toBe(stageHead);

    expect(provider.deployRequests).toHaveLength(1);
    const request = provider.deployRequests[0]!;
    expect(request).toMatchObject({ commit: { commit: stageHead }, rollbackOf: d2.deploymentId, initiator: 'carol', timeoutMs: 60_000 });
    expect(request.reuseRevisionOf).toBeUndefined();
    expect(outcome.record).toMatchObject({ status: 'Succeeded', rollbackOf: d2.deploymentId, revertCommit: stageHead });
    expect(outcome.endpoint).toBe('http://127.0.0.1:4200');
    // The audit trail gets the revert commit too, not only the returned record.
    expect(provider.callsOf('updateDeployment')).toEqual([{ method: 'updateDeployment', environment: 'stage', detail: { deploymentId: outcome.record.deploymentId, patch: { revertCommit: stageHead } } }]);
    expect(provider.history('stage')[0]).toMatchObject({ deploymentId: outcome.record.deploymentId, revertCommit: stageHead });

    expect(events.ofType('git')).toHaveLength(2);
    expect(ws.fakeNotifier.kinds()).toEqual(['rollback']);
    expect(ws.fakeNotifier.sent[0]).toMatchObject({ environment: 'stage', commit: stageHead, status: 'Succeeded', deploymentId: outcome.record.deploymentId, initiator: 'carol' });
  });

  it('does not push with push: false, nor when the branch has no upstream', async () => {
    const notPushed = await run({ push: false });
    expect(notPushed.pushed).toBe(false);
    expect(await repo.remoteBranch(remote, 'stage')).toBe(c2);
    expect(events.ofType('git')).toHaveLength(1);

    await repo.sh('branch', '--unset-upstream', 'stage');
    provider.seed('stage', { commit: c2, deploymentId: 'd-again' });
    const noUpstream = await run();
    expect(noUpstream.pushed).toBe(false);
    expect(noUpstream.revertCommit).toBe(await repo.head('refs/heads/stage'));
    expect(await repo.remoteBranch(remote, 'stage')).toBe(c2);
    expect(events.notices('info')).toHaveLength(1);
  });

  it('reverts a deployed merge commit against its first parent', async () => {
    await repo.sh('checkout', '-q', '-b', 'feature');
    await repo.commit('Feature work', { 'app.txt': 'v3\n' });
    await repo.commit('More feature work', { 'extra.txt': 'x\n' });
    await repo.sh('checkout', '-q', 'stage');
    await repo.sh('merge', '-q', '--no-ff', 'feature', '-m', 'Merge feature');
    const merge = await repo.head();
    const deployed = provider.seed('stage', { commit: merge });

    const outcome = await run({ push: false });
    expect(await tree(outcome.revertCommit!)).toBe(await tree(c2));
    expect(outcome.record.rollbackOf).toBe(deployed.deploymentId);
  });

  it('makes the revert in a temporary worktree when another branch is checked out, leaving that checkout alone', async () => {
    await repo.sh('checkout', '-q', '-b', 'work', c1);
    await writeFile(path.join(repo.dir, 'scratch.txt'), 'uncommitted\n');
    const outcome = await run({ push: false });

    expect(await repo.head('refs/heads/stage')).toBe(outcome.revertCommit);
    expect(await tree(outcome.revertCommit!)).toBe(await tree(c1));
    expect(await repo.sh('symbolic-ref', '--short', 'HEAD')).toBe('work');
    expect(await readFile(path.join(repo.dir, 'scratch.txt'), 'utf8')).toBe('uncommitted\n');
    expect(await repo.sh('worktree', 'list', '--porcelain')).not.toContain('mod-worktree-');
  });

  it('goes back to --to, a deployment id or a commit, reverting every commit since', async () => {
    const c3 = await repo.commit('Version three', { 'app.txt': 'v3\n' });
    const d3 = provider.seed('stage', { commit: c3 });

    const byId = await run({ to: d1.deploymentId, push: false });
    expect(await tree(byId.revertCommit!)).toBe(await tree(c1));
    expect(byId.record.rollbackOf).toBe(d3.deploymentId);

    const c4 = await repo.commit('Version four', { 'app.txt': 'v4\n' });
    provider.seed('stage', { commit: c4 });
    const byCommit = await run({ to: c3.slice(0, 10), push: false });
    expect(await tree(byCommit.revertCommit!)).toBe(await tree(c3));
  });

  it('warns that the revert goes on top when the branch moved on after the deployment', async () => {
    const later = await repo.commit('Not deployed yet', { 'notes.txt': 'later\n' });
    const outcome = await run({ push: false });
    expect((await repo.git.commitInfo(outcome.revertCommit!)).parents).toEqual([later]);
    expect(await repo.sh('show', `${outcome.revertCommit}:notes.txt`)).toBe('later');
    expect(await repo.sh('show', `${outcome.revertCommit}:app.txt`)).toBe('v1');
    expect(events.notices('warn')).toHaveLength(1);
  });

  it('refuses, changing nothing, when a later commit conflicts with the revert', async () => {
    await repo.commit('Edits the same line', { 'app.txt': 'v2 patched\n' });
    const before = await repo.head('refs/heads/stage');
    await expect(run()).rejects.toMatchObject({ code: 'REVERT_BLOCKED', exitCode: ExitCode.Failed });
    expect(await repo.head('refs/heads/stage')).toBe(before);
    expect(await repo.sh('status', '--porcelain')).toBe('');
    expect(provider.deployRequests).toHaveLength(0);
    expect(ws.fakeNotifier.sent).toEqual([]);
  });

  it('deploys the failed result of a revert as it is, with the revert commit recorded', async () => {
    provider.script({ result: 'fail', instanceId: 'stage-i1', event: 'ValidateService' });
    const outcome = await run({ push: false });
    // Auto-rollback returns to the newest good revision (c2): the revert itself is what failed.
    expect(outcome.record.status).toBe('RolledBack');
    expect(outcome.record.error).toMatchObject({ instanceId: 'stage-i1', event: 'ValidateService' });
    expect(outcome.revertCommit).toBe(await repo.head('refs/heads/stage'));
    expect(ws.fakeNotifier.sent[0]).toMatchObject({ kind: 'rollback', status: 'RolledBack' });
  });
});

describe('rollback refusals', () => {
  it('refuses when nothing, or only one revision, was deployed successfully', async () => {
    const empty = new FakeProvider();
    const emptyWs = await FakeWorkspace.create(repo, { config: CONFIG, provider: empty });
    await expect(rollback(emptyWs, { environment: 'stage', signal: new AbortController().signal, events: events.emit })).rejects.toMatchObject({ code: 'USAGE' });

    const once = new FakeProvider();
    once.seed('stage', { commit: c1, status: 'Failed' });
    once.seed('stage', { commit: c2 });
    const onceWs = await FakeWorkspace.create(repo, { config: CONFIG, provider: once });
    await expect(rollback(onceWs, { environment: 'stage', signal: new AbortController().signal, events: events.emit })).rejects.toMatchObject({ code: 'USAGE' });
    expect(once.deployRequests).toHaveLength(0);
    expect(await repo.head('refs/heads/stage')).toBe(c2);
  });

  it('refuses a --to that is unknown, already running, or not an ancestor of what runs', async () => {
    await expect(run({ to: 'nowhere' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run({ to: d2.deploymentId })).rejects.toMatchObject({ code: 'USAGE' });
    await repo.sh('checkout', '-q', '-b', 'elsewhere', c1);
    const sideways = await repo.commit('Side branch', { 'side.txt': 's\n' });
    await expect(run({ to: sideways })).rejects.toMatchObject({ code: 'USAGE' });
    expect(provider.deployRequests).toHaveLength(0);
    expect(await repo.head('refs/heads/stage')).toBe(c2);
  });

  it('refuses while the environment lock is held', async () => {
    const held = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    try {
      await expect(run()).rejects.toMatchObject({ code: 'LOCK_HELD' });
    } finally {
      await held.release();
    }
    expect(await repo.head('refs/heads/stage')).toBe(c2);
    expect(provider.deployRequests).toHaveLength(0);
  });

  it("refuses to revert when the environment's branch does not exist", async () => {
    provider.seed('production', { commit: c1 });
    provider.seed('production', { commit: c2 });
    await expect(run({ environment: 'production' })).rejects.toMatchObject({ code: 'USAGE' });
    expect(provider.deployRequests).toHaveLength(0);
  });
});

describe('rollback --fast', () => {
  it("redeploys the previous deployment's bundle first, then makes and pushes the revert commit", async () => {
    const outcome = await run({ fast: true });

    expect(provider.deployRequests).toHaveLength(1);
    const request = provider.deployRequests[0]!;
    // The redeploy is of the target itself (its bundle), not of the revert commit made after.
    expect(request.commit.commit).toBe(c1);
    expect(request.reuseRevisionOf).toMatchObject({ deploymentId: d1.deploymentId, revision: { bundle: d1.revision.bundle } });
    expect(request.rollbackOf).toBe(d2.deploymentId);
    expect(events.ofType('build.reused')).toHaveLength(1);
    expect(events.ofType('build.start')).toHaveLength(0);

    const stageHead = await repo.head('refs/heads/stage');
    expect(outcome).toMatchObject({ revertCommit: stageHead, pushed: true });
    expect(outcome.revertError).toBeUndefined();
    expect(await tree(stageHead)).toBe(await tree(c1));
    expect(await repo.remoteBranch(remote, 'stage')).toBe(stageHead);
    expect(provider.methods().filter((m) => m === 'deploy' || m === 'updateDeployment')).toEqual(['deploy', 'updateDeployment']);
    expect(provider.history('stage')[0]).toMatchObject({ deploymentId: outcome.record.deploymentId, revertCommit: stageHead, rollbackOf: d2.deploymentId });
  });

  it('makes no revert commit when the fast redeploy did not succeed', async () => {
    provider.script({ result: 'fail' });
    const outcome = await run({ fast: true });
    expect(outcome.record.status).not.toBe('Succeeded');
    expect(outcome).toMatchObject({ revertCommit: null, pushed: false });
    expect(await repo.head('refs/heads/stage')).toBe(c2);
    expect(provider.callsOf('updateDeployment')).toEqual([]);
  });

  it('refuses when the target deployment has no bundle to redeploy', async () => {
    const noBundle = new FakeProvider();
    noBundle.seed('stage', { commit: c1, bundle: null });
    noBundle.seed('stage', { commit: c2 });
    const noBundleWs = await FakeWorkspace.create(repo, { config: CONFIG, provider: noBundle });
    await expect(rollback(noBundleWs, { environment: 'stage', fast: true, signal: new AbortController().signal, events: events.emit })).rejects.toMatchObject({ code: 'USAGE' });
    expect(noBundle.deployRequests).toHaveLength(0);
  });

  it('issue 17.4: refuses a revert that would conflict before redeploying anything', async () => {
    const patched = await repo.commit('Edits the same line', { 'app.txt': 'v2 patched\n' });
    const error = await run({ fast: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REVERT_BLOCKED', exitCode: ExitCode.Failed });
    expect((error as Error).message).toContain('conflicts');
    expect((error as { hint: string }).hint).toContain('nothing was redeployed');
    expect(provider.deployRequests).toHaveLength(0);
    expect(await repo.head('refs/heads/stage')).toBe(patched);
    expect(await repo.sh('status', '--porcelain')).toBe('');
    expect(await repo.sh('worktree', 'list', '--porcelain')).not.toContain('mod-revert-check-');
  });

  it("redeploys without a revert commit, and says so, when the environment's branch does not exist", async () => {
    provider.seed('production', { commit: c1 });
    const current = provider.seed('production', { commit: c2 });
    const outcome = await run({ environment: 'production', fast: true });
    expect(outcome.record).toMatchObject({ status: 'Succeeded', rollbackOf: current.deploymentId, revision: { commit: c1 } });
    expect(outcome).toMatchObject({ revertCommit: null, pushed: false });
    expect(events.notices('warn')).toHaveLength(1);
    expect(await repo.sh('branch', '--list', 'master')).toBe('');
  });
});

describe('issue 17.4: rollback --fast checks the revert before redeploying, and a pending revert is finished', () => {
  it('refuses before redeploying when the branch is checked out with uncommitted changes', async () => {
    await writeFile(path.join(repo.dir, 'app.txt'), 'local edit\n');
    const error = await run({ fast: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REVERT_BLOCKED' });
    expect((error as Error).message).toContain('uncommitted changes');
    expect(provider.deployRequests).toHaveLength(0);
    expect(await repo.head('refs/heads/stage')).toBe(c2);
    expect(await readFile(path.join(repo.dir, 'app.txt'), 'utf8')).toBe('local edit\n');
  });

  it('refuses before redeploying when the upstream has commits the branch lacks (the push would be rejected)', async () => {
    const other = await TempRepository.create('stage');
    try {
      await other.sh('remote', 'add', 'origin', remote);
      await other.sh('fetch', '-q', 'origin');
      await other.sh('reset', '-q', '--hard', 'origin/stage');
      await other.commit('Pushed by someone else', { 'other.txt': 'x\n' });
      await other.sh('push', '-q', 'origin', 'stage');
    } finally {
      await other.dispose();
    }
    const error = await run({ fast: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REVERT_BLOCKED' });
    expect((error as Error).message).toContain('a push to origin/stage would fail');
    expect(provider.deployRequests).toHaveLength(0);
    expect(await repo.head('refs/heads/stage')).toBe(c2);
    // --no-push reverts locally only: then nothing stands in the way.
    const outcome = await run({ fast: true, push: false });
    expect(outcome).toMatchObject({ pushed: false, revertCommit: await repo.head('refs/heads/stage') });
  });

  it('refuses before redeploying when the deployed commit is not on the branch any more', async () => {
    await repo.sh('reset', '-q', '--hard', c1);
    await repo.commit('Rewritten history', { 'app.txt': 'v2 again\n' });
    const error = await run({ fast: true, push: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REVERT_BLOCKED' });
    expect((error as Error).message).toContain(`the deployed ${c2.slice(0, 8)} is not on it`);
    expect(provider.deployRequests).toHaveLength(0);
  });

  it('takes the branch from the remote when this clone has no local branch, and reverts there', async () => {
    await repo.sh('checkout', '-q', '--detach');
    await repo.sh('branch', '-q', '-D', 'stage');
    const outcome = await run({ fast: true });
    expect(outcome.revertError).toBeUndefined();
    const stageHead = await repo.head('refs/heads/stage');
    expect(outcome).toMatchObject({ revertCommit: stageHead, pushed: true });
    expect(await tree(stageHead)).toBe(await tree(c1));
    expect(await repo.remoteBranch(remote, 'stage')).toBe(stageHead);
  });

  it('records a revert that fails after the redeploy as pending, refuses to roll back again, and finishes it with finishRevert', async () => {
    // The tree turns dirty while the redeploy runs: the revert cannot be made after all.
    const dirtying = (e: Parameters<typeof events.emit>[0]) => {
      if (e.type === 'build.reused') writeFileSync(path.join(repo.dir, 'app.txt'), 'edited meanwhile\n');
      events.emit(e);
    };
    const outcome = await run({ fast: true, events: dirtying });
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.revertCommit).toBeNull();
    expect(outcome.revertError).toMatchObject({ code: 'GIT' });
    expect(outcome.revertError!.hint).toContain('mod rollback --env stage --finish-revert');
    expect(outcome.pendingRevert).toMatchObject({ deploymentId: outcome.record.deploymentId, branch: 'stage', revertedCommit: c2, target: c1, commits: [c2] });
    expect(await repo.head('refs/heads/stage')).toBe(c2);

    // Following the old advice (roll back again) would redeploy or revert the wrong thing: it refuses.
    await expect(run()).rejects.toMatchObject({ code: 'REVERT_PENDING', hint: expect.stringContaining('--finish-revert') });
    await expect(run({ fast: true })).rejects.toMatchObject({ code: 'REVERT_PENDING' });
    expect(provider.deployRequests).toHaveLength(1);
    // History says it is pending.
    const records = await history(ws, ['stage'], 10);
    expect(records[0]).toMatchObject({ deploymentId: outcome.record.deploymentId, pendingRevert: { commits: [c2] } });

    // Still dirty: finishing is refused, changing nothing, and stays pending.
    await expect(finishRevert(ws, { environment: 'stage', events: events.emit })).rejects.toMatchObject({ code: 'REVERT_BLOCKED' });
    expect(await readPendingRevert(ws, ws.environment('stage'))).toBeDefined();

    await repo.sh('checkout', '--', 'app.txt');
    const finished = await finishRevert(ws, { environment: 'staging', events: events.emit });
    const stageHead = await repo.head('refs/heads/stage');
    expect(finished).toMatchObject({ revertCommit: stageHead, pushed: true, pending: { deploymentId: outcome.record.deploymentId } });
    expect(await tree(stageHead)).toBe(await tree(c1));
    expect(await repo.remoteBranch(remote, 'stage')).toBe(stageHead);
    expect(provider.deployRequests).toHaveLength(1);
    expect(provider.history('stage')[0]).toMatchObject({ deploymentId: outcome.record.deploymentId, revertCommit: stageHead });
    expect(await readPendingRevert(ws, ws.environment('stage'))).toBeUndefined();
    expect((await history(ws, ['stage'], 10))[0]!.pendingRevert).toBeUndefined();

    // Twice: nothing pending, nothing done.
    const again = await finishRevert(ws, { environment: 'stage', events: events.emit });
    expect(again.pending).toBeUndefined();
    expect(again.revertCommit).toBeNull();
    expect(await repo.head('refs/heads/stage')).toBe(stageHead);
  });

  it('drops a pending revert the branch already undid by hand, making no second revert', async () => {
    const dirtying = (e: Parameters<typeof events.emit>[0]) => {
      if (e.type === 'build.reused') writeFileSync(path.join(repo.dir, 'app.txt'), 'edited meanwhile\n');
      events.emit(e);
    };
    const outcome = await run({ fast: true, events: dirtying });
    expect(outcome.pendingRevert).toBeDefined();
    await repo.sh('checkout', '--', 'app.txt');
    await repo.sh('revert', '--no-edit', c2);
    const byHand = await repo.head('refs/heads/stage');

    const finished = await finishRevert(ws, { environment: 'stage', events: events.emit });
    expect(finished).toMatchObject({ alreadyReverted: true, revertCommit: null, pending: { deploymentId: outcome.record.deploymentId } });
    expect(await repo.head('refs/heads/stage')).toBe(byHand);
    expect(await readPendingRevert(ws, ws.environment('stage'))).toBeUndefined();
    // No longer REVERT_PENDING: rollback now judges the plan itself (c1 already runs).
    await expect(run({ to: d1.deploymentId })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
