// Runs the CLI in this process (so SDK mocks apply) and captures its output.
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const exitCode = await main(['node', 'mod', '-C', options.cwd, ...args], {
    streams: { stdout, stderr },
    env: { CI: 'true', ...options.env },
    interactive: false,
  });
  return {
    exitCode,
    stdout: out,
    stderr: err,
    json<T>() {
      return JSON.parse(out) as T;
    },
  };
}
