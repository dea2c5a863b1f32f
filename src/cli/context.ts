// What every command gets: the global flags, the chosen output, and one way
// to run its body that maps typed errors to exit codes and messages.
import type { Command } from 'commander';
import { ExitCode, isModError } from '../errors.js';
import type { JsonOutput } from './output/json-output.js';
import { chooseMode, type Output, type OutputOptions, type OutputStreams } from './output/output.js';

export interface GlobalOptions {
  json?: boolean;
  plain?: boolean;
  verbose?: boolean;
  debug?: boolean;
  /** The repository to act on (default: the current directory). */
  cwd?: string;
  provider?: string;
  profile?: string;
  region?: string;
}

export interface CliContext {
  streams: OutputStreams;
  env: NodeJS.ProcessEnv;
  /** Whether questions may be asked (stdin and stderr are terminals, not CI). */
  interactive: boolean;
  /** Where answers are read from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Opens the repository's workspace with the global --cwd, --provider, --profile and --region flags. */
export async function openWorkspaceFor(globals: GlobalOptions, context: CliContext) {
  const { openWorkspace } = await import('../delivery/workspace.js');
  const { UsageError } = await import('../errors.js');
  if (globals.provider !== undefined && globals.provider !== 'local' && globals.provider !== 'aws') {
    throw new UsageError(`--provider must be local or aws, got "${globals.provider}"`);
  }
  return openWorkspace(globals.cwd ?? process.cwd(), context.env, {
    provider: globals.provider as 'local' | 'aws' | undefined,
    aws: { profile: globals.profile, region: globals.region },
  });
}

/**
 * Picks the output once per run; implementations load lazily (ora and chalk
 * only for a TTY). Only an interactive run can ask: the mode decides how a
 * question looks, not whether anyone is there to answer it.
 */
export async function createOutput(options: GlobalOptions, context: CliContext): Promise<Output> {
  const mode = chooseMode(options, context.streams, context.env);
  const outputOptions: OutputOptions = {
    verbose: Boolean(options.verbose || options.debug),
    ask: context.interactive ? (await import('./output/ask-on-terminal.js')).askOnTerminal(context.stdin ?? process.stdin, context.streams.stderr) : undefined,
  };
  if (mode === 'json') return new (await import('./output/json-output.js')).JsonOutput(context.streams, outputOptions);
  if (mode === 'tty') return new (await import('./output/tty-output.js')).TtyOutput(context.streams, outputOptions);
  return new (await import('./output/plain-output.js')).PlainOutput(context.streams, outputOptions);
}

function isJsonOutput(output: Output): output is JsonOutput {
  return output.mode === 'json';
}

/**
 * Runs a command body. The body returns its exit code (or nothing for 0);
 * a thrown ModError becomes its message, hint and exit code; anything else
 * is a bug: one line, and the stack only with --debug.
 */
export async function runCommand(options: GlobalOptions, context: CliContext, body: (output: Output) => Promise<number | void>): Promise<number> {
  const output = await createOutput(options, context);
  try {
    return (await body(output)) ?? ExitCode.Ok;
  } catch (error) {
    output.close();
    if (isModError(error)) {
      output.error(error.message, error.hint);
      if (isJsonOutput(output) && !output.hasResult) output.errorResult(error.code, error.message, error.hint, error.exitCode);
      if (options.debug && error.cause) context.streams.stderr.write(`${String((error.cause as Error).stack ?? error.cause)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    output.error(`unexpected error: ${message}`, options.debug ? undefined : 'run again with --debug for the stack trace');
    if (options.debug && error instanceof Error) context.streams.stderr.write(`${error.stack}\n`);
    if (isJsonOutput(output) && !output.hasResult) output.errorResult('UNEXPECTED', message, undefined, ExitCode.Failed);
    return ExitCode.Failed;
  } finally {
    output.close();
  }
}
