// The one output port every command writes through (after aws-cdk-cli's
// IoHost): results go to stdout, everything else to stderr, and the CLI picks
// one implementation per run: tty (spinners, colour), plain (one line per
// event, no colour: CI and pipes) or json (exactly one JSON document on stdout).
import type { DeliveryEvent } from '../../delivery/events.js';

export type OutputMode = 'tty' | 'plain' | 'json';

export interface Output {
  readonly mode: OutputMode;
  /** The command's result: `json` as one JSON document, otherwise `human()` text. */
  result(json: unknown, human: () => string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  debug(message: string): void;
  /** Progress of a delivery operation. */
  event(event: DeliveryEvent): void;
  /** Stops any spinner; called before exit. */
  close(): void;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export function chooseMode(options: { json?: boolean; plain?: boolean }, streams: OutputStreams, env: NodeJS.ProcessEnv = process.env): OutputMode {
  if (options.json) return 'json';
  // A terminal that reports no width (a pty nobody sized) cannot redraw a spinner line.
  if (options.plain || isCi(env) || !streams.stderr.isTTY || env.TERM === 'dumb' || !streams.stderr.columns) return 'plain';
  return 'tty';
}

export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
}
