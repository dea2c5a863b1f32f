// What a local environment runs, as `mod status` shows it: each instance's
// record (the revision its last successful deployment installed) next to what
// its own process answers on the health path, the load balancer's view, the
// host's restarts, and whether the endpoint is down without `mod stop`.
import path from 'node:path';
import type { Environment } from '../../config.js';
import type { DeploymentRecord, LifecycleEventRecord, RevisionRef } from '../../deployment.js';
import type { InstanceRestart, InstanceStatus, ProviderEnvironmentStatus, RunningRevision } from '../../provider.js';
import type { ServiceModelState } from '../../../moderation/model-pointer.js';
import type { StatePaths } from '../../state-paths.js';
import type { DeploymentHistory } from './deployment-history.js';
import type { HostInfo } from './environment-host.js';
import { findHost, hostProcessRunning } from './host-client.js';
import { readJson } from '../../json-file.js';
import { listInstances, restartRecordFile } from './local-instances.js';
import { isMarkedStopped } from './local-stop.js';
import { clock, standbyOf, type StandbyFleet } from './local-blue-green.js';

/** "standby until 14:05" for a kept blue/green fleet ("terminating" once its time is up), with its health when not healthy. */
function standbyState(health: string, kept: StandbyFleet | undefined): string {
  const what = kept ? (kept.terminating || Date.parse(kept.until) <= Date.now() ? 'standby, terminating' : `standby until ${clock(kept.until)}`) : 'standby';
  return health === 'healthy' ? what : `${what} (${health})`;
}

export async function localEnvironmentStatus(paths: StatePaths, env: Environment, history: DeploymentHistory): Promise<ProviderEnvironmentStatus> {
  const host = await findHost(paths, env.name);
  const instances = await listInstances(paths.instances(env.name));
  const targets = host ? await host.targets().catch(() => []) : [];
  // Blue/green: the original fleet kept on standby after a switch (not routed, health-checked).
  const kept = await standbyOf(paths, env.name);
  const statuses: InstanceStatus[] = [];
  const recent = await history.list(50);
  await Promise.all(
    instances.map(async (instance, index) => {
      const recorded = recordedRevision(instance.id, recent) ?? (await installedRevision(instance.dir, history));
      const { revision, events } = recorded ?? {};
      const last = recorded ? { deploymentId: recorded.deploymentId } : undefined;
      const builtFrom = revision?.bundle ? ((await readJson<{ builtFrom?: string }>(path.join(paths.revision(revision.bundle), 'revision.json')).catch(() => undefined))?.builtFrom ?? null) : null;
      const [running, restarted] = await Promise.all([askRunning(`http://127.0.0.1:${instance.port}${env.healthCheck.path}`), readJson<InstanceRestart>(restartRecordFile(instance)).catch(() => undefined)]);
      const target = targets.find((t) => t.id === instance.id);
      const deployedAt = events?.at(-1)?.endedAt ?? null;
      // A process restarted by the host has run since its restart, not since its deployment.
      const startedAt = restarted?.ok && deployedAt && restarted.at > deployedAt ? restarted.at : deployedAt;
      statuses[index] = {
        id: instance.id,
        healthy: target?.state === 'healthy',
        state: host ? (target?.standby && target.state !== 'draining' ? standbyState(target.state, kept?.instances.includes(instance.id) ? kept : undefined) : (target?.state ?? 'unregistered')) : running ? 'no endpoint' : 'stopped',
        commit: revision?.commit ?? null,
        deploymentId: last?.deploymentId ?? null,
        since: running ? startedAt : null,
        launchedAt: instance.createdAt,
        detail: target?.lastError ?? `port ${instance.port}`,
        tree: revision?.bundle ?? null,
        builtFrom,
        running,
        restarted: restarted ?? null,
      };
    }),
  );
  return {
    endpoint: host?.info.endpoint ?? null,
    database: host ? (host.info.databaseEmbedded ? 'embedded PGlite' : 'DATABASE_URL') : null,
    instances: statuses,
    ...(host ? {} : { endpointDown: await whyEndpointDown(paths, env) }),
  };
}

interface RecordedRevision {
  deploymentId: string;
  revision: RevisionRef;
  events: LifecycleEventRecord[];
}

/**
 * What the record says runs on an instance: the revision of the newest
 * deployment (or auto-rollback) that succeeded there. Not the last install:
 * a deployment stopped after Install never made its revision the instance's.
 */
