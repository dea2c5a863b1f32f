// Runs the CLI in this process (so SDK mocks apply) and captures its output.
import { captureStreams } from './captured-streams.js';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const { streams, text } = captureStreams();
  const exitCode = await main(['node', 'mod', '-C', options.cwd, ...args], {
    streams,
    env: { CI: 'true', ...options.env },
    interactive: false,
  });
  const { stdout, stderr } = text();
  return {
    exitCode,
    stdout,
    stderr,
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}
