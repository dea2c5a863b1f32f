// One appspec hook script run on a local instance the way the CodeDeploy
// agent runs it (aws-codedeploy-agent: hook_executor.rb, linux_util.rb,
// command_executor.rb): CodeDeploy's environment variables, `chmod +x` of a
// script that is not executable, `runas`/`sudo` through su/sudo, the agent's
// working directory rather than the archive, the script's timeout covering
// its exit and the end of its output, and a failure described for the
// deployment record (exit code, log tail).
import { access, appendFile, chmod, constants, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LifecycleEventRecord } from '../../deployment.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
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
  /**
   * The revision's location, given to hooks as the agent gives an S3
   * revision's (BUNDLE_BUCKET, BUNDLE_KEY, BUNDLE_VERSION, BUNDLE_ETAG):
   * locally the bundle store and the bundle's key in it.
   */
  bundle?: { bucket: string; key: string; version?: string; etag?: string };
}

/** The parts of the event's record a failed hook fills in. */
export type HookFailure = Partial<LifecycleEventRecord> & { message: string };

/** A script entry of an appspec hook (`sudo` is read if the parser keeps it). */
export interface HookScript {
  location: string;
  runas?: string;
  sudo?: unknown;
}

export interface HookRun {
  event: string;
  /** The revision's archive the script is read from (the current or the last installed one). */
  archiveDir: string;
  hook: HookScript;
  timeoutSeconds: number;
  /** Said when the timeout is the event's limit rather than the script's own. */
  timeoutReason?: string;
  logFile: string;
  onLine?: (line: string) => void;
}

/** What `<instance.dir>/running-hook.json` holds while a hook runs (read by the stale-lock takeover to kill orphans). */
export interface RunningHook {
  /** The hook's process-group id (the spawned process's pid). */
  pid: number;
  deploymentId: string;
  event: string;
  location: string;
  startedAt: string;
}

export const RUNNING_HOOK_FILE = 'running-hook.json';

/**
 * The hook's environment. The agent runs scripts with its own environment
 * (a systemd service's: PATH and LANG, no HOME) plus LIFECYCLE_EVENT,
 * DEPLOYMENT_ID, APPLICATION_NAME, DEPLOYMENT_GROUP_NAME,
 * DEPLOYMENT_GROUP_ID and, for an S3 revision, BUNDLE_*; the MOD_* and PORT
 * variables are local-only, so the same scripts find the instance's root.
 */
export function hookEnvironment(instance: LocalInstance, deployment: HookContext, event: string): Record<string, string> {
  const bundle = deployment.bundle;
  return {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...deployment.env,
    LIFECYCLE_EVENT: event,
    DEPLOYMENT_ID: deployment.deploymentId,
    APPLICATION_NAME: deployment.applicationName,
    DEPLOYMENT_GROUP_NAME: deployment.deploymentGroupName,
    DEPLOYMENT_GROUP_ID: `local-${deployment.deploymentGroupName}`,
    ...(bundle ? { BUNDLE_BUCKET: bundle.bucket, BUNDLE_KEY: bundle.key } : {}),
    ...(bundle?.version ? { BUNDLE_VERSION: bundle.version } : {}),
    ...(bundle?.etag ? { BUNDLE_ETAG: bundle.etag } : {}),
    MOD_INSTANCE_ID: instance.id,
    MOD_INSTANCE_DIR: instance.dir,
    MOD_INSTANCE_ROOT: instance.root,
    PORT: String(instance.port),
  };
}

/** What this machine offers for running a script as another user. */
export interface UserSwitching {
  uid: number;
  su?: string;
  sudo?: string;
}

export type HookCommand = { command: string; args: string[] } | { refused: string };

