// Blue/green on the local provider (issue 12), CodeDeploy's model: a
// replacement fleet of new instances is launched, the revision installed and
// validated there through the agent's lifecycle, traffic switched at the
// endpoint in one swap, and the original fleet kept `terminationWaitSeconds`
// on standby (health-checked, not routed) before it is terminated (its
// ApplicationStop, run by the environment host since the CLI has exited).
// Within that window a fast rollback to the revision the kept fleet runs
// re-routes to it instead of reinstalling.
//
// The kept fleet is recorded in `.mod/envs/<env>/fleets.json`; the host
// terminates it when its time is up (never while a deployment holds the
// lock: a new deployment terminates it itself, as superseded).
import { agentDeployment, recordSaver } from './agent-deployment.js';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Environment } from '../../config.js';
import { isAlive } from '../../deploy-lock.js';
import type { DeploymentRecord, InstanceRecord, RevisionRef } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { StatePaths } from '../../state-paths.js';
import { deployToInstance, newInstanceRecord, stopInstance, type TrafficControl } from './codedeploy-agent.js';
import { DeploymentHistory } from './deployment-history.js';
import type { HostClient } from './host-client.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import { launchInstances, listInstances, markTerminated, type LocalInstance } from './local-instances.js';
import type { LocalRollout, RolloutResult } from './local-rollout.js';
import { serviceVariables, writeServiceEnv } from './service-env.js';

/** The original fleet kept after a switch. */
export interface StandbyFleet {
  instances: string[];
  /** When the host terminates it (ISO). */
  until: string;
  /** What it runs. */
  revision: RevisionRef;
  /** The deployment whose switch put it on standby (its record's blueGreen is updated on termination). */
  deploymentId: string;
  /** Set by whoever terminates it, before it starts. */
  terminating?: string;
}

export interface FleetsFile {
  standby?: StandbyFleet;
}

export function fleetsFile(envDir: string): string {
  return path.join(envDir, 'fleets.json');
}

export async function readFleets(envDir: string): Promise<FleetsFile> {
  return (await readJson<FleetsFile>(fleetsFile(envDir)).catch(() => undefined)) ?? {};
}

async function writeFleets(envDir: string, fleets: FleetsFile): Promise<void> {
  await writeJsonAtomic(fleetsFile(envDir), fleets);
}

/** What terminating a fleet needs, in the CLI or in the host. */
export interface Terminator {
  instancesDir: string;
  applicationName: string;
  deploymentGroupName: string;
  variables: Record<string, string>;
  hookTimeoutCapSeconds: number;
  deregister: (id: string) => Promise<void>;
  log: (message: string) => void;
}

/** Terminates instances: out of the endpoint (in-flight requests drain), their installed revision's ApplicationStop, marked terminated. */
export async function terminateInstances(ids: string[], t: Terminator): Promise<void> {
  const instances = (await listInstances(t.instancesDir)).filter((i) => ids.includes(i.id));
  await Promise.all(
    instances.map(async (instance) => {
      await t.deregister(instance.id).catch((error: Error) => t.log(`${instance.id}: deregister: ${error.message}`));
      await stopInstance(instance, {
        applicationName: t.applicationName,
        deploymentGroupName: t.deploymentGroupName,
        env: t.variables,
        hookTimeoutCapSeconds: t.hookTimeoutCapSeconds,
        onHookFailed: (message) => t.log(`${instance.id}: ApplicationStop: ${message}`),
      });
      await markTerminated(instance);
    }),
  );
}

/** Marks the record's original fleet terminated. */
async function recordTerminated(deploymentsDir: string, deploymentId: string): Promise<void> {
  const history = new DeploymentHistory(deploymentsDir);
  const record = await history.get(deploymentId);
  if (record?.blueGreen) await history.save({ ...record, blueGreen: { ...record.blueGreen, originalTerminated: true } });
}

function cliTerminator(env: Environment, paths: StatePaths, host: HostClient, events: DeliveryEvents): Terminator {
  return {
    instancesDir: paths.instances(env.name),
    applicationName: env.app,
    deploymentGroupName: `${env.app}-${env.name}`,
    variables: serviceVariables(env, host, paths),
    hookTimeoutCapSeconds: env.hookTimeoutSeconds,
    deregister: (id) => host.deregister(id),
    log: (message) => events({ type: 'notice', level: 'warn', message }),
  };
}

