// `mod rollback`: rollback = revert & deploy. The commits deployed since the
// target (by default the previous successful deployment) are reverted on the
// environment's branch as one commit, pushed when the branch has an upstream,
// and deployed, so the branch stays the truth. --fast first redeploys the
// target's bundle (no build, seconds) and makes the revert commit after.
// Everything the revert needs (a clean checkout of the branch, the deployed
// commit on it, a push the upstream accepts, no conflict) is checked before
// anything changes; a revert that still fails after a fast redeploy is
// recorded as pending (.mod/envs/<env>/pending-revert.json) and finished with
// --finish-revert, and until then rollback (and deploy) refuse to go on as if
// the branch were reverted.
import path from 'node:path';
import { ModError, UsageError } from '../errors.js';
import type { CommitInfo } from '../git/git.js';
import type { Environment } from './config.js';
import { endpointOf, withEnvironmentLock } from './deploy.js';
import type { DeploymentRecord, PendingRevert } from './deployment.js';
import { clearPendingRevert, readPendingRevert, refuseWhileRevertPending, writePendingRevert } from './pending-revert.js';
import type { DeliveryEvents } from './events.js';
import type { Provider } from './provider.js';
import type { Workspace } from './workspace.js';

export interface RollbackOptions {
  environment: string;
  fast?: boolean;
  /** A deployment id or a commit to go back to. */
  to?: string;
  push?: boolean;
  timeoutMs?: number;
  signal: AbortSignal;
  events: DeliveryEvents;
  /** Who the history records as having started it (the Slack bot: `slack:<user> (<login>)`); default ws.initiator(). */
  initiator?: string;
}

export interface RollbackOutcome {
  record: DeploymentRecord;
  environment: Environment;
  endpoint: string | null;
  revertCommit: string | null;
  /** Set when the fast redeploy worked but the revert commit could not be made (then `pendingRevert` is recorded). */
  revertError?: { code: string; message: string; hint?: string };
  pendingRevert?: PendingRevert;
  pushed: boolean;
}

interface RollbackPlan {
  current: DeploymentRecord;
  target: { commit: CommitInfo; deployment?: DeploymentRecord };
  commits: string[];
}

/** What reverting needs, checked before anything changes. */
interface RevertPlan {
  /** The deployed commit the revert undoes, and the target the branch should match. */
  reverted: string;
  target: { commit: string; subject?: string };
  commits: string[];
  /** The deployment rolled back. */
  of: string;
}

export { readPendingRevert } from './pending-revert.js';

export async function planRollback(ws: Workspace, provider: Provider, env: Environment, to: string | undefined): Promise<RollbackPlan> {
  await refuseWhileRevertPending(ws, env);
  const history = await provider.deployments(env);
  const current = history.find((d) => d.status === 'Succeeded');
  if (!current) throw new UsageError(`nothing has been deployed to ${env.name} successfully yet`, `deploy first: mod deploy --env ${env.name}`);

  let target: RollbackPlan['target'];
  if (to) {
    const byId = history.find((d) => d.deploymentId === to);
    const commit = byId ? byId.revision.commit : await ws.git.resolve(to);
    if (!commit) throw new UsageError(`--to ${to} is neither a deployment id of ${env.name} nor a commit`, `see mod history --env ${env.name}`);
    const deployment = byId?.status === 'Succeeded' ? byId : history.find((d) => d.status === 'Succeeded' && d.revision.commit === commit);
    target = { commit: await ws.git.commitInfo(commit), deployment };
  } else {
    const previous = history.find((d) => d.status === 'Succeeded' && d.revision.commit !== current.revision.commit && d.startedAt < current.startedAt);
    if (!previous) throw new UsageError(`${env.name} has no earlier successful deployment to roll back to`, 'give a target with --to <deploymentId|commit>');
    target = { commit: await ws.git.commitInfo(previous.revision.commit), deployment: previous };
  }
  if (target.commit.commit === current.revision.commit) {
    throw new UsageError(`${env.name} already runs ${target.commit.commit.slice(0, 8)}`, 'pick an earlier deployment with --to');
  }
  if (!(await ws.git.isAncestor(target.commit.commit, current.revision.commit))) {
    throw new UsageError(
      `${target.commit.commit.slice(0, 8)} is not an ancestor of the deployed ${current.revision.commit.slice(0, 8)}, so there is nothing to revert (was the last deployment already a rollback?)`,
      `pick an earlier target with --to <deploymentId> (see mod history --env ${env.name}), or ship a commit with mod deploy --ref`,
    );
  }
  const commits = await ws.git.firstParentCommits(target.commit.commit, current.revision.commit);
  return { current, target, commits };
}

