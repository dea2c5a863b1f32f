// Runs a shell script as its own process group with a timeout and an abort
// signal, writing all of its output to a log file. Used for buildspec phases
// and appspec hooks alike. By default we wait for the process to exit, not
// for its output pipes to close, so a command that starts a daemon cannot
// hang a build. Appspec hooks ask for `waitForOutput`: the CodeDeploy agent
// (hook_executor.rb) reads stdout and stderr to their end within the script's
// timeout, so a background process left holding them fails the hook there.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

export interface ScriptResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** With `waitForOutput`: the pipe a descendant still held open when the timeout came (the script itself had exited). */
  outputLeftOpen?: 'stdout' | 'stderr';
}

export interface RunScriptOptions {
  command: string;
  args?: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  logFile: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called for each complete output line. */
  onLine?: (line: string) => void;
  /** How long a process gets after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /**
   * Also wait, within the same timeout, for stdout and then stderr to reach
   * their end (every process holding them closed them), as the CodeDeploy
   * agent does; off by default (buildspec commands).
   */
  waitForOutput?: boolean;
  /** Called once the process is spawned with its pid, which is also its process-group id. */
  onSpawn?: (pid: number) => void;
  /** Run as this user (mod runs as root): buildspec `run-as`. */
  user?: { uid: number; gid: number };
}

export async function runScript(options: RunScriptOptions): Promise<ScriptResult> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const started = Date.now();
  const child = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);

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
  const closed = (stream: NodeJS.ReadableStream) => new Promise<void>((resolve) => stream.once('close', () => resolve()));
  const stdoutClosed = closed(child.stdout);
  const stderrClosed = closed(child.stderr);

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
    killTimer ??= setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 3000);
  };
  let expire: () => void = () => {};
  const expired = new Promise<void>((resolve) => (expire = resolve));
  const timer = setTimeout(expire, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    terminate();
    expire();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => {
    // Not spawned (e.g. ENOENT): nothing to time out or abort.
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    log.end();
  });
  let result = await Promise.race([exited, expired.then(() => undefined)]);
  if (!result) {
    if (!aborted) {
      timedOut = true;
      terminate();
    }
    result = await exited;
  }
  let outputLeftOpen: ScriptResult['outputLeftOpen'];
  if (options.waitForOutput && !timedOut && !aborted) {
    // The same deadline as the script's, as the agent's ThreadJoiner has.
    for (const [name, done] of [
      ['stdout', stdoutClosed],
      ['stderr', stderrClosed],
    ] as const) {
      const ended = await Promise.race([done.then(() => true), expired.then(() => false)]);
      if (ended) continue;
      if (!aborted) outputLeftOpen = name;
      // The agent leaves such a process running; locally we end the hook's
      // process group so that an instance does not collect orphans.
      terminate();
      break;
    }
  } else {
    // Give the pipes a moment to deliver what was written before exit, but do
    // not wait for descendants that inherited them.
    await Promise.race([Promise.all([stdoutClosed, stderrClosed]), new Promise((resolve) => setTimeout(resolve, 20))]);
  }
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  child.stdout.destroy();
  child.stderr.destroy();
  if (killTimer) {
    // The leader is gone; make sure nothing of the group outlives a kill.
    clearTimeout(killTimer);
    killGroup('SIGKILL');
  }
  if (pending && options.onLine) options.onLine(pending);
  await new Promise((resolve) => log.end(resolve));
  return { exitCode: result.code, signal: result.signal, timedOut, aborted, durationMs: Date.now() - started, ...(outputLeftOpen ? { outputLeftOpen } : {}) };
}

/** The last `lines` non-empty lines of a log file, bounded in bytes read. */
export async function tailFile(file: string, lines = 20, maxBytes = 64 * 1024): Promise<string[]> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - maxBytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer
        .toString('utf8')
        .split('\n')
        .map((l) => l.replace(/\r$/, ''))
        .filter((l) => l.trim() !== '')
        .slice(-lines);
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}
