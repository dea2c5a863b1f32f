// The shell a buildspec's commands run in, the way CodeBuild runs them: each
// command is written to a script and run by a fresh `sh` (or bash), and what
// the command left behind (variables, exported or not, and the working
// directory) is captured on exit and replayed into the next command's shell.
// So `IMAGE_TAG=...` in pre_build is set in post_build, `cd` sticks, and
// `exit 0` ends only that command, successfully (buildspec version 0.2).
// Version 0.1 runs every command from the same starting state.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ShellUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface CommandRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

export interface RunCommandOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  user?: ShellUser;
  onLine?: (line: string) => void;
  /** Variables that change between phases (CODEBUILD_BUILD_SUCCEEDING); they win over the saved state. */
  overrides?: Record<string, string>;
}

// Variables the shell itself maintains; replaying them would be wrong or fail (readonly in bash).
const SHELL_OWNED = new Set([
  '_',
  'PPID',
  'PWD',
  'SHLVL',
  'OPTIND',
  'OPTARG',
  'OPTERR',
  'LINENO',
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'PS1',
  'PS2',
  'PS4',
  'EUID',
  'UID',
  'GROUPS',
  'HISTCMD',
  'DIRSTACK',
  'FUNCNAME',
  'PIPESTATUS',
  'SHELLOPTS',
  'BASHOPTS',
  'HOSTTYPE',
  'MACHTYPE',
  'OSTYPE',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'COMP_WORDBREAKS',
  'MAILCHECK',
  'HISTFILE',
  'HISTFILESIZE',
  'HISTSIZE',
  'IFS',
]);
const SHELL_EXPORTED = new Set(['_', 'PWD', 'SHLVL']);
const isShellOwned = (name: string) => SHELL_OWNED.has(name) || name.startsWith('BASH') || name.startsWith('__mod_');

export class BuildShell {
  private exported: Record<string, string>;
  private unexported: Record<string, string> = {};
  private cwd: string;
  private count = 0;

  constructor(
    private readonly options: {
      shell: 'sh' | 'bash';
      env: Record<string, string | undefined>;
      cwd: string;
      /** Scratch directory for the scripts and the captured state. */
      stateDir: string;
      logFile: string;
      /** Version 0.1: every command starts from the initial state. */
      isolated?: boolean;
    },
  ) {
    this.exported = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined));
    this.cwd = options.cwd;
  }

  /** The value a variable has now (exported or not), e.g. for exported-variables. */
  variable(name: string): string | undefined {
    return this.unexported[name] ?? this.exported[name];
  }

  async run(command: string, run: RunCommandOptions): Promise<CommandRun> {
    const dir = path.join(this.options.stateDir, `cmd-${++this.count}`);
    await mkdir(dir, { recursive: true });
    if (run.user) await chown(dir, run.user.uid, run.user.gid);
    const script = path.join(dir, 'script.sh');
    const prologue = [
      ...Object.entries(this.unexported).map(([name, value]) => `${name}=${quote(value)}`),
      `__mod_state=${quote(dir)}`,
      // On exit (also `exit N` in the command): every variable, exported or not, and the directory.
      `trap '__mod_rc=$?; set +eu; unset IFS; env -0 > "$__mod_state/exported"; for __mod_n in $(set | sed -n "s/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p"); do export "$__mod_n" 2>/dev/null; done; env -0 > "$__mod_state/all"; pwd > "$__mod_state/cwd"; exit $__mod_rc' EXIT`,
      `cd ${quote(this.cwd)} || exit 1`,
    ];
    await writeFile(script, `${prologue.join('\n')}\n${command}\n`, { mode: 0o644 });
    const env = { ...this.exported, ...run.overrides };
    if (run.user) Object.assign(env, { HOME: run.user.home, USER: run.user.name, LOGNAME: run.user.name });
    const result = await spawnLogged(this.options.shell, [script], { cwd: this.cwd, env, logFile: this.options.logFile, ...run });
    if (!this.options.isolated) await this.capture(dir);
    await rm(dir, { recursive: true, force: true });
    return result;
  }

  private async capture(dir: string): Promise<void> {
    const [exported, all, cwd] = await Promise.all(['exported', 'all', 'cwd'].map((f) => readFile(path.join(dir, f)).catch(() => undefined)));
    // A command that replaced the shell (exec) or its EXIT trap leaves no state: keep the last one.
    if (!exported || !all || !cwd) return;
    const exportedVars = parseEnv(exported);
    const allVars = parseEnv(all);
    // Exported: all but what the shell exports of its own accord; a shell-owned name the environment exported stays.
    this.exported = Object.fromEntries(Object.entries(exportedVars).filter(([name]) => !SHELL_EXPORTED.has(name) && !name.startsWith('__mod_')));
    this.unexported = Object.fromEntries(Object.entries(allVars).filter(([name]) => !(name in exportedVars) && !isShellOwned(name) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)));
    const dirText = cwd.toString('utf8').replace(/\n$/, '');
    if (dirText) this.cwd = dirText;
  }
}

function parseEnv(buffer: Buffer): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of buffer.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return vars;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a process as its own group (a timeout or abort kills the whole group),
 * appending its output to the log and splitting it into lines. We wait for
 * the process to exit, not for its pipes to close: a command that leaves a
 * daemon behind cannot hang the build.
 */
async function spawnLogged(command: string, args: string[], options: RunCommandOptions & { cwd: string; env: Record<string, string>; logFile: string }): Promise<CommandRun> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  let pending = '';
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    if (!options.onLine) return;
    pending += chunk.toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      options.onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  let timedOut = false;
  let aborted = false;
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = () => {
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), 3000);
  };
  const timer = setTimeout(
    () => {
      timedOut = true;
      terminate();
    },
    Math.max(options.timeoutMs, 1),
  );
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  });
  // Let the pipes deliver what was written before exit, without waiting for descendants holding them.
  await new Promise((resolve) => setTimeout(resolve, 20));
  child.stdout.destroy();
  child.stderr.destroy();
  if (killTimer) {
    clearTimeout(killTimer);
    if (timedOut || aborted) killGroup('SIGKILL');
  }
  if (pending && options.onLine) options.onLine(pending);
  await new Promise((resolve) => log.end(resolve));
  return { exitCode: result.code, signal: result.signal, timedOut, aborted };
}
