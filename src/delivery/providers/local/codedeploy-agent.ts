// The local stand-in for the CodeDeploy agent on one instance: it runs the
// in-place lifecycle (block traffic, ApplicationStop from the previous
// revision, download, install, start, validate, allow traffic), and the
// installed revision's ApplicationStop when the environment is stopped.
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModError } from '../../../errors.js';
import type { EventStatus, InstanceRecord, LifecycleEventRecord } from '../../deployment.js';
import { LIFECYCLE, RUN_FROM_PREVIOUS_REVISION, readAppspec, type Appspec, type LifecycleEventName, type ScriptEvent } from './appspec.js';
import { writeJsonAtomic } from './json-file.js';
import { runHook, type HookContext } from './lifecycle-hook.js';
import type { LocalInstance } from './local-instances.js';
import { tailFile } from './run-script.js';
import { installFiles, linkTree, pruneOldArchives } from './revision-files.js';

export interface TrafficControl {
  /** Stop routing new requests to the instance and let in-flight ones finish. */
  block(instance: LocalInstance): Promise<void>;
  /** Route to the instance once its health check passes; rejects if it never does. */
  allow(instance: LocalInstance, signal?: AbortSignal): Promise<void>;
}

export interface AgentDeployment extends HookContext {
  /** The built revision bundle (read-only). */
  bundleDir: string;
  hookTimeoutCapSeconds: number;
  traffic: TrafficControl;
  onEvent: (instanceId: string, event: LifecycleEventRecord) => void;
}

export class LifecycleEventFailedError extends ModError {
  constructor(
    readonly instanceId: string,
    readonly event: string,
    message: string,
    readonly record: LifecycleEventRecord,
  ) {
    super('LIFECYCLE_EVENT_FAILED', `${instanceId}: ${event} failed: ${message}`, {
      hint: record.logFile ? `hook log: ${record.logFile}` : undefined,
    });
  }
}

interface LastSuccessful {
  deploymentId: string;
  archiveDir: string;
}

export interface InstanceOutcome {
  record: InstanceRecord;
  /** Why the instance failed; undefined when it succeeded or was stopped between events. */
  failure?: LifecycleEventFailedError;
}

export function newInstanceRecord(instanceId: string): InstanceRecord {
  return { instanceId, status: 'Pending', events: LIFECYCLE.map((name) => ({ name, status: 'Pending' as EventStatus })) };
}

