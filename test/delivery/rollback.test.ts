// rollback() = revert & redeploy, on a real temporary git repository with a
// bare remote: the revert commit it makes on the environment's branch, what
// it pushes, what it asks the provider to deploy (a rebuild of the revert, or
// with --fast the earlier bundle first), and how each refusal leaves the
// branch untouched. The provider, notifier and output are fakes.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/delivery/deploy-lock.js';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import { rollback, type RollbackOptions } from '../../src/delivery/rollback.js';
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
    await expect(run()).rejects.toMatchObject({ code: 'GIT', exitCode: ExitCode.Failed });
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

  it('reports a revert that conflicts as revertError, keeping the successful redeploy', async () => {
    const patched = await repo.commit('Edits the same line', { 'app.txt': 'v2 patched\n' });
    const outcome = await run({ fast: true });
    expect(outcome.record.status).toBe('Succeeded');
    expect(outcome.revertCommit).toBeNull();
    expect(outcome.revertError).toMatchObject({ code: 'GIT' });
    expect(await repo.head('refs/heads/stage')).toBe(patched);
    expect(provider.callsOf('updateDeployment')).toEqual([]);
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