// Ruby's popen3 passes a command string with shell metacharacters to
// /bin/sh; one without them is split on blanks and executed directly: the
// same words either way, so a location with any of these runs through sh.
const SHELL_SPECIAL = /[\s*?{}[\]<>()~&|\\$;'`"#=%!]/;

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The command the agent builds for a script (linux_util.rb
 * prepare_script_command): `sudo su <runas> -c <path>`, `su <runas> -c
 * <path>`, `sudo <path>` or the path itself. The archive's directory is
 * quoted (locally it may hold blanks; on EC2 it never does); the location
 * is left to the shell as the agent leaves it.
 */
export function hookCommand(archiveDir: string, hook: HookScript, host: UserSwitching): HookCommand {
  const script = path.join(archiveDir, hook.location);
  const forShell = `${shellQuote(archiveDir)}/${hook.location}`;
  const runas = hook.runas;
  // Ruby truthiness, as the agent's `!!script.sudo`: anything but nil/false.
  const sudo = hook.sudo !== undefined && hook.sudo !== null && hook.sudo !== false;
  const root = host.uid === 0;
  // As root, sudo changes nothing the script can tell, beyond what sudoers does to the environment.
  const useSudo = sudo && !(root && !host.sudo);
  if (useSudo && !host.sudo) return { refused: `sudo: true needs sudo, which is not installed here (the agent runs \`sudo ${runas ? `su ${runas} -c ` : ''}<script>\`)` };
  if (runas) {
    if (!host.su) return { refused: `runas: ${runas} needs su, which is not installed here (the agent runs \`su ${runas} -c <script>\`)` };
    if (!root && !useSudo) {
      return {
        refused: `runas: ${runas} needs the agent to run as root: it runs \`su ${runas} -c <script>\`, and su asks anyone else for a password (the agent then fails the script with exit code 1); mod runs as uid ${host.uid} here`,
      };
    }
    const su = [host.su, runas, '-c', forShell];
    return useSudo ? { command: host.sudo!, args: su } : { command: su[0]!, args: su.slice(1) };
  }
  const direct = SHELL_SPECIAL.test(hook.location) ? ['/bin/sh', '-c', forShell] : [script];
  return useSudo ? { command: host.sudo!, args: direct } : { command: direct[0]!, args: direct.slice(1) };
}

async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

export async function userSwitching(): Promise<UserSwitching> {
  return { uid: process.getuid?.() ?? 0, su: await findExecutable('su'), sudo: await findExecutable('sudo') };
}

/**
 * The agent's `chmod +x` of a script that is not executable. The archive's
 * files are hard links into the immutable bundle locally, so the link is
 * broken first: only this archive's copy changes, as only the agent's
 * freshly unpacked copy does on EC2.
 */
async function makeExecutable(script: string): Promise<void> {
  const before = await stat(script);
  if (before.nlink > 1) {
    const copy = `${script}.mod-chmod-${process.pid}`;
    await copyFile(script, copy);
    await rename(copy, script);
  }
  await chmod(script, (before.mode & 0o7777) | 0o111);
}

export async function runHook(instance: LocalInstance, deployment: HookContext, run: HookRun): Promise<HookFailure | undefined> {
  const { event, archiveDir, hook, timeoutSeconds, logFile } = run;
  const location = hook.location;
  const script = path.join(archiveDir, location);
  const who = hook.runas ? ` run as user ${hook.runas}` : '';
  const note = (line: string) => appendFile(logFile, `${line}\n`).catch(() => {});
  await mkdir(path.dirname(logFile), { recursive: true });

  const found = await stat(script).catch(() => undefined);
  if (!found) {
    return { exitCode: null, logFile, message: `script ${location} does not exist at ${script} (the agent: "Script does not exist at specified location"; check hooks.${event} in appspec.yml)` };
  }
  const executable = await access(script, constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!executable) {
    // hook_executor.rb: warns, makes it executable and carries on.
    await note(`[mod] Script at specified location: ${location} is not executable.  Trying to make it executable.`);
    try {
      await makeExecutable(script);
    } catch (error) {
      return { exitCode: null, logFile, message: `Unable to set script at specified location: ${location} as executable (${(error as Error).message})` };
    }
  }

  const command = hookCommand(archiveDir, hook, await userSwitching());
  if ('refused' in command) return { exitCode: null, logFile, message: `script ${location}${who} cannot run: ${command.refused}` };

  const runningFile = path.join(instance.dir, RUNNING_HOOK_FILE);
  let ownPid: number | undefined;
  let recording: Promise<void> = Promise.resolve();
  const result = await runScript({
    command: command.command,
    args: command.args,
    // The agent never changes directory: scripts run in its own, `/` under
    // systemd. Locally that is the instance's root, which stands for `/`, so
    // a hook relying on the archive as its working directory fails here as
    // it would on EC2.
    cwd: instance.root,
    env: hookEnvironment(instance, deployment, event),
    logFile,
    timeoutMs: timeoutSeconds * 1000,
    signal: deployment.signal,
    waitForOutput: true,
    onLine: run.onLine,
    onSpawn: (pid) => {
      ownPid = pid;
      const running: RunningHook = { pid, deploymentId: deployment.deploymentId, event, location, startedAt: new Date().toISOString() };
      recording = writeJsonAtomic(runningFile, running).catch(() => {});
    },
  });
  await recording;
  if (ownPid !== undefined) {
    // Remove only our own record: a process removes only what it owns.
    const current = await readJson<RunningHook>(runningFile).catch(() => undefined);
    if (current?.pid === ownPid) await rm(runningFile, { force: true });
  }

  if (result.exitCode === 0 && !result.timedOut && !result.aborted && !result.outputLeftOpen) return undefined;
  const logTail = await tailFile(logFile, 20);
  if (result.aborted) {
    return { exitCode: result.exitCode, logTail, logFile, message: `script ${location} was stopped (interrupted)` };
  }
  if (result.outputLeftOpen) {
    const pipe = result.outputLeftOpen.toUpperCase();
    return {
      exitCode: result.exitCode,
      timedOut: true,
      logTail,
      logFile,
      message: `script ${location}${who} failed to close ${pipe} within its ${timeoutSeconds}s timeout: it exited (${result.exitCode ?? result.signal}), but a background process kept stdout/stderr open: redirect its output, e.g. \`> /dev/null 2>&1 &\``,
    };
  }
  if (result.timedOut) {
    return { exitCode: null, timedOut: true, logTail, logFile, message: `script ${location}${who} timed out after ${timeoutSeconds}s${run.timeoutReason ? ` (${run.timeoutReason})` : ''}` };
  }
  const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
  const unreachable = hook.runas && result.exitCode === 126 ? ` (can user ${hook.runas} reach ${archiveDir}? On EC2 the archive is under /opt/codedeploy-agent/deployment-root, which every user can read)` : '';
  return { exitCode: result.exitCode, logTail, logFile, message: `script ${location}${who} ${how}${unreachable}` };
}
