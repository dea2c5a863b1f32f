// The local stand-in for the CodeDeploy agent on one instance: it runs the
// in-place lifecycle (block traffic, ApplicationStop from the previous
// revision, download, install, start, validate, allow traffic), executing the
// appspec hooks with CodeDeploy's environment variables and timeouts.
import { access, constants, cp, link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModError } from '../../../errors.js';
import type { EventStatus, InstanceRecord, LifecycleEventRecord } from '../../deployment.js';
import { runScript, tailFile } from './run-script.js';
import { LIFECYCLE, RUN_FROM_PREVIOUS_REVISION, readAppspec, type Appspec, type LifecycleEventName, type ScriptEvent } from './appspec.js';
import { writeJsonAtomic } from './json-file.js';
import type { LocalInstance } from './local-instances.js';

export interface TrafficControl {
  /** Stop routing new requests to the instance and let in-flight ones finish. */
  block(instance: LocalInstance): Promise<void>;
  /** Route to the instance once its health check passes; rejects if it never does. */
  allow(instance: LocalInstance, signal?: AbortSignal): Promise<void>;
}

export interface AgentDeployment {
  deploymentId: string;
  applicationName: string;
  deploymentGroupName: string;
  /** The built revision bundle (read-only). */
  bundleDir: string;
  hookTimeoutCapSeconds: number;
  /** Extra variables for the hooks (the instance's service configuration). */
  env: Record<string, string>;
  traffic: TrafficControl;
  signal?: AbortSignal;
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
              throw new LifecycleEventFailedError(instance.id, name, outcome.message ?? 'failed', eventRecord);
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

/** The archive whose hooks `mod stop` runs (ApplicationStop of what is installed). */
export async function installedArchive(instance: LocalInstance): Promise<{ archiveDir: string; appspec: Appspec } | undefined> {
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

export function hookEnvironment(instance: LocalInstance, deployment: Pick<AgentDeployment, 'deploymentId' | 'applicationName' | 'deploymentGroupName' | 'env'>, event: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...deployment.env,
    LIFECYCLE_EVENT: event,
    DEPLOYMENT_ID: deployment.deploymentId,
    APPLICATION_NAME: deployment.applicationName,
    DEPLOYMENT_GROUP_NAME: deployment.deploymentGroupName,
    DEPLOYMENT_GROUP_ID: `local-${deployment.deploymentGroupName}`,
    MOD_INSTANCE_ID: instance.id,
    MOD_INSTANCE_DIR: instance.dir,
    MOD_INSTANCE_ROOT: instance.root,
    PORT: String(instance.port),
  };
}

export async function runHook(
  instance: LocalInstance,
  deployment: Pick<AgentDeployment, 'deploymentId' | 'applicationName' | 'deploymentGroupName' | 'env' | 'signal'>,
  event: string,
  archiveDir: string,
  location: string,
  timeoutSeconds: number,
  logFile: string,
): Promise<Partial<LifecycleEventRecord> | undefined> {
  const script = path.join(archiveDir, location);
  try {
    await access(script, constants.X_OK);
  } catch {
    const exists = await stat(script).then(() => true, () => false);
    return {
      exitCode: null,
      message: exists
        ? `script ${location} is not executable (chmod +x ${location} and commit it)`
        : `script ${location} does not exist in the revision (check hooks.${event} in appspec.yml)`,
      logFile,
    };
  }
  const result = await runScript({
    command: script,
    cwd: archiveDir,
    env: hookEnvironment(instance, deployment, event),
    logFile,
    timeoutMs: timeoutSeconds * 1000,
    signal: deployment.signal,
  });
  if (result.exitCode === 0 && !result.timedOut) return undefined;
  const logTail = await tailFile(logFile, 20);
  if (result.timedOut) {
    return { exitCode: null, timedOut: true, logTail, logFile, message: `script ${location} timed out after ${timeoutSeconds}s` };
  }
  if (result.aborted) {
    return { exitCode: result.exitCode, logTail, logFile, message: `script ${location} was stopped (interrupted)` };
  }
  const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
  return { exitCode: result.exitCode, logTail, logFile, message: `script ${location} ${how}` };
}

/** Hard-links a read-only bundle into place (falls back to copying across devices). */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      if (entry.isDirectory()) await linkTree(source, target);
      else if (entry.isSymbolicLink()) await cp(source, target, { verbatimSymlinks: true });
      else await linkFile(source, target);
    }),
  );
}

async function linkFile(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await cp(source, target, { preserveTimestamps: true });
  }
}

/**
 * CodeDeploy's Install event: files installed by the previous deployment are
 * removed, then each `files` entry is placed at its destination (under the
 * instance's root directory locally). Locally the files are hard links to the
 * immutable bundle rather than copies: the same result for a service that
 * does not rewrite its own files, in a fraction of the time (node_modules).
 */
async function installFiles(instance: LocalInstance, appspec: Appspec, archiveDir: string): Promise<void> {
  const manifest = path.join(instance.dir, 'installed-files.json');
  const previous = JSON.parse((await readFile(manifest, 'utf8').catch(() => '[]')) || '[]') as string[];
  for (const dest of previous) await rm(dest, { recursive: true, force: true });
  const installed: string[] = [];
  for (const entry of appspec.files) {
    const source = path.join(archiveDir, entry.source);
    const destination = path.join(instance.root, entry.destination);
    await mkdir(destination, { recursive: true });
    const sourceStat = await stat(source).catch(() => undefined);
    if (!sourceStat) throw new Error(`files: source ${entry.source} is not in the revision`);
    const children = sourceStat.isDirectory() ? await readdir(source) : [path.basename(source)];
    const from = sourceStat.isDirectory() ? source : path.dirname(source);
    for (const child of children) {
      const target = path.join(destination, child);
      const exists = await stat(target).then(() => true, () => false);
      if (exists && appspec.file_exists_behavior === 'RETAIN') continue;
      if (exists && appspec.file_exists_behavior === 'DISALLOW') throw new Error(`files: ${target} already exists and file_exists_behavior is DISALLOW`);
      await rm(target, { recursive: true, force: true });
      const childStat = await stat(path.join(from, child));
      if (childStat.isDirectory()) await linkTree(path.join(from, child), target);
      else await linkFile(path.join(from, child), target);
      installed.push(target);
    }
  }
  await writeJsonAtomic(manifest, installed);
}

async function pruneOldArchives(deploymentRoot: string, keep: (string | undefined)[]): Promise<void> {
  const entries = await readdir(deploymentRoot, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory() && !keep.includes(e.name)).map((e) => e.name).sort();
  // CodeDeploy keeps a handful of past revisions; keep the 3 newest besides the current ones.
  for (const dir of dirs.slice(0, Math.max(0, dirs.length - 3))) {
    await rm(path.join(deploymentRoot, dir), { recursive: true, force: true });
  }
}

