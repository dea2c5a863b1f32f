// `mod status`: per environment, what is deployed against what the branch
// says, the deployment in flight, the instances and the endpoint.
import { ExitCode, ModError, type CliErrorCode } from '../errors.js';
import type { Environment } from './config.js';
import { isAlive } from './deploy-lock.js';
import type { DeploymentRecord } from './deployment.js';
import { madeLive } from './model/model-record.js';
import { readPendingRevert } from './pending-revert.js';
import type { InstanceStatus, Provider, ProviderEnvironmentStatus, RunningRevision } from './provider.js';
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
    /** Issue 12: blue/green or in-place, and its canary (with live counts while it runs). */
    deploymentType?: DeploymentRecord['deploymentType'];
    canary?: DeploymentRecord['canary'];
  } | null;
  /** Blue/green: the original fleet of the deployed revision's deployment, kept for a fast rollback until it is stopped. */
  keptFleet?: { deploymentId: string; instances: string[]; until: string | null } | null;
  instances: InstanceStatus[];
  pipeline: ProviderEnvironmentStatus['pipeline'] | null;
  autoRollback: ProviderEnvironmentStatus['autoRollback'] | null;
  warnings: string[];
  /** Why the header must not say "up to date" although no commit is pending (what runs disagrees with the record); null when they agree. */
  drift: string | null;
  /** What makes `mod status` exit non-zero (e.g. ENDPOINT_DOWN), with what to do. */
  problems: StatusProblem[];
  /** The newest deployments and (issue 13) model releases, newest first; a model release has `kind: 'model'` and its model. */
  recent: (Pick<DeploymentRecord, 'deploymentId' | 'status' | 'startedAt' | 'endedAt' | 'initiator'> & { commit: string; kind?: 'model'; model?: { action: NonNullable<DeploymentRecord['model']>['action']; version: string } })[];
  /**
   * Issue 13: the env's released model (its pointer), which wins over the
   * model a code bundle ships; null: none released, each instance's bundled
   * model decides; undefined: the provider's model store could not be read.
   */
  model?: ModelStatus | null;
  /** Issue 13: a model release, rollback or shadow in flight (its record is InProgress); null when none. */
  modelInFlight?: ModelInFlight | null;
}

export interface ModelInFlight {
  deploymentId: string;
  action: NonNullable<DeploymentRecord['model']>['action'];
  version: string;
  initiator: string;
  startedAt: string;
  /** Its mod process is gone (the record will stay InProgress). */
  abandoned: boolean;
  canary?: DeploymentRecord['canary'];
}

/** The env's model pointer as `mod status` shows it. */
export interface ModelStatus {
  live: { version: string; checksum: string; releaseId: string; releasedAt: string | null; by: string | null };
  shadow: { version: string } | null;
  canary: { version: string; weight: number } | null;
  /** The release that wrote the pointer last (a shadow or a canary writes it too). */
  pointerReleaseId: string;
  updatedAt: string;
}

export interface StatusProblem {
  code: Extract<CliErrorCode, 'ENDPOINT_DOWN'>;
  message: string;
  hint?: string;
}

export async function environmentStatus(ws: Workspace, env: Environment, recentLimit = 5): Promise<EnvironmentStatus> {
  const provider = await ws.provider(env);
  const warnings: string[] = [];
  const [history, providerStatus, headSha, model] = await Promise.all([
    provider.deployments(env, 50).catch((error: unknown) => {
      // History the provider cannot read (an emulator without pipeline executions, say) must not
      // hide the rest; a usage problem (credentials, permissions, missing resources) still fails.
      if (!(error instanceof ModError) || error.exitCode !== ExitCode.Failed) throw error;
      warnings.push(`deployment history unavailable: ${(error as Error).message}`);
      return [];
    }),
    provider.environmentStatus(env),
    ws.git.resolve(`refs/heads/${env.branch}`),
    modelStatus(provider, env, warnings),
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
        ...(running.deploymentType ? { deploymentType: running.deploymentType } : {}),
        ...(running.canary ? { canary: running.canary } : {}),
      }
    : null;
  const kept = lastGood?.blueGreen;
  const keptFleet = lastGood && kept && !kept.originalTerminated && kept.originalInstances.length ? { deploymentId: lastGood.deploymentId, instances: kept.originalInstances, until: kept.keepOriginalUntil ?? null } : null;

  const truth = compareWithRunning(providerStatus, history, env.name);
  warnings.push(...(providerStatus.warnings ?? []), ...truth.warnings);
  const revertOwed = await readPendingRevert(ws, env);
  if (revertOwed) {
    const commits = revertOwed.commits.map((c) => c.slice(0, 8)).join(', ');
    warnings.push(`revert pending on ${env.branch}: rollback ${revertOwed.deploymentId} runs ${revertOwed.target.slice(0, 8)}, but ${commits} is not reverted yet (${revertOwed.reason}); finish it with mod rollback --env ${env.name} --finish-revert`);
  }

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
    keptFleet,
    instances: providerStatus.instances,
    pipeline: providerStatus.pipeline ?? null,
    autoRollback: providerStatus.autoRollback ?? null,
    warnings,
    drift: truth.drift,
    problems: truth.problems,
    recent: recentOf(history, model?.records ?? [], recentLimit),
    ...(model !== undefined ? { model: model.pointer, modelInFlight: model.inFlight } : {}),
  };
}