/** A deployment (holding the lock) supersedes a kept fleet: it is terminated now. */
export async function terminateSupersededStandby(env: Environment, paths: StatePaths, host: HostClient, events: DeliveryEvents): Promise<void> {
  const envDir = paths.env(env.name);
  const { standby } = await readFleets(envDir);
  if (!standby) return;
  events({ type: 'notice', level: 'info', message: `blue/green: terminating the kept fleet ${standby.instances.join(', ')} (${standby.revision.commit.slice(0, 8)}): a new deployment supersedes it` });
  await writeFleets(envDir, { standby: { ...standby, terminating: `pid ${process.pid}` } });
  await terminateInstances(standby.instances, cliTerminator(env, paths, host, events));
  await recordTerminated(paths.deployments(env.name), standby.deploymentId);
  await writeFleets(envDir, {});
}

/**
 * The environment host's side: terminates the kept fleet once its time is up.
 * Returns a stop function. Skips while a live process holds the deployment
 * lock (that deployment terminates it itself).
 */
export function scheduleStandbyTermination(options: Omit<Terminator, 'log'> & { envDir: string; lockFile: string; deploymentsDir?: string; log: (line: string) => void; intervalMs?: number }): () => void {
  let busy = false;
  const lockHeld = async () => {
    const holder = await readFile(options.lockFile, 'utf8')
      .then((text) => JSON.parse(text) as { pid?: number })
      .catch(() => undefined);
    return holder?.pid !== undefined && isAlive(holder.pid);
  };
  const tick = async () => {
    const { standby } = await readFleets(options.envDir);
    if (!standby || standby.terminating || Date.parse(standby.until) > Date.now() || (await lockHeld())) return;
    await writeFleets(options.envDir, { standby: { ...standby, terminating: `host pid ${process.pid}` } });
    // A deployment that took the lock meanwhile may be re-routing to this fleet: leave it to that deployment.
    if (await lockHeld()) {
      await writeFleets(options.envDir, { standby });
      return;
    }
    options.log(`blue/green: the kept fleet ${standby.instances.join(', ')} (${standby.revision.commit.slice(0, 8)}) reached its termination time: stopping it`);
    await terminateInstances(standby.instances, options);
    if (options.deploymentsDir) await recordTerminated(options.deploymentsDir, standby.deploymentId);
    const now = await readFleets(options.envDir);
    if (now.standby?.deploymentId === standby.deploymentId) await writeFleets(options.envDir, {});
    options.log(`blue/green: ${standby.instances.join(', ')} terminated`);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch((error: Error) => options.log(`blue/green: terminating the kept fleet failed: ${error.message}`))
      .finally(() => (busy = false));
  }, options.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** HH:MM (local time) for "standby until". */
export function clock(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * A blue/green deployment of `bundleKey`: a replacement fleet, the agent's
 * lifecycle on each of its instances (at once), one switch when all are
 * validated, then the original fleet on standby. A failure before the switch
 * removes the replacement (the original never stopped serving).
 */
export async function runBlueGreenRollout(rollout: LocalRollout, bundleKey: string, previousGood: DeploymentRecord | undefined): Promise<RolloutResult> {
  const { env, paths, host, history, record, events, signal } = rollout;
  await terminateSupersededStandby(env, paths, host, events);
  const original = (await listInstances(paths.instances(env.name))).map((i) => i.id);
  const replacement = await launchInstances(paths.instances(env.name), env.instances);
  const ids = replacement.map((i) => i.id);
  await writeServiceEnv(env, host, paths, replacement);
  record.deploymentType = 'blue-green';
  record.blueGreen = { originalInstances: original, replacementInstances: ids };
  await history.save(record);
  events({ type: 'notice', level: 'info', message: `blue/green: replacement fleet ${ids.join(', ')} launched; ${original.length ? `the original fleet ${original.join(', ')} keeps serving until the switch` : 'no original fleet'}` });
  events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: record.revision.commit, instanceIds: ids, rollout: 'AllAtOnce' });

  // The switch waits for every replacement instance to reach AllowTraffic; one failing before cancels it.
  let resolveSwitch!: () => void;
  let rejectSwitch!: (error: Error) => void;
  let switched = false;
  const switchDone = new Promise<void>((resolve, reject) => {
    resolveSwitch = () => {
      switched = true;
      resolve();
    };
    rejectSwitch = reject;
  });
  switchDone.catch(() => {});
  const onAbort = () => rejectSwitch(new Error('interrupted: traffic not switched'));
  signal.addEventListener('abort', onAbort, { once: true });
  const arrived = new Set<string>();
  const traffic: TrafficControl = {
    // A new instance takes no traffic to block.
    block: async () => {},
    allow: async (instance) => {
      await host.register(instance.id, `http://127.0.0.1:${instance.port}`, { standby: true });
      arrived.add(instance.id);
      if (arrived.size === replacement.length) {
        events({ type: 'notice', level: 'info', message: `blue/green: switching traffic to ${ids.join(', ')}` });
        host.switchTraffic(ids, Object.fromEntries(replacement.map((i) => [i.id, `http://127.0.0.1:${i.port}`])), env.healthCheck.timeoutSeconds * 1000).then(resolveSwitch, rejectSwitch);
      }
      await switchDone;
    },
  };
  const saver = recordSaver(() => history.save(record));
  const deployment = agentDeployment({ env, paths, host, record, bundleKey, traffic, events, signal, save: saver.save });
  events({ type: 'batch.start', batch: 1, of: 1, instanceIds: ids });
  const outcomes = await Promise.all(
    replacement.map((instance) => {
      const instanceRecord = newInstanceRecord(instance.id);
      record.instances.push(instanceRecord);
      return deployToInstance(instance, deployment, instanceRecord).then((outcome) => {
        if (outcome.failure || outcome.record.status !== 'Succeeded') rejectSwitch(new Error(`traffic not switched: ${instance.id} failed${outcome.failure ? ` (${outcome.failure.event})` : ''}`));
        return outcome;
      });
    }),
  );
  signal.removeEventListener('abort', onAbort);
  await saver.settled();
  const failure = outcomes.find((o) => o.failure)?.failure;
  const terminator = cliTerminator(env, paths, host, events);

  if (!switched) {
    events({ type: 'notice', level: 'warn', message: `blue/green: the replacement fleet failed before the switch; ${original.length ? `${original.join(', ')} kept serving` : 'nothing was serving'}; removing ${ids.join(', ')}` });
    await terminateInstances(ids, terminator);
    await history.save(record);
    if (!failure) return { status: 'Stopped', error: { code: 'INTERRUPTED', message: 'interrupted: the deployment was stopped before the traffic switch; the original fleet keeps serving' } };
    return { status: signal.aborted ? 'Stopped' : 'Failed', error: rolloutError(failure) };
  }

  if (failure || outcomes.some((o) => o.record.status !== 'Succeeded')) {
    // After the switch (AfterAllowTraffic failed): CodeDeploy's rollback re-routes to the original fleet.
    const error = failure ? rolloutError(failure) : { code: 'INTERRUPTED' as const, message: 'interrupted after the traffic switch' };
    if (env.autoRollback && original.length > 0) {
      events({ type: 'autorollback.start', deploymentId: record.deploymentId, commit: previousGood?.revision.commit ?? record.revision.commit, instanceIds: original });
      try {
        await host.switchTraffic(original, {}, env.healthCheck.timeoutSeconds * 1000);
        await terminateInstances(ids, terminator);
        await history.save(record);
        return { status: 'RolledBack', error };
      } catch (switchError) {
        events({ type: 'notice', level: 'warn', message: `blue/green: could not re-route to the original fleet: ${(switchError as Error).message}` });
      }
    }
    await keepOriginal(rollout, original, previousGood);
    return { status: signal.aborted ? 'Stopped' : 'Failed', error };
  }

  await keepOriginal(rollout, original, previousGood);
  return { status: 'Succeeded' };
}

