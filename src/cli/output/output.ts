// The one output port every command writes through (after aws-cdk-cli's
// IoHost): results go to stdout, everything else to stderr, and the CLI picks
// one implementation per run: tty (spinners, colour), plain (one line per
// event, no colour: CI and pipes) or json (exactly one JSON document on stdout).
// Questions go through it too, so a command never reads the terminal itself.
import type { DeliveryEvent } from '../../delivery/events.js';

export type OutputMode = 'tty' | 'plain' | 'json';

/** Puts a prompt to the user and resolves with what they typed. */
export type AskUser = (prompt: string) => Promise<string>;

/** `unattended`: nobody can answer (CI, pipes), so the caller refuses rather than hang. */
export type ConfirmAnswer = 'yes' | 'no' | 'unattended';

export interface OutputOptions {
  /** Show debug lines (build output, every lifecycle step). */
  verbose?: boolean;
  /** Only interactive runs get one. */
  ask?: AskUser;
}

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
  /** Asks a yes/no question (on stderr); anything but y or yes is no. */
  confirm(question: string): Promise<ConfirmAnswer>;
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

/** The one way every output asks: `question [y/N] `, default no. */
export async function confirmWith(ask: AskUser | undefined, question: string): Promise<ConfirmAnswer> {
  if (!ask) return 'unattended';
  const answer = (await ask(`${question} [y/N] `)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes' ? 'yes' : 'no';
}

export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
}