/** Code deployments and model releases by time, newest first. */
function recentOf(history: readonly DeploymentRecord[], models: readonly DeploymentRecord[], limit: number): EnvironmentStatus['recent'] {
  const code = history.slice(0, limit).map((d) => ({ deploymentId: d.deploymentId, status: d.status, startedAt: d.startedAt, endedAt: d.endedAt, initiator: d.initiator, commit: d.revision.commit }));
  const model = models
    .slice(0, limit)
    .map((d) => ({ deploymentId: d.deploymentId, status: d.status, startedAt: d.startedAt, endedAt: d.endedAt, initiator: d.initiator, commit: d.revision.commit, kind: 'model' as const, model: { action: d.model!.action, version: d.model!.version } }));
  return [...code, ...model].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
}

/** The env's model pointer with the release that made its live model live (when, by whom), and a model release in flight; undefined when they cannot be read. */
export async function modelStatus(provider: Provider, env: Environment, warnings: string[]): Promise<{ pointer: ModelStatus | null; inFlight: ModelInFlight | null; records: DeploymentRecord[] } | undefined> {
  try {
    const store = provider.models(env);
    const [pointer, records] = await Promise.all([store.readPointer(env), store.releases(env, 50).catch(() => [])]);
    const running = records.find((r) => r.status === 'InProgress' && r.model);
    const inFlight = running
      ? {
          deploymentId: running.deploymentId,
          action: running.model!.action,
          version: running.model!.version,
          initiator: running.initiator,
          startedAt: running.startedAt,
          abandoned: running.pid !== undefined && !isAlive(running.pid),
          ...(running.canary ? { canary: running.canary } : {}),
        }
      : null;
    const models = records.filter((r) => r.model);
    if (!pointer) return { pointer: null, inFlight, records: models };
    const live = pointer.live;
    const made = madeLive(records, live) ?? records.find((r) => r.deploymentId === pointer.releaseId);
    return {
      pointer: {
        live: { version: live.version, checksum: live.checksum, releaseId: made?.deploymentId ?? pointer.releaseId, releasedAt: made ? (made.endedAt ?? made.startedAt) : null, by: made?.initiator ?? null },
        shadow: pointer.shadow ? { version: pointer.shadow.version } : null,
        canary: pointer.canary ? { version: pointer.canary.version, weight: pointer.canary.weight } : null,
        pointerReleaseId: pointer.releaseId,
        updatedAt: pointer.updatedAt,
      },
      inFlight,
      records: models,
    };
  } catch (error) {
    // A store that is not set up (AWS without aws.modelBucket) says so; one not built yet stays quiet.
    if (error instanceof ModError) warnings.push(`released models unavailable: ${error.message}${error.hint ? `; ${error.hint}` : ''}`);
    return undefined;
  }
}

/** Whether an instance's process runs the revision its record names; undefined when it cannot be told. */
export function runsRecordedRevision(instance: InstanceStatus): boolean | undefined {
  const running = instance.running;
  if (!running) return undefined;
  if (!instance.commit) return running.commit === null ? undefined : false;
  // A bundle reused for another commit of the same tree says the commit it was built from: same revision.
  if (running.tree && instance.tree) return running.tree === instance.tree;
  if (running.commit === null) return undefined;
  return running.commit === instance.commit || running.commit === instance.builtFrom || (running.builtFrom != null && running.builtFrom === instance.builtFrom);
}

