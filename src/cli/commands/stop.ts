// mod stop --env E: stop the environment's instances, endpoint and database.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { globalOptions, openWorkspaceFor, runCommand, type GlobalOptions } from '../context.js';
import type { CommandRegistration } from '../main.js';
import type { Output } from '../output/output.js';

export interface StopCommandOptions {
  env: string;
  yes?: boolean;
}

export const registerStop: CommandRegistration = (program, context, setExit) => {
  program
    .command('stop')
    .description("shut an environment down: run each instance's ApplicationStop, stop its endpoint and database")
    .requiredOption('-e, --env <name>', 'environment')
    .option('-y, --yes', 'confirm stopping production without asking')
    .action(async (options: StopCommandOptions, command: Command) => {
      const globals = globalOptions(command);
      setExit(await runCommand(globals, context, (output) => runStop(options, globals, context, output)));
    });
};

export async function runStop(options: StopCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { needsConfirmation } = await import('../../delivery/config.js');
  const { withEnvironmentLock } = await import('../../delivery/deploy.js');
  const { confirmOrRefuse } = await import('../confirm.js');

  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(options.env);
  if (needsConfirmation(env)) await confirmOrRefuse(context, `Stop ${env.name}?`, options.yes, `mod stop --env ${env.name}`);
  const provider = await ws.provider(env);
  const events = (e: Parameters<Output['event']>[0]) => output.event(e);
  const result = await withEnvironmentLock(ws, env, `mod stop --env ${env.name}`, events, () => provider.stop(env, events));
  output.result({ schemaVersion: 1, environment: env.name, stopped: result.stopped }, () =>
    result.stopped.length ? `${env.name}: stopped ${result.stopped.join(', ')}` : `${env.name}: nothing was running`,
  );
  return 0;
}
