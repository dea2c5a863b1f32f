// mod history [--env E] [--limit N] [--ics]: the audit trail, as text, JSON or
// an iCalendar feed (history-calendar.ts) to import or subscribe to.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { positiveInteger } from '../flag-parsers.js';
import type { Output } from '../output/output.js';

export interface HistoryCommandOptions {
  env?: string;
  limit: string;
  ics?: boolean;
}

export const registerHistory: CommandRegistration = (program, context, setExit) => {
  program
    .command('history')
    .description("the audit trail: every deployment with who, what, when, result and each instance's lifecycle events")
    .option('-e, --env <name>', 'only this environment')
    .option('-n, --limit <n>', 'how many deployments', '20')
    .option('--ics', 'print it as an iCalendar (.ics) feed: one event per deployment')
    .action(commandAction<HistoryCommandOptions>(context, setExit, ({ options, globals }, output) => runHistory(options, globals, context, output)));
};

export async function runHistory(options: HistoryCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { history } = await import('../../delivery/history.js');
  const { environmentNames } = await import('../../delivery/config.js');
  const { historyJson, historyText } = await import('../format/history-view.js');
  const { resultColour } = await import('../format/terminal-text.js');
  const { UsageError } = await import('../../errors.js');

  const limit = positiveInteger(options.limit, '--limit');
  if (options.ics && globals.json) throw new UsageError('--ics and --json cannot be combined', 'pick one: --ics for a calendar, --json for the records');
  const ws = await openWorkspaceFor(globals, context);
  const names = options.env ? [ws.environment(options.env).name] : environmentNames(ws.config);
  const records = await history(ws, names, limit, (message) => output.warn(message));
  if (options.ics) {
    const { historyCalendar } = await import('../../delivery/history-calendar.js');
    context.streams.stdout.write(historyCalendar(records, { app: ws.config.app }));
    return 0;
  }
  output.result(historyJson(records), () => historyText(records, resultColour(output.mode, context.streams.stdout, context.env), Boolean(globals.verbose)));
  return 0;
}