/** What each instance's own process answers, held against the record: warnings, drift and problems. */
function compareWithRunning(providerStatus: ProviderEnvironmentStatus, history: DeploymentRecord[], envName: string): { warnings: string[]; drift: string | null; problems: StatusProblem[] } {
  const warnings: string[] = [];
  const problems: StatusProblem[] = [];
  const drifts: string[] = [];
  const serving = providerStatus.instances.filter((i) => i.running);
  for (const instance of providerStatus.instances) {
    const agrees = runsRecordedRevision(instance);
    if (agrees === false) {
      drifts.push(`${instance.id} runs another revision than recorded`);
      warnings.push(`${instance.id} runs ${describeRunning(instance.running!, history)} but its record says ${short(instance.commit)}${instance.deploymentId ? ` (${instance.deploymentId})` : ''}: a deployment did not finish there`);
    }
    if (instance.running === null && instance.commit && instance.state !== 'stopped') {
      warnings.push(`${instance.id} does not answer its health check (its record says ${short(instance.commit)})${instance.restarted && !instance.restarted.ok ? '; the last restart did not bring it back' : ''}`);
    }
    if (instance.running && providerStatus.endpoint && ['unregistered', 'draining'].includes(instance.state)) {
      warnings.push(`${instance.id} serves ${short(instance.running.commit)} but takes no traffic from the endpoint (${instance.state})`);
    }
  }
  if (providerStatus.endpointDown) {
    const still = serving.length ? `; ${serving.length} instance(s) still serve (${serving.map((i) => i.id).join(', ')}) on their own ports` : '';
    problems.push({ code: 'ENDPOINT_DOWN', message: `the endpoint is down: ${providerStatus.endpointDown}${still}`, hint: `\`mod deploy --env ${envName}\` starts it again; \`mod stop --env ${envName}\` stops the instances on purpose` });
  }
  // The endpoint runs but routes to nobody: every request gets 503, which is as down as a dead endpoint.
  const deployed = providerStatus.instances.some((i) => i.commit);
  const live = providerStatus.instances.filter((i) => i.state !== 'stopped');
  if (!providerStatus.endpointDown && providerStatus.endpoint && deployed && live.length > 0 && !providerStatus.instances.some((i) => i.healthy)) {
    problems.push({
      code: 'ENDPOINT_DOWN',
      message: `the endpoint ${providerStatus.endpoint} has no healthy instance: every request is refused (503)`,
      hint: `see why with \`mod logs --env ${envName}\`; \`mod deploy --env ${envName}\` (or \`mod rollback --env ${envName}\`) brings a revision back`,
    });
  }
  // The newest finished deployment: a failed auto-rollback leaves instances on neither revision.
  const latest = history.find((d) => d.status !== 'InProgress');
  if (latest?.autoRollback && latest.autoRollback.status !== 'Succeeded') {
    drifts.push(`the auto-rollback of ${latest.deploymentId} ${latest.autoRollback.status === 'Failed' ? 'failed' : 'did not finish'}`);
    warnings.push(
      `the last deployment ${latest.deploymentId} (${short(latest.revision.commit)}) failed and its auto-rollback to ${short(latest.autoRollback.revision.commit)} ${latest.autoRollback.status === 'Failed' ? 'failed too' : 'did not finish'}: the instances it touched may run either revision, or none`,
    );
  }
  return { warnings, drift: drifts.length ? drifts.join('; ') : null, problems };
}

function describeRunning(running: RunningRevision, history: DeploymentRecord[]): string {
  if (running.commit === null) return 'a revision it does not name';
  const from = running.deploymentId ? history.find((d) => d.deploymentId === running.deploymentId) : history.find((d) => d.revision.commit === running.commit || d.autoRollback?.revision.commit === running.commit);
  return `${short(running.commit)}${from ? ` (from ${from.deploymentId}, ${from.status})` : ''}`;
}

function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : 'nothing';
}

async function summary(ws: Workspace, commit: string): Promise<CommitSummary> {
  const info = await ws.git.commitInfo(commit).catch(() => undefined);
  return { commit, subject: info?.subject ?? '(commit not in this clone)', author: info?.author ?? '', date: info?.date ?? '' };
}

export async function status(ws: Workspace, environments: string[]): Promise<EnvironmentStatus[]> {
  const envs = environments.map((name) => ws.environment(name));
  return Promise.all(envs.map((env) => environmentStatus(ws, env)));
}