/** After a switch: the original fleet on standby for terminationWaitSeconds (or terminated now when it is 0). */
async function keepOriginal(rollout: LocalRollout, original: string[], previousGood: DeploymentRecord | undefined): Promise<void> {
  const { env, paths, host, history, record, events } = rollout;
  if (original.length === 0) return;
  const wait = env.blueGreen.terminationWaitSeconds;
  if (wait === 0 || !previousGood) {
    await terminateInstances(original, cliTerminator(env, paths, host, events));
    record.blueGreen = { ...record.blueGreen!, originalTerminated: true };
  } else {
    const until = new Date(Date.now() + wait * 1000).toISOString();
    await writeFleets(paths.env(env.name), { standby: { instances: original, until, revision: previousGood.revision, deploymentId: record.deploymentId } });
    record.blueGreen = { ...record.blueGreen!, keepOriginalUntil: until };
    events({ type: 'notice', level: 'info', message: `blue/green: the original fleet ${original.join(', ')} is kept on standby until ${clock(until)} (terminationWaitSeconds ${wait}): mod rollback --fast re-routes to it` });
  }
  await history.save(record);
}

function rolloutError(failure: import('./codedeploy-agent.js').LifecycleEventFailedError): NonNullable<DeploymentRecord['error']> {
  return {
    code: failure.code,
    message: failure.message,
    hint: failure.hint,
    instanceId: failure.instanceId,
    event: failure.event,
    exitCode: failure.record.exitCode,
    logTail: failure.record.logTail,
    logFile: failure.record.logFile,
  };
}