export async function rollback(ws: Workspace, options: RollbackOptions): Promise<RollbackOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const { events, signal } = options;
  const notifier = await ws.notifier((message) => events({ type: 'notice', level: 'warn', message }));
  const outcome = await withEnvironmentLock(ws, env, `mod rollback --env ${env.name}`, events, async () => {
    const plan = await planRollback(ws, provider, env, options.to);
    const initiator = options.initiator ?? (await ws.initiator());
    const reason = `rollback of ${plan.current.deploymentId} (${plan.current.revision.commit.slice(0, 8)}) to ${plan.target.commit.commit.slice(0, 8)}`;
    const push = options.push !== false;
    const revertPlan: RevertPlan = { reverted: plan.current.revision.commit, target: { commit: plan.target.commit.commit, subject: plan.target.commit.subject }, commits: plan.commits, of: plan.current.deploymentId };

    if (options.fast) {
      if (!plan.target.deployment?.revision.bundle) {
        throw new UsageError(`no successful deployment of ${plan.target.commit.commit.slice(0, 8)} has a bundle to redeploy`, 'run without --fast to revert and rebuild');
      }
      // Before the redeploy: a fast rollback whose revert then fails leaves the branch shipping the bad change.
      const hasBranch = await checkRevertPossible(ws, env, revertPlan, push, events, { fast: true });
      const record = await provider.deploy({
        environment: env,
        commit: plan.target.commit,
        initiator,
        rollbackOf: plan.current.deploymentId,
        reason,
        reuseRevisionOf: plan.target.deployment,
        timeoutMs: options.timeoutMs,
        signal,
        events,
      });
      const outcome: RollbackOutcome = { record, environment: env, endpoint: await endpointOf(provider, env), revertCommit: null, pushed: false };
      if (record.status !== 'Succeeded') return outcome;
      if (!hasBranch) {
        events({ type: 'notice', level: 'warn', message: `branch ${env.branch} does not exist: no revert commit made` });
        return outcome;
      }
      try {
        const revert = await revertOnBranch(ws, env, revertPlan, push, events);
        await provider.updateDeployment(env, record.deploymentId, { revertCommit: revert.commit });
        record.revertCommit = revert.commit;
        return { ...outcome, revertCommit: revert.commit, pushed: revert.pushed };
      } catch (error) {
        const e = error instanceof ModError ? error : new ModError('REVERT_FAILED', (error as Error).message);
        const pending: PendingRevert = {
          deploymentId: record.deploymentId,
          environment: env.name,
          branch: env.branch,
          rollbackOf: plan.current.deploymentId,
          revertedCommit: revertPlan.reverted,
          target: revertPlan.target.commit,
          targetSubject: revertPlan.target.subject,
          commits: revertPlan.commits,
          since: new Date().toISOString(),
          reason: e.message,
        };
        await writePendingRevert(ws, env, pending);
        record.pendingRevert = pending;
        const hint = `${e.hint ? `${e.hint}; then ` : ''}finish it with mod rollback --env ${env.name} --finish-revert (until then deploy and rollback refuse: the branch still holds the bad change)`;
        events({ type: 'notice', level: 'warn', message: `revert pending on ${env.branch}: ${e.message}` });
        return { ...outcome, pendingRevert: pending, revertError: { code: e.code, message: e.message, hint } };
      }
    }

    const hasBranch = await checkRevertPossible(ws, env, revertPlan, push, events, { fast: false });
    if (!hasBranch) throw new UsageError(`branch ${env.branch} does not exist, so there is nothing to revert on`, 'use --fast to redeploy the previous bundle');
    const revert = await revertOnBranch(ws, env, revertPlan, push, events);
    const commit = await ws.git.commitInfo(revert.commit);
    const record = await provider.deploy({ environment: env, commit, initiator, rollbackOf: plan.current.deploymentId, reason, timeoutMs: options.timeoutMs, signal, events });
    await provider.updateDeployment(env, record.deploymentId, { revertCommit: revert.commit });
    record.revertCommit = revert.commit;
    return { record, environment: env, endpoint: await endpointOf(provider, env), revertCommit: revert.commit, pushed: revert.pushed };
  });
  const { record } = outcome;
  await notifier.notify({
    kind: 'rollback',
    environment: env.name,
    commit: record.revision.commit,
    subject: record.revision.subject,
    author: record.revision.author,
    initiator: record.initiator,
    status: record.status,
    durationMs: record.endedAt ? Date.parse(record.endedAt) - Date.parse(record.startedAt) : undefined,
    deploymentId: record.deploymentId,
    detail: `rollback of ${record.rollbackOf ?? '?'}${outcome.revertCommit ? `, revert ${outcome.revertCommit.slice(0, 8)}` : ''}${record.error ? `: ${record.error.message}` : ''}`,
  });
  return outcome;
}

