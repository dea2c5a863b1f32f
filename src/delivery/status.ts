// `mod status`: per environment, what is deployed against what the branch
// says, the deployment in flight, the instances and the endpoint.
import { ExitCode, ModError } from '../errors.js';
import type { Environment } from './config.js';
import { isAlive } from './deploy-lock.js';
import type { DeploymentRecord } from './deployment.js';
import type { InstanceStatus, ProviderEnvironmentStatus } from './provider.js';
import type { Workspace } from './workspace.js';

export interface CommitSummary {
  commit: string;
  subject: string;
  author: string;
  date: string;
}

export interface EnvironmentStatus {
  name: string;
  branch: string;
  provider: string;
  deployed: (CommitSummary & { deploymentId: string; deployedAt: string | null }) | null;
  branchHead: (CommitSummary & { exists: boolean }) | { commit: null; exists: false };
  /** Commits on the branch not deployed yet. */
  pending: number;
  endpoint: string | null;
  database: string | null;
  inFlight: {
    deploymentId: string;
    commit: string;
    startedAt: string;
    abandoned: boolean;
    instances: { id: string; event: string | null; status: string }[];
  } | null;
  instances: InstanceStatus[];
  pipeline: ProviderEnvironmentStatus['pipeline'] | null;
  autoRollback: ProviderEnvironmentStatus['autoRollback'] | null;
  warnings: string[];
  recent: (Pick<DeploymentRecord, 'deploymentId' | 'status' | 'startedAt' | 'endedAt' | 'initiator'> & { commit: string })[];
}

export async function environmentStatus(ws: Workspace, env: Environment, recentLimit = 5): Promise<EnvironmentStatus> {
  const provider = await ws.provider(env);
  const warnings: string[] = [];
  const [history, providerStatus, headSha] = await Promise.all([
    provider.deployments(env, 50).catch((error: unknown) => {
      // History the provider cannot read (an emulator without pipeline executions, say) must not
      // hide the rest; a usage problem (credentials, permissions, missing resources) still fails.
      if (!(error instanceof ModError) || error.exitCode !== ExitCode.Failed) throw error;
      warnings.push(`deployment history unavailable: ${(error as Error).message}`);
      return [];
    }),
    provider.environmentStatus(env),
    ws.git.resolve(`refs/heads/${env.branch}`),
  ]);
  const lastGood = history.find((d) => d.status === 'Succeeded');
  const deployed = lastGood ? { ...(await summary(ws, lastGood.revision.commit)), deploymentId: lastGood.deploymentId, deployedAt: lastGood.endedAt ?? null } : null;
  const head = headSha ? { ...(await summary(ws, headSha)), exists: true } : ({ commit: null, exists: false } as const);

  let pending = 0;
  if (headSha && lastGood) {
    // After a fast rollback the revert commit is what the running revision corresponds to.
    const base = lastGood.revertCommit && (await ws.git.isAncestor(lastGood.revertCommit, headSha)) ? lastGood.revertCommit : lastGood.revision.commit;
    pending = await ws.git.countBetween(base, headSha).catch(() => 0);
  } else if (headSha) {
    pending = await ws.git.countReachable(headSha);
  }

  const running = history.find((d) => d.status === 'InProgress');
  const inFlight = running
    ? {
        deploymentId: running.deploymentId,
        commit: running.revision.commit,
        startedAt: running.startedAt,
        abandoned: running.pid !== undefined && !isAlive(running.pid),
        instances: (running.autoRollback?.instances.length ? running.autoRollback.instances : running.instances).map((i) => {
          const current = i.events.find((e) => e.status === 'InProgress') ?? i.events.filter((e) => e.status !== 'Pending' && e.status !== 'Skipped').at(-1);
          return { id: i.instanceId, event: current?.name ?? null, status: i.status };
        }),
      }
    : null;

  return {
    name: env.name,
    branch: env.branch,
    provider: provider.name,
    deployed,
    branchHead: head,
    pending,
    endpoint: providerStatus.endpoint,
    database: providerStatus.database,
    inFlight,
    instances: providerStatus.instances,
    pipeline: providerStatus.pipeline ?? null,
    autoRollback: providerStatus.autoRollback ?? null,
    warnings,
    recent: history.slice(0, recentLimit).map((d) => ({ deploymentId: d.deploymentId, status: d.status, startedAt: d.startedAt, endedAt: d.endedAt, initiator: d.initiator, commit: d.revision.commit })),
  };
}

async function summary(ws: Workspace, commit: string): Promise<CommitSummary> {
  const info = await ws.git.commitInfo(commit).catch(() => undefined);
  return { commit, subject: info?.subject ?? '(commit not in this clone)', author: info?.author ?? '', date: info?.date ?? '' };
}

export async function status(ws: Workspace, environments: string[]): Promise<EnvironmentStatus[]> {
  const envs = environments.map((name) => ws.environment(name));
  return Promise.all(envs.map((env) => environmentStatus(ws, env)));
}
