// How a command file plugs into the `mod` program: the registration each one
// exports, and the one action every command runs (global flags, the chosen
// output, typed errors mapped to exit codes by runCommand). Its own module so
// command files need not import main.ts, which imports them.
import type { Command } from 'commander';
import { globalOptions, runCommand, type CliContext, type GlobalOptions } from './context.js';
import type { Output } from './output/output.js';

export type SetExit = (code: number) => void;

export type CommandRegistration = (program: Command, context: CliContext, setExit: SetExit) => void;

/** What a command's body gets: its positional arguments, its own flags and the global ones. */
export interface CommandInvocation<Options, Args extends unknown[]> {
  args: Args;
  options: Options;
  globals: GlobalOptions;
}

export type CommandBody<Options, Args extends unknown[]> = (invocation: CommandInvocation<Options, Args>, output: Output) => Promise<number | void>;

/**
 * The `.action(...)` of a command: commander calls it with the positional
 * arguments, the command's options and the command itself; the body runs
 * through runCommand and its exit code goes to setExit.
 */
export function commandAction<Options = Record<string, never>, Args extends unknown[] = []>(context: CliContext, setExit: SetExit, body: CommandBody<Options, Args>): (...actionArgs: unknown[]) => Promise<void> {
  return async (...actionArgs: unknown[]) => {
    const command = actionArgs[actionArgs.length - 1] as Command;
    const globals = globalOptions(command);
    const invocation: CommandInvocation<Options, Args> = { args: actionArgs.slice(0, -2) as Args, options: actionArgs[actionArgs.length - 2] as Options, globals };
    setExit(await runCommand(globals, context, (output) => body(invocation, output)));
  };
}