export interface FinishRevertOptions {
  environment: string;
  push?: boolean;
  events: DeliveryEvents;
}

export interface FinishRevertOutcome {
  environment: Environment;
  /** The revert that was pending; undefined when none was. */
  pending?: PendingRevert;
  revertCommit: string | null;
  pushed: boolean;
  /** The branch already undid the change (reverted by hand): the pending revert was dropped. */
  alreadyReverted?: boolean;
}

/** Whether every file the rolled-back change touched is at `head` as it is at the target. */
async function undoesChange(ws: Workspace, head: string, pending: PendingRevert): Promise<boolean> {
  if (await ws.git.isAncestor(pending.revertedCommit, head).then((contains) => !contains)) return false;
  const touched = await ws.git.changedFiles(pending.target, pending.revertedCommit);
  const deleted = await ws.git.changedFiles(pending.revertedCommit, pending.target);
  const files = [...new Set([...touched, ...deleted].map((f) => f.path))];
  if (files.length === 0) return false;
  for (const file of files) {
    if ((await ws.git.fileAtIfExists(head, file)) !== (await ws.git.fileAtIfExists(pending.target, file))) return false;
  }
  return true;
}

/**
 * `mod rollback --env E --finish-revert`: makes (and pushes) the revert a
 * fast rollback could not, after the same checks, and records it on the
 * rollback's deployment. No redeploy: the environment already runs the target.
 */
export async function finishRevert(ws: Workspace, options: FinishRevertOptions): Promise<FinishRevertOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const { events } = options;
  return withEnvironmentLock(ws, env, `mod rollback --env ${env.name} --finish-revert`, events, async () => {
    const pending = await readPendingRevert(ws, env);
    if (!pending) return { environment: env, revertCommit: null, pushed: false };
    const push = options.push !== false;
    const revertPlan: RevertPlan = { reverted: pending.revertedCommit, target: { commit: pending.target, subject: pending.targetSubject }, commits: pending.commits, of: pending.rollbackOf };
    // Reverted by hand meanwhile (git revert, pushed): nothing left to do but say so.
    const head = await ws.git.resolve(`refs/heads/${env.branch}`);
    if (head && (await undoesChange(ws, head, pending))) {
      await clearPendingRevert(ws, env);
      events({ type: 'notice', level: 'info', message: `${env.branch} (${head.slice(0, 8)}) already undoes ${pending.commits.map((c) => c.slice(0, 8)).join(', ')}: no revert commit needed` });
      return { environment: env, pending, revertCommit: null, pushed: false, alreadyReverted: true };
    }
    const hasBranch = await checkRevertPossible(ws, env, revertPlan, push, events, { fast: false, finishing: true });
    if (!hasBranch) throw new UsageError(`branch ${env.branch} does not exist, so there is nothing to revert on`, `create it (git branch ${env.branch} ${pending.revertedCommit.slice(0, 8)}), then run mod rollback --env ${env.name} --finish-revert again`);
    const revert = await revertOnBranch(ws, env, revertPlan, push, events);
    await provider.updateDeployment(env, pending.deploymentId, { revertCommit: revert.commit });
    await clearPendingRevert(ws, env);
    const current = (await provider.deployments(env, 10)).find((d) => d.status === 'Succeeded');
    if (current && current.deploymentId !== pending.deploymentId) {
      events({ type: 'notice', level: 'warn', message: `${env.name} now runs ${current.deploymentId} (${current.revision.commit.slice(0, 8)}), not the rollback ${pending.deploymentId}: deploy the reverted branch with mod deploy --env ${env.name}` });
    }
    return { environment: env, pending, revertCommit: revert.commit, pushed: revert.pushed };
  });
}

/**
 * Checks that the revert can be made and pushed, changing nothing but a
 * missing local branch (created from its upstream). Says whether the branch
 * exists; throws REVERT_BLOCKED naming what is in the way.
 */
