// Runs a shell script as its own process group with a timeout and an abort
// signal, writing all of its output to a log file. Used for buildspec phases
// and appspec hooks alike. We wait for the process to exit, not for its
// output pipes to close, so a hook that starts a daemon cannot hang us.
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
    killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 3000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  // Give the pipes a moment to deliver what was written before exit, but do
  // not wait for descendants that inherited them.
  await new Promise((resolve) => setTimeout(resolve, 20));
  child.stdout.destroy();
  child.stderr.destroy();
  if (killTimer) {
    // The leader is gone; make sure nothing of the group outlives a kill.
    clearTimeout(killTimer);
    if (timedOut || aborted) killGroup('SIGKILL');
  }
  if (pending && options.onLine) options.onLine(pending);
  await new Promise((resolve) => log.end(resolve));
  return { exitCode: result.code, signal: result.signal, timedOut, aborted, durationMs: Date.now() - started };
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
