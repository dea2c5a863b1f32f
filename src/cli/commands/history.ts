// mod history [--env E] [--limit N]
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { positiveInteger } from '../flag-parsers.js';
import type { Output } from '../output/output.js';

export interface HistoryCommandOptions {
  env?: string;
  limit: string;
}

export const registerHistory: CommandRegistration = (program, context, setExit) => {
  program
    .command('history')
    .description("the audit trail: every deployment with who, what, when, result and each instance's lifecycle events")
    .option('-e, --env <name>', 'only this environment')
    .option('-n, --limit <n>', 'how many deployments', '20')
    .action(commandAction<HistoryCommandOptions>(context, setExit, ({ options, globals }, output) => runHistory(options, globals, context, output)));
};

export async function runHistory(options: HistoryCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { history } = await import('../../delivery/history.js');
  const { environmentNames } = await import('../../delivery/config.js');
  const { historyJson, historyText } = await import('../format/history-view.js');
  const { resultColour } = await import('../format/terminal-text.js');

  const limit = positiveInteger(options.limit, '--limit');
  const ws = await openWorkspaceFor(globals, context);
  const names = options.env ? [ws.environment(options.env).name] : environmentNames(ws.config);
  const records = await history(ws, names, limit);
  output.result(historyJson(records), () => historyText(records, resultColour(output.mode, context.streams.stdout, context.env), Boolean(globals.verbose)));
  return 0;
}
