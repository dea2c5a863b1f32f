// `mod rollback`: rollback = revert & deploy. The commits deployed since the
// target (by default the previous successful deployment) are reverted on the
// environment's branch as one commit, pushed when the branch has an upstream,
// and deployed, so the branch stays the truth. --fast first redeploys the
// target's bundle (no build, seconds) and makes the revert commit after.
import { ModError, UsageError } from '../errors.js';
import type { CommitInfo } from '../git/git.js';
import type { Environment } from './config.js';
import { endpointOf, withEnvironmentLock } from './deploy.js';
import type { DeploymentRecord } from './deployment.js';
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
}

export interface RollbackOutcome {
  record: DeploymentRecord;
  environment: Environment;
  endpoint: string | null;
  revertCommit: string | null;
  /** Set when the fast redeploy worked but the revert commit could not be made. */
  revertError?: { code: string; message: string; hint?: string };
  pushed: boolean;
}

interface RollbackPlan {
  current: DeploymentRecord;
  target: { commit: CommitInfo; deployment?: DeploymentRecord };
  commits: string[];
}

export async function planRollback(ws: Workspace, provider: Provider, env: Environment, to: string | undefined): Promise<RollbackPlan> {
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
    const initiator = await ws.initiator();
    const hasBranch = await ws.git.branchExists(env.branch);
    const reason = `rollback of ${plan.current.deploymentId} (${plan.current.revision.commit.slice(0, 8)}) to ${plan.target.commit.commit.slice(0, 8)}`;

    if (options.fast) {
      if (!plan.target.deployment?.revision.bundle) {
        throw new UsageError(`no successful deployment of ${plan.target.commit.commit.slice(0, 8)} has a bundle to redeploy`, 'run without --fast to revert and rebuild');
      }
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
        const revert = await revertOnBranch(ws, env, plan, options.push !== false, events);
        await provider.updateDeployment(env, record.deploymentId, { revertCommit: revert.commit });
        record.revertCommit = revert.commit;
        return { ...outcome, revertCommit: revert.commit, pushed: revert.pushed };
      } catch (error) {
        const e = error instanceof ModError ? error : new ModError('REVERT_FAILED', (error as Error).message);
        return { ...outcome, revertError: { code: e.code, message: e.message, hint: e.hint } };
      }
    }

    if (!hasBranch) throw new UsageError(`branch ${env.branch} does not exist, so there is nothing to revert on`, 'use --fast to redeploy the previous bundle');
    const revert = await revertOnBranch(ws, env, plan, options.push !== false, events);
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

async function revertOnBranch(ws: Workspace, env: Environment, plan: RollbackPlan, push: boolean, events: DeliveryEvents): Promise<{ commit: string; pushed: boolean }> {
  const head = await ws.git.resolve(`refs/heads/${env.branch}`);
  if (head && head !== plan.current.revision.commit) {
    const ahead = await ws.git.countBetween(plan.current.revision.commit, head).catch(() => 0);
    if (ahead > 0) events({ type: 'notice', level: 'warn', message: `${env.branch} has ${ahead} commit(s) after the deployed one; the revert goes on top of them` });
  }
  const short = plan.commits.map((c) => c.slice(0, 8)).join(', ');
  const message = `Rollback ${env.name} to ${plan.target.commit.commit.slice(0, 8)}\n\nThis reverts ${short} (deployment ${plan.current.deploymentId}).\n\nTarget: ${plan.target.commit.subject}`;
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
