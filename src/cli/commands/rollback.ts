// mod rollback --env E [--fast] [--to <deploymentId|commit>] [--no-push] [--yes]
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { positiveSeconds } from '../flag-parsers.js';
import type { Output } from '../output/output.js';

export interface RollbackCommandOptions {
  env: string;
  fast?: boolean;
  to?: string;
  push: boolean;
  yes?: boolean;
  timeout?: string;
}

export const registerRollback: CommandRegistration = (program, context, setExit) => {
  program
    .command('rollback')
    .description('revert the deployed change on the branch and deploy the result (--fast: redeploy the previous bundle first)')
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias')
    .option('--fast', 'redeploy the previous successful revision without building, then make the revert commit')
    .option('--to <target>', 'roll back to this deployment id or commit (default: the previous successful deployment)')
    .option('--no-push', 'do not push the revert commit to the branch upstream')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 4); an AWS deployment goes on')
    .option('-y, --yes', 'confirm a production rollback without asking (required when not interactive)')
    .action(commandAction<RollbackCommandOptions>(context, setExit, ({ options, globals }, output) => runRollback(options, globals, context, output)));
};

export async function runRollback(options: RollbackCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { rollback } = await import('../../delivery/rollback.js');
  const { needsConfirmation } = await import('../../delivery/config.js');
  const { confirmOrRefuse } = await import('../confirm.js');
  const { onInterrupt } = await import('../interrupt.js');
  const { deploymentJson, deploymentText, exitCodeFor } = await import('../format/deployment-result.js');
  const { ExitCode } = await import('../../errors.js');

  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(options.env);
  if (needsConfirmation(env)) {
    await confirmOrRefuse(output, `Roll back ${env.name}?`, options.yes, `mod rollback --env ${env.name}`);
  }
  const interrupt = onInterrupt((message) => output.warn(message));
  try {
    const outcome = await rollback(ws, {
      environment: env.name,
      fast: options.fast,
      to: options.to,
      push: options.push,
      timeoutMs: positiveSeconds(options.timeout, '--timeout'),
      signal: interrupt.signal,
      events: (e) => output.event(e),
    });
    const { record, endpoint } = outcome;
    const json = { ...deploymentJson(record, endpoint), rollbackOf: record.rollbackOf ?? null, revertCommit: outcome.revertCommit, pushed: outcome.pushed, revertError: outcome.revertError ?? null };
    output.result(json, () => {
      const lines = [deploymentText(record, endpoint, output.mode === 'tty')];
      if (outcome.revertCommit) lines.push(`  revert commit: ${outcome.revertCommit.slice(0, 8)} on ${env.branch}${outcome.pushed ? ' (pushed)' : ''}`);
      if (outcome.revertError) lines.push(`  revert commit NOT made: ${outcome.revertError.message}${outcome.revertError.hint ? `\n  hint: ${outcome.revertError.hint}` : ''}`);
      return lines.join('\n');
    });
    if (outcome.revertError && record.status === 'Succeeded') return ExitCode.Failed;
    return exitCodeFor(record);
  } finally {
    interrupt.dispose();
  }
}