/** Runs the lifecycle on one instance, updating `record` in place as it goes. */
export async function deployToInstance(instance: LocalInstance, deployment: AgentDeployment, record = newInstanceRecord(instance.id)): Promise<InstanceOutcome> {
  record.status = 'InProgress';
  const deploymentRoot = path.join(instance.dir, 'deployment-root');
  const archiveDir = path.join(deploymentRoot, deployment.deploymentId, 'deployment-archive');
  const logDir = path.join(deploymentRoot, deployment.deploymentId, 'logs');
  const previous = await readLastSuccessful(deploymentRoot);
  const previousAppspec = previous ? await readAppspec(path.join(previous.archiveDir, 'appspec.yml')).catch(() => undefined) : undefined;
  let appspec: Appspec | undefined;

  for (const eventRecord of record.events) {
    const name = eventRecord.name as LifecycleEventName;
    if (deployment.signal?.aborted) {
      record.status = 'Failed';
      eventRecord.status = 'Skipped';
      continue;
    }
    const started = Date.now();
    eventRecord.startedAt = new Date(started).toISOString();
    eventRecord.status = 'InProgress';
    deployment.onEvent(instance.id, eventRecord);
    const finish = (status: EventStatus, extra: Partial<LifecycleEventRecord> = {}) => {
      Object.assign(eventRecord, extra, { status, endedAt: new Date().toISOString(), durationMs: Date.now() - started });
      deployment.onEvent(instance.id, eventRecord);
    };

    try {
      switch (name) {
        case 'BlockTraffic':
          await deployment.traffic.block(instance);
          finish('Succeeded');
          break;
        case 'AllowTraffic':
          await deployment.traffic.allow(instance, deployment.signal);
          finish('Succeeded');
          break;
        case 'DownloadBundle':
          await rm(archiveDir, { recursive: true, force: true });
          await linkTree(deployment.bundleDir, archiveDir);
          appspec = await readAppspec(path.join(archiveDir, 'appspec.yml'), 'appspec.yml');
          finish('Succeeded');
          break;
        case 'Install':
          await installFiles(instance, appspec!, archiveDir);
          finish('Succeeded');
          break;
        default: {
          const fromPrevious = RUN_FROM_PREVIOUS_REVISION.has(name);
          const spec = fromPrevious ? previousAppspec : appspec;
          const root = fromPrevious ? previous?.archiveDir : archiveDir;
          const hooks = spec?.hooks[name as ScriptEvent] ?? [];
          if (!root || hooks.length === 0) {
            finish('Skipped');
            break;
          }
          const logFile = path.join(logDir, `${name}.log`);
          for (const hook of hooks) {
            const outcome = await runHook(instance, deployment, name, root, hook.location, Math.min(hook.timeout ?? 3600, deployment.hookTimeoutCapSeconds), logFile);
            if (outcome) {
              finish('Failed', outcome);
              throw new LifecycleEventFailedError(instance.id, name, outcome.message, eventRecord);
            }
          }
          finish('Succeeded', { logFile, logTail: await tailFile(logFile, 5) });
        }
      }
    } catch (error) {
      if (eventRecord.status === 'InProgress') {
        finish('Failed', { message: (error as Error).message });
      }
      record.status = 'Failed';
      for (const rest of record.events) if (rest.status === 'Pending') rest.status = 'Skipped';
      const failure = error instanceof LifecycleEventFailedError ? error : new LifecycleEventFailedError(instance.id, name, (error as Error).message, eventRecord);
      return { record, failure };
    }
  }
  if (record.status === 'Failed') return { record }; // stopped between events
  await writeJsonAtomic(path.join(deploymentRoot, 'last-successful.json'), { deploymentId: deployment.deploymentId, archiveDir } satisfies LastSuccessful);
  await pruneOldArchives(deploymentRoot, [deployment.deploymentId, previous?.deploymentId]);
  record.status = 'Succeeded';
  return { record };
}

export interface AgentStop extends Omit<HookContext, 'deploymentId' | 'signal'> {
  hookTimeoutCapSeconds: number;
  /** Told of each script that fails; the rest still run, since stopping is best effort. */
  onHookFailed: (message: string) => void;
}

/**
 * Runs the installed revision's ApplicationStop scripts, as the agent does
 * before a new revision; outside a deployment, so DEPLOYMENT_ID is "stop" and
 * the output goes to the instance's stop.log. Says whether there were any.
 */
export async function stopInstance(instance: LocalInstance, stop: AgentStop): Promise<{ ranApplicationStop: boolean }> {
  const installed = await installedArchive(instance);
  if (!installed) return { ranApplicationStop: false };
  const hooks = installed.appspec.hooks.ApplicationStop ?? [];
  for (const hook of hooks) {
    const failure = await runHook(
      instance,
      { deploymentId: 'stop', applicationName: stop.applicationName, deploymentGroupName: stop.deploymentGroupName, env: stop.env },
      'ApplicationStop',
      installed.archiveDir,
      hook.location,
      Math.min(hook.timeout ?? 3600, stop.hookTimeoutCapSeconds),
      path.join(instance.dir, 'stop.log'),
    );
    if (failure) stop.onHookFailed(failure.message);
  }
  return { ranApplicationStop: hooks.length > 0 };
}

/** The archive whose ApplicationStop `stopInstance` runs: the last one installed successfully. */
async function installedArchive(instance: LocalInstance): Promise<{ archiveDir: string; appspec: Appspec } | undefined> {
  const last = await readLastSuccessful(path.join(instance.dir, 'deployment-root'));
  if (!last) return undefined;
  const appspec = await readAppspec(path.join(last.archiveDir, 'appspec.yml')).catch(() => undefined);
  return appspec ? { archiveDir: last.archiveDir, appspec } : undefined;
}

async function readLastSuccessful(deploymentRoot: string): Promise<LastSuccessful | undefined> {
  try {
    const last = JSON.parse(await readFile(path.join(deploymentRoot, 'last-successful.json'), 'utf8')) as LastSuccessful;
    await stat(last.archiveDir);
    return last;
  } catch {
    return undefined;
  }
}
