// mod status [--env E] [--watch]
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { lenientSeconds } from '../flag-parsers.js';
import type { Output } from '../output/output.js';
import { exitCodeOf, type CliErrorCode } from '../../error-codes.js';

export interface StatusCommandOptions {
  env?: string;
  watch?: boolean;
  interval: string;
}

export const registerStatus: CommandRegistration = (program, context, setExit) => {
  program
    .command('status')
    .description('what each environment runs (each instance asked), what its branch has, the deployment in flight, instances and endpoint; exit 1 when a deployed endpoint is down')
    .option('-e, --env <name>', 'only this environment')
    .option('-w, --watch', 'refresh until Ctrl-C (plain/CI: print when something changes)')
    .option('--interval <seconds>', 'refresh interval for --watch', '2')
    .action(commandAction<StatusCommandOptions>(context, setExit, ({ options, globals }, output) => runStatus(options, globals, context, output)));
};

/** Non-zero when an environment has a problem (ENDPOINT_DOWN: 1); the document is printed either way. */
export function statusExitCode(envs: { problems: { code: CliErrorCode }[] }[]): number {
  return Math.max(0, ...envs.flatMap((e) => e.problems.map((p) => exitCodeOf(p.code))));
}

export async function runStatus(options: StatusCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { status } = await import('../../delivery/status.js');
  const { environmentNames } = await import('../../delivery/config.js');
  const { statusJson, statusText } = await import('../format/status-view.js');
  const { UsageError } = await import('../../errors.js');

  const ws = await openWorkspaceFor(globals, context);
  const names = options.env ? [ws.environment(options.env).name] : environmentNames(ws.config);
  const read = () => status(ws, names);
  if (!options.watch) {
    const envs = await read();
    output.result(statusJson(envs), () => statusText(envs, output.mode === 'tty'));
    return statusExitCode(envs);
  }
  if (output.mode === 'json') throw new UsageError('--watch and --json do not mix', 'poll mod status --json instead');
  const interval = lenientSeconds(options.interval, { fallback: 2, atLeast: 0.5 });
  let stop = false;
  const onSigint = () => (stop = true);
  process.on('SIGINT', onSigint);
  let last = '';
  try {
    while (!stop) {
      const text = statusText(await read(), output.mode === 'tty');
      if (output.mode === 'tty') {
        context.streams.stdout.write(`\x1b[2J\x1b[H${text}\n\n(refreshing every ${interval / 1000}s; Ctrl-C to quit)\n`);
      } else if (text.replace(/\d+[smhd]\b/g, '') !== last.replace(/\d+[smhd]\b/g, '')) {
        context.streams.stdout.write(`--- ${new Date().toISOString()}\n${text}\n`);
      }
      last = text;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return 0;
}
