// mod rollback --env E [--fast] [--to <deploymentId|commit>] [--no-push] [--yes]
// mod rollback --env E --finish-revert [--no-push]: make the revert a fast rollback left pending
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { positiveSeconds } from '../flag-parsers.js';
import type { Output } from '../output/output.js';
import type { Workspace } from '../../delivery/workspace.js';

export interface RollbackCommandOptions {
  env: string;
  fast?: boolean;
  to?: string;
  push: boolean;
  yes?: boolean;
  timeout?: string;
  finishRevert?: boolean;
}

export const registerRollback: CommandRegistration = (program, context, setExit) => {
  program
    .command('rollback')
    .description('revert the deployed change on the branch and deploy the result (--fast: redeploy the previous bundle first)')
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias')
    .option('--fast', 'redeploy the previous successful revision without building, then make the revert commit')
    .option('--to <target>', 'roll back to this deployment id or commit (default: the previous successful deployment)')
    .option('--no-push', 'do not push the revert commit to the branch upstream')
    .option('--timeout <seconds>', 'give up after this long (exit 4): a local deployment is stopped, an AWS one goes on')
    .option('--finish-revert', 'make (and push) the revert commit a fast rollback left pending; no redeploy')
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
  if (options.finishRevert) {
    if (needsConfirmation(env)) await confirmOrRefuse(output, `Make the pending revert on ${env.branch} (${env.name})?`, options.yes, `mod rollback --env ${env.name} --finish-revert`);
    return runFinishRevert(options, ws, output);
  }
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
    const json = {
      ...deploymentJson(record, endpoint),
      rollbackOf: record.rollbackOf ?? null,
      revertCommit: outcome.revertCommit,
      pushed: outcome.pushed,
      revertError: outcome.revertError ?? null,
      revertPending: outcome.pendingRevert !== undefined,
    };
    output.result(json, () => {
      const lines = [deploymentText(record, endpoint, output.mode === 'tty')];
      if (outcome.revertCommit) lines.push(`  revert commit: ${outcome.revertCommit.slice(0, 8)} on ${env.branch}${outcome.pushed ? ' (pushed)' : ''}`);
      if (outcome.revertError) lines.push(`  revert commit NOT made (pending): ${outcome.revertError.message}${outcome.revertError.hint ? `\n  hint: ${outcome.revertError.hint}` : ''}`);
      return lines.join('\n');
    });
    if (outcome.revertError && record.status === 'Succeeded') return ExitCode.Failed;
    return exitCodeFor(record);
  } finally {
    interrupt.dispose();
  }
}

async function runFinishRevert(options: RollbackCommandOptions, ws: Workspace, output: Output): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  if (options.fast || options.to) throw new UsageError('--finish-revert takes no --fast or --to', `it finishes the pending revert of the last rollback: mod rollback --env ${options.env} --finish-revert`);
  const { finishRevert } = await import('../../delivery/rollback.js');
  const outcome = await finishRevert(ws, { environment: options.env, push: options.push, events: (e) => output.event(e) });
  const { environment: env, pending } = outcome;
  output.result({ schemaVersion: 1, environment: env.name, pending: pending !== undefined, deploymentId: pending?.deploymentId ?? null, revertCommit: outcome.revertCommit, pushed: outcome.pushed, alreadyReverted: outcome.alreadyReverted ?? false }, () =>
    pending && outcome.revertCommit
      ? `${env.name}: revert ${outcome.revertCommit.slice(0, 8)} made on ${env.branch}${outcome.pushed ? ' (pushed)' : ''} for rollback ${pending.deploymentId}; the branch matches ${pending.target.slice(0, 8)} again`
      : pending && outcome.alreadyReverted
        ? `${env.name}: ${env.branch} already undoes the change rolled back by ${pending.deploymentId}; the pending revert is dropped`
        : `${env.name}: no revert is pending`,
  );
  return 0;
}
