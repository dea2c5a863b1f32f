// mod logs --env E [--instance I] [--follow] [--lines N]: the service's and
// the lifecycle hooks' logs of an environment, newest last; --follow keeps
// printing until Ctrl-C.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { UsageError } from '../../errors.js';
import type { Output } from '../output/output.js';

export interface LogsCommandOptions {
  env: string;
  instance?: string;
  follow?: boolean;
  lines: string;
}

export const registerLogs: CommandRegistration = (program, context, setExit) => {
  program
    .command('logs')
    .description("the service's and the lifecycle hooks' logs (local: each instance's files; AWS: the environment's CloudWatch Logs group)")
    .requiredOption('-e, --env <name>', 'environment')
    .option('-i, --instance <id>', "only this instance's logs")
    .option('-f, --follow', 'keep printing lines as they are written (Ctrl-C ends)')
    .option('-n, --lines <count>', 'the last lines of each log to show first', '50')
    .action(commandAction<LogsCommandOptions>(context, setExit, ({ options, globals }, output) => runLogs(options, globals, context, output)));
};

export async function runLogs(options: LogsCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const lines = Number(options.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`--lines ${options.lines}: expected a whole number of lines`, 'e.g. --lines 100');
  if (options.follow && output.mode === 'json') throw new UsageError('--follow and --json do not go together: --json prints one document when the logs are read', 'drop --json to follow, or --follow to get JSON');
  const { logs } = await import('../../delivery/logs.js');
  const ws = await openWorkspaceFor(globals, context);

  // Ctrl-C ends a --follow: that is how it is meant to stop, so exit 0.
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const collected: { source: string; line: string; at: string | null }[] = [];
  try {
    const env = await logs(ws, {
      environment: options.env,
      instance: options.instance,
      lines,
      follow: Boolean(options.follow),
      signal: controller.signal,
      onLine: (l) => {
        if (output.mode === 'json') collected.push({ source: l.source, line: l.line, at: l.at ?? null });
        else output.result(null, () => `${l.source} | ${l.line}`);
      },
    });
    if (output.mode === 'json') output.result({ schemaVersion: 1, environment: env.name, instance: options.instance ?? null, lines: collected }, () => '');
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