function recordedRevision(instanceId: string, history: DeploymentRecord[]): RecordedRevision | undefined {
  for (const deployment of history) {
    const rolledBack = deployment.autoRollback?.instances.find((i) => i.instanceId === instanceId && i.status === 'Succeeded');
    if (rolledBack && deployment.autoRollback) return { deploymentId: deployment.deploymentId, revision: deployment.autoRollback.revision, events: rolledBack.events };
    const deployed = deployment.instances.find((i) => i.instanceId === instanceId && i.status === 'Succeeded');
    if (deployed) return { deploymentId: deployment.deploymentId, revision: deployment.revision, events: deployed.events };
  }
  return undefined;
}

/** Older than the history read: the deployment of the instance's last install. */
async function installedRevision(instanceDir: string, history: DeploymentHistory): Promise<RecordedRevision | undefined> {
  const last = await readJson<{ deploymentId: string }>(path.join(instanceDir, 'deployment-root', 'last-successful.json')).catch(() => undefined);
  const deployment = last ? await history.get(last.deploymentId) : undefined;
  return deployment ? { deploymentId: deployment.deploymentId, revision: deployment.revision, events: deployment.instances.find((i) => i.instanceId === path.basename(instanceDir))?.events ?? [] } : undefined;
}

/**
 * Why the endpoint is down when it should run: the host recorded targets
 * (`mod stop` empties them) and is gone. Undefined when nothing was deployed
 * or the environment was stopped on purpose.
 */
async function whyEndpointDown(paths: StatePaths, env: Environment): Promise<string | undefined> {
  const targets = await readJson<unknown[]>(path.join(paths.env(env.name), 'targets.json')).catch(() => undefined);
  if (!targets?.length) return undefined;
  // mod stop with the host already gone: every instance is marked stopped.
  const instances = await listInstances(paths.instances(env.name));
  if (instances.length > 0 && (await Promise.all(instances.map((i) => isMarkedStopped(i)))).every(Boolean)) return undefined;
  const info = await readJson<HostInfo>(paths.host(env.name)).catch(() => undefined);
  if (!info) return `its host process is not running (see ${paths.hostLog(env.name)})`;
  return (await hostProcessRunning(info.pid)) ? `its host process ${info.pid} does not answer on ${info.controlUrl}` : `its host process ${info.pid} is gone (see ${paths.hostLog(env.name)})`;
}

/** Asks an instance's process what it runs; null when nothing answers. */
export async function askRunning(url: string, timeoutMs = 1500): Promise<RunningRevision | null> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return null;
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  return runningRevisionOf(body);
}

/**
 * Reads the service's /healthz answer: `revision` (a commit, or an object),
 * or `commit`, `tree`, `builtFrom`, `deploymentId`; and `model`, the models
 * it decides with (issue 13; absent from a service that predates it).
 */
export function runningRevisionOf(body: Record<string, unknown> | undefined): RunningRevision {
  const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
  const nested = body && typeof body.revision === 'object' && body.revision !== null ? (body.revision as Record<string, unknown>) : undefined;
  const source = nested ?? body ?? {};
  const model = serviceModelStateOf(body?.model);
  return {
    commit: text(source.commit) ?? text(body?.revision) ?? null,
    tree: text(source.tree),
    builtFrom: text(source.builtFrom),
    deploymentId: text(source.deploymentId),
    ...(model ? { model } : {}),
  };
}

/** The /healthz `model` field when it is one (a version and where it came from); undefined otherwise. */
export function serviceModelStateOf(value: unknown): ServiceModelState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const model = value as Record<string, unknown>;
  if (typeof model.version !== 'string' || !model.version || (model.source !== 'released' && model.source !== 'bundled')) return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const canary = typeof model.canary === 'object' && model.canary !== null ? (model.canary as Record<string, unknown>) : undefined;
  const error = typeof model.error === 'object' && model.error !== null ? (model.error as Record<string, unknown>) : undefined;
  return {
    version: model.version,
    source: model.source,
    releaseId: text(model.releaseId),
    bundled: text(model.bundled) ?? '',
    shadow: text(model.shadow),
    canary: canary && typeof canary.version === 'string' && typeof canary.weight === 'number' ? { version: canary.version, weight: canary.weight } : null,
    loadedAt: text(model.loadedAt) ?? '',
    ...(error && typeof error.message === 'string' ? { error: { releaseId: text(error.releaseId) ?? '', message: error.message, at: text(error.at) ?? '' } } : {}),
  };
}
