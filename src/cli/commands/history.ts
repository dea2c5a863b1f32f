// mod history [--env E] [--limit N]
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { globalOptions, openWorkspaceFor, runCommand, type GlobalOptions } from '../context.js';
import type { CommandRegistration } from '../main.js';
import type { Output } from '../output/output.js';

export interface HistoryCommandOptions {
  env?: string;
  limit: string;
}

export const registerHistory: CommandRegistration = (program, context, setExit) => {
  program
    .command('history')
    .description('the audit trail: every deployment with who, what, when, result and each instance\'s lifecycle events')
    .option('-e, --env <name>', 'only this environment')
    .option('-n, --limit <n>', 'how many deployments', '20')
    .action(async (options: HistoryCommandOptions, command: Command) => {
      const globals = globalOptions(command);
      setExit(await runCommand(globals, context, (output) => runHistory(options, globals, context, output)));
    });
};

export async function runHistory(options: HistoryCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { history } = await import('../../delivery/history.js');
  const { environmentNames } = await import('../../delivery/config.js');
  const { historyJson, historyText } = await import('../format/history-view.js');
  const { UsageError } = await import('../../errors.js');

  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, got ${options.limit}`);
  const ws = await openWorkspaceFor(globals, context);
  const names = options.env ? [ws.environment(options.env).name] : environmentNames(ws.config);
  const records = await history(ws, names, limit);
  output.result(historyJson(records), () => historyText(records, output.mode === 'tty', Boolean(globals.verbose)));
  return 0;
}