/**
 * A fast rollback within the window: when the kept fleet runs the revision
 * rolled back to and every instance of it is still healthy behind the
 * endpoint, traffic is switched back to it (one swap, no reinstall) and the
 * fleet rolled back from is handed to the host to terminate now. Undefined
 * when it cannot (then the normal path runs).
 */
export async function rerouteToKeptFleet(rollout: Omit<LocalRollout, 'signal'>, target: DeploymentRecord): Promise<RolloutResult | undefined> {
  const { env, paths, host, history, record, events } = rollout;
  const envDir = paths.env(env.name);
  const { standby } = await readFleets(envDir);
  if (!standby || standby.terminating) return undefined;
  if (standby.revision.commit !== target.revision.commit) {
    events({ type: 'notice', level: 'info', message: `blue/green: the kept fleet runs ${standby.revision.commit.slice(0, 8)}, not ${target.revision.commit.slice(0, 8)}: redeploying instead` });
    return undefined;
  }
  const targets = await host.targets();
  const unhealthy = standby.instances.filter((id) => targets.find((t) => t.id === id)?.state !== 'healthy');
  if (unhealthy.length > 0) {
    events({ type: 'notice', level: 'warn', message: `blue/green: the kept fleet is not healthy (${unhealthy.join(', ')}): redeploying instead` });
    return undefined;
  }
  const live = targets.filter((t) => t.state !== 'draining' && !t.standby).map((t) => t.id);
  const started = new Date().toISOString();
  record.deploymentType = 'blue-green';
  record.build = { reused: true, durationMs: 0 };
  record.revision.bundle = standby.revision.bundle ?? target.revision.bundle;
  const why = `re-routed to the kept fleet ${standby.instances.join(', ')}, which still ran ${standby.revision.commit.slice(0, 8)} (standby until ${clock(standby.until)}): no reinstall`;
  record.blueGreen = { originalInstances: live, replacementInstances: standby.instances, keepOriginalUntil: new Date().toISOString(), reroute: why };
  record.instances = standby.instances.map((id) => keptInstanceRecord(id, started));
  events({ type: 'build.reused', commit: record.revision.commit, bundle: record.revision.bundle ?? '' });
  events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: record.revision.commit, instanceIds: standby.instances, rollout: 'AllAtOnce' });
  await host.switchTraffic(standby.instances, {}, 5000);
  const ended = new Date().toISOString();
  for (const instance of record.instances) {
    const allow = instance.events.find((e) => e.name === 'AllowTraffic')!;
    Object.assign(allow, { endedAt: ended, durationMs: Date.parse(ended) - Date.parse(started) });
    events({ type: 'lifecycle', instanceId: instance.instanceId, event: 'AllowTraffic', status: 'Succeeded', durationMs: allow.durationMs, message: allow.message });
  }
  events({ type: 'notice', level: 'info', message: `blue/green: ${why}` });
  // The fleet rolled back from: the host terminates it now (the CLI need not wait for its ApplicationStop).
  await writeFleets(envDir, live.length ? { standby: { instances: live, until: new Date().toISOString(), revision: history ? ((await currentRevision(history, live)) ?? record.revision) : record.revision, deploymentId: record.deploymentId } } : {});
  await history.save(record);
  return { status: 'Succeeded' };
}

async function currentRevision(history: DeploymentHistory, live: string[]): Promise<RevisionRef | undefined> {
  const recent = await history.list(20);
  return recent.find((d) => d.status === 'Succeeded' && d.instances.some((i) => live.includes(i.instanceId)))?.revision;
}

function keptInstanceRecord(instanceId: string, at: string): InstanceRecord {
  const record = newInstanceRecord(instanceId);
  record.status = 'Succeeded';
  for (const event of record.events) {
    if (event.name === 'AllowTraffic') Object.assign(event, { status: 'Succeeded', startedAt: at, message: 're-routed: the kept fleet already ran this revision' });
    else event.status = 'Skipped';
  }
  return record;
}

/** Instances of the environment's kept fleet, for status. */
export async function standbyOf(paths: StatePaths, envName: string): Promise<StandbyFleet | undefined> {
  return (await readFleets(paths.env(envName))).standby;
}

export type { LocalInstance };