async function checkRevertPossible(ws: Workspace, env: Environment, plan: RevertPlan, push: boolean, events: DeliveryEvents, how: { fast: boolean; finishing?: boolean }): Promise<boolean> {
  const { git } = ws;
  const branch = env.branch;
  const instead = how.finishing
    ? `then run mod rollback --env ${env.name} --finish-revert again`
    : how.fast
      ? `then run the rollback again; nothing was redeployed. In a hurry, mod deploy --env ${env.name} --ref ${plan.target.commit.slice(0, 8)} redeploys the good revision without touching the branch (which then still ships the bad change next time)`
      : 'then run the rollback again; nothing was changed';
  const blocked = (message: string, fix: string) => new ModError('REVERT_BLOCKED', `cannot revert on ${branch}: ${message}`, { hint: `${fix}; ${instead}` });

  if (!(await git.branchExists(branch))) {
    // A clone may lack the local branch its remote has: take it from there.
    const remotes = await git.remotes();
    const remote = remotes.includes('origin') ? 'origin' : remotes[0];
    const fetched = remote ? await git.fetchBranch(remote, branch).catch(() => undefined) : undefined;
    if (!remote || !fetched) return false;
    await git.createTrackingBranch(branch, remote);
    events({ type: 'git', message: `created branch ${branch} from ${remote}/${branch} (${fetched.slice(0, 8)})` });
  }
  const head = await git.resolve(`refs/heads/${branch}`);
  if (!head) return false;
  const checkedOut = await git.worktreeOf(branch);
  if (checkedOut && path.resolve(checkedOut) !== path.resolve(git.dir)) {
    throw blocked(`it is checked out in another worktree, ${checkedOut}`, `switch that worktree to another branch (git -C ${checkedOut} switch --detach) or run mod from it`);
  }
  if (checkedOut && (await git.currentBranch()) === branch && !(await git.isClean())) {
    throw blocked('it is checked out here with uncommitted changes', 'commit or stash them');
  }
  if (!(await git.isAncestor(plan.reverted, head))) {
    throw blocked(`the deployed ${plan.reverted.slice(0, 8)} is not on it (was the branch reset or force-pushed?)`, `put it back on ${branch}, or revert by hand and deploy the branch`);
  }
  if (push) {
    const upstream = await git.upstreamOf(branch);
    if (upstream) {
      try {
        await git.pushDryRun(branch, upstream);
      } catch (error) {
        throw blocked(`a push to ${upstream.remote}/${upstream.ref} would fail: ${(error as Error).message}`, `bring ${branch} up to date with its upstream (git pull) or fix access to ${upstream.remote}, or use --no-push to revert locally only`);
      }
    }
  }
  if (!(await git.revertsCleanly(head, plan.commits))) {
    throw blocked(`reverting ${plan.commits.map((c) => c.slice(0, 8)).join(', ')} conflicts with later commits on it`, `revert by hand (git revert${plan.commits.length > 1 ? ' --no-commit' : ''} ${plan.commits.map((c) => c.slice(0, 8)).join(' ')}), commit and deploy`);
  }
  return true;
}

async function revertOnBranch(ws: Workspace, env: Environment, plan: RevertPlan, push: boolean, events: DeliveryEvents): Promise<{ commit: string; pushed: boolean }> {
  const head = await ws.git.resolve(`refs/heads/${env.branch}`);
  if (head && head !== plan.reverted) {
    const ahead = await ws.git.countBetween(plan.reverted, head).catch(() => 0);
    if (ahead > 0) events({ type: 'notice', level: 'warn', message: `${env.branch} has ${ahead} commit(s) after the deployed one; the revert goes on top of them` });
  }
  const short = plan.commits.map((c) => c.slice(0, 8)).join(', ');
  const message = `Rollback ${env.name} to ${plan.target.commit.slice(0, 8)}\n\nThis reverts ${short} (deployment ${plan.of}).\n\nTarget: ${plan.target.subject ?? plan.target.commit}`;
  const commit = await ws.git.withBranchCheckout(env.branch, (checkout) => checkout.revertAsOneCommit(plan.commits, message));
  events({ type: 'git', message: `reverted ${short} on ${env.branch} as ${commit.slice(0, 8)}` });
  if (!push) return { commit, pushed: false };
  const upstream = await ws.git.upstreamOf(env.branch);
  if (!upstream) {
    events({ type: 'notice', level: 'info', message: `${env.branch} has no upstream: revert commit not pushed` });
    return { commit, pushed: false };
  }
  await ws.git.push(env.branch, upstream);
  events({ type: 'git', message: `pushed ${env.branch} to ${upstream.remote}/${upstream.ref}` });
  return { commit, pushed: true };
}
