// The local stand-in for the CodeDeploy agent on one instance: it runs the
// in-place lifecycle (block traffic, ApplicationStop from the last revision
// installed, download, install, start, validate, allow traffic), and the
// installed revision's ApplicationStop when the environment is stopped.
// Which revision's scripts run where follows the agent's command_executor.rb
// and hook_executor.rb (aws/aws-codedeploy-agent).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ModError } from '../../../errors.js';
import type { EventStatus, InstanceRecord, LifecycleEventRecord } from '../../deployment.js';
import { LIFECYCLE, RUN_FROM_PREVIOUS_REVISION, readRevisionAppspec, type Appspec, type LifecycleEventName, type ScriptEvent } from './appspec.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
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
  /** Each line a hook script writes (stdout and stderr), as it comes. */
  onHookOutput?: (instanceId: string, event: string, line: string) => void;
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

/**
 * `deployment-root/last-successful.json`: the last revision whose Install
 * succeeded on the instance, recorded when Install succeeds, as the agent
 * records `deployment-instructions/<group>_last_successful_install`, even if
 * a later event of that deployment failed. Its scripts run the next
 * deployment's BeforeBlockTraffic, AfterBlockTraffic and ApplicationStop.
 */
interface LastSuccessful {
  deploymentId: string;
  archiveDir: string;
  bundleDir?: string;
}

/** Default script timeout (script_info.rb) and the agent's bounds on an event's total (command_acknowledgement_request_builder.rb). */
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 3600;
const MIN_EVENT_SECONDS = 60;
const MAX_EVENT_SECONDS = 4200;

/**
 * How long a lifecycle event may run: the agent sends the sum of its
 * scripts' timeouts (3600 for one without) as the command's limit, raised to
 * 60 s and lowered to 4200 s, and the service fails the event past it.
 */
export function eventTimeLimitSeconds(hooks: readonly { timeout?: number }[]): number {
  const total = hooks.reduce((sum, hook) => sum + (hook.timeout ?? DEFAULT_SCRIPT_TIMEOUT_SECONDS), 0);
  return Math.min(Math.max(total, MIN_EVENT_SECONDS), MAX_EVENT_SECONDS);
}

/** A script's timeout at the moment it starts: its own, within the local cap and what is left of the event's limit. */
export function scriptTimeout(hook: { timeout?: number }, capSeconds: number, eventLimitSeconds: number, eventElapsedMs: number): { seconds: number; reason?: string } {
  const own = Math.min(hook.timeout ?? DEFAULT_SCRIPT_TIMEOUT_SECONDS, capSeconds);
  const left = Math.max(1, Math.floor(eventLimitSeconds - eventElapsedMs / 1000));
  if (left < own) return { seconds: left, reason: `the event's limit of ${eventLimitSeconds}s, the sum of its scripts' timeouts within 60..4200s, ran out` };
  return own < (hook.timeout ?? DEFAULT_SCRIPT_TIMEOUT_SECONDS) ? { seconds: own, reason: `capped by hookTimeoutSeconds (${capSeconds}s)` } : { seconds: own };
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
  const lastInstallFile = path.join(deploymentRoot, 'last-successful.json');
  const previous = await readLastSuccessful(deploymentRoot);
  // The agent reads the last installed revision's appspec for those events
  // and fails the deployment when it cannot (an archive removed by hand).
  let previousAppspec: Appspec | undefined;
  let previousError: string | undefined;
  if (previous) {
    try {
      previousAppspec = await readRevisionAppspec(previous.archiveDir);
    } catch (error) {
      previousError = `the last revision installed here (deployment ${previous.deploymentId}) has no readable appspec at ${previous.archiveDir}: ${(error as Error).message}; the agent fails too (to skip that revision's scripts, delete ${lastInstallFile})`;
    }
  }
  const bundle = { bucket: path.dirname(deployment.bundleDir), key: path.basename(deployment.bundleDir) };
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
          // The agent cleans old archives first, never the last one installed.
          await pruneOldArchives(deploymentRoot, [deployment.deploymentId, previous?.deploymentId]);
          await rm(archiveDir, { recursive: true, force: true });
          await linkTree(deployment.bundleDir, archiveDir);
          appspec = await readRevisionAppspec(archiveDir);
          finish('Succeeded');
          break;
        case 'Install':
          await installFiles(instance, appspec!, archiveDir);
          await writeJsonAtomic(lastInstallFile, { deploymentId: deployment.deploymentId, archiveDir, bundleDir: deployment.bundleDir } satisfies LastSuccessful);
          finish('Succeeded');
          break;
        default: {
          const fromPrevious = RUN_FROM_PREVIOUS_REVISION.has(name);
          if (fromPrevious && previousError) throw new Error(previousError);
          const spec = fromPrevious ? previousAppspec : appspec;
          const root = fromPrevious ? previous?.archiveDir : archiveDir;
          const hooks = spec?.hooks[name as ScriptEvent] ?? [];
          if (!root || hooks.length === 0) {
            finish('Skipped');
            break;
          }
          const logFile = path.join(logDir, `${name}.log`);
          const limit = eventTimeLimitSeconds(hooks);
          const onHookOutput = deployment.onHookOutput;
          for (const hook of hooks) {
            const timeout = scriptTimeout(hook, deployment.hookTimeoutCapSeconds, limit, Date.now() - started);
            const outcome = await runHook(
              instance,
              { ...deployment, bundle },
              {
                event: name,
                archiveDir: root,
                hook,
                timeoutSeconds: timeout.seconds,
                timeoutReason: timeout.reason,
                logFile,
                onLine: onHookOutput ? (line) => onHookOutput(instance.id, name, line) : undefined,
              },
            );
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
  const limit = eventTimeLimitSeconds(hooks);
  const started = Date.now();
  const bundleDir = installed.bundleDir;
  for (const hook of hooks) {
    const timeout = scriptTimeout(hook, stop.hookTimeoutCapSeconds, limit, Date.now() - started);
    const failure = await runHook(
      instance,
      {
        deploymentId: 'stop',
        applicationName: stop.applicationName,
        deploymentGroupName: stop.deploymentGroupName,
        env: stop.env,
        bundle: bundleDir ? { bucket: path.dirname(bundleDir), key: path.basename(bundleDir) } : undefined,
      },
      { event: 'ApplicationStop', archiveDir: installed.archiveDir, hook, timeoutSeconds: timeout.seconds, timeoutReason: timeout.reason, logFile: path.join(instance.dir, 'stop.log') },
    );
    if (failure) stop.onHookFailed(failure.message);
  }
  return { ranApplicationStop: hooks.length > 0 };
}

/** The archive whose ApplicationStop `stopInstance` runs: the last one installed successfully. */
async function installedArchive(instance: LocalInstance): Promise<{ archiveDir: string; bundleDir?: string; appspec: Appspec } | undefined> {
  const last = await readLastSuccessful(path.join(instance.dir, 'deployment-root'));
  if (!last) return undefined;
  const appspec = await readRevisionAppspec(last.archiveDir).catch(() => undefined);
  return appspec ? { archiveDir: last.archiveDir, bundleDir: last.bundleDir, appspec } : undefined;
}

async function readLastSuccessful(deploymentRoot: string): Promise<LastSuccessful | undefined> {
  const last = await readJson<LastSuccessful>(path.join(deploymentRoot, 'last-successful.json')).catch(() => undefined);
  return last?.deploymentId && last.archiveDir ? last : undefined;
}
