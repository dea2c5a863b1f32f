// mod stop --env E: stop the deploy or rollback in flight (it records Stopped,
// saying who stopped it), then the environment's instances, endpoint and database.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface StopCommandOptions {
  env: string;
  yes?: boolean;
}

export const registerStop: CommandRegistration = (program, context, setExit) => {
  program
    .command('stop')
    .description("stop the deploy or rollback in flight, then shut the environment down: each instance's ApplicationStop, its endpoint and database")
    .requiredOption('-e, --env <name>', 'environment')
    .option('-y, --yes', 'confirm stopping production without asking')
    .action(commandAction<StopCommandOptions>(context, setExit, ({ options, globals }, output) => runStop(options, globals, context, output)));
};

export async function runStop(options: StopCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { needsConfirmation } = await import('../../delivery/config.js');
  const { stop } = await import('../../delivery/stop.js');
  const { confirmOrRefuse } = await import('../confirm.js');

  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(options.env);
  if (needsConfirmation(env)) await confirmOrRefuse(output, `Stop ${env.name}?`, options.yes, `mod stop --env ${env.name}`);
  const { stopped, stoppedDeployment } = await stop(ws, { environment: env.name, events: (e) => output.event(e) });
  output.result({ schemaVersion: 1, environment: env.name, stopped, stoppedDeployment: stoppedDeployment ?? null }, () => (stopped.length ? `${env.name}: stopped ${stopped.join(', ')}` : `${env.name}: nothing was running`));
  return 0;
}
