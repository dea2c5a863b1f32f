// The shell a buildspec's commands run in, the way CodeBuild runs them: each
// command is written to a script and run by a fresh `sh` (or bash), and what
// the command left behind (variables, exported or not, and the working
// directory) is captured on exit and replayed into the next command's shell.
// So `IMAGE_TAG=...` in pre_build is set in post_build, `cd` sticks, and
// `exit 0` ends only that command, successfully (buildspec version 0.2).
// Version 0.1 runs every command from the same starting state.
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runScript } from './run-script.js';

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
    // Its own process group (a timeout or abort kills the whole group); we wait for the exit, not for
    // the pipes to close, so a command that leaves a daemon behind cannot hang the build.
    const { exitCode, signal, timedOut, aborted } = await runScript({ command: this.options.shell, args: [script], cwd: this.cwd, env, logFile: this.options.logFile, ...run, timeoutMs: Math.max(run.timeoutMs, 1) });
    const result: CommandRun = { exitCode, signal, timedOut, aborted };
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
