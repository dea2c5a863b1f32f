// One appspec hook script run on a local instance the way the CodeDeploy
// agent runs it: CodeDeploy's environment variables, the hook's timeout, and
// a failure described for the deployment record (exit code, log tail).
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LifecycleEventRecord } from '../../deployment.js';
import type { LocalInstance } from './local-instances.js';
import { runScript, tailFile } from './run-script.js';

/** What a hook's environment says about the deployment it runs in. */
export interface HookContext {
  deploymentId: string;
  applicationName: string;
  deploymentGroupName: string;
  /** Extra variables for the hooks (the instance's service configuration). */
  env: Record<string, string>;
  signal?: AbortSignal;
}

/** The parts of the event's record a failed hook fills in. */
export type HookFailure = Partial<LifecycleEventRecord> & { message: string };

export function hookEnvironment(instance: LocalInstance, deployment: HookContext, event: string): Record<string, string> {
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

export async function runHook(instance: LocalInstance, deployment: HookContext, event: string, archiveDir: string, location: string, timeoutSeconds: number, logFile: string): Promise<HookFailure | undefined> {
  const script = path.join(archiveDir, location);
  try {
    await access(script, constants.X_OK);
  } catch {
    const exists = await stat(script).then(
      () => true,
      () => false,
    );
    return {
      exitCode: null,
      message: exists ? `script ${location} is not executable (chmod +x ${location} and commit it)` : `script ${location} does not exist in the revision (check hooks.${event} in appspec.yml)`,
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
