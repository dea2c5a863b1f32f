// mod deploy --env E [--ref R] [--yes]
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { positiveSeconds } from '../flag-parsers.js';
import type { DeploySummary } from '../../delivery/deploy.js';
import type { Output } from '../output/output.js';

export interface DeployCommandOptions {
  env: string;
  ref?: string;
  yes?: boolean;
  timeout?: string;
  reason?: string;
  override: string[];
  /** Issue 13: after the code deploy, release the deployed commit's models/default (the model gate, the canary). */
  releaseModel?: boolean;
}

export const registerDeploy: CommandRegistration = (program, context, setExit) => {
  program
    .command('deploy')
    .description("build the environment's branch (or --ref) and roll it out to its instances")
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias (staging, prod)')
    .option('--ref <ref>', 'deploy this branch, tag or commit instead of the branch head')
    .option('--timeout <seconds>', 'give up after this long (exit 4): a local deployment is stopped, an AWS one goes on')
    .option('-y, --yes', 'confirm a production deploy without asking (required when not interactive)')
    .option('--reason <text>', 'recorded with the deployment (required with --override)')
    .option('--override <gate>', 'let a failing release gate through (repeatable; recorded and notified)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--release-model', "after the deploy succeeds, release the deployed commit's models/default to the env (the model gate and canary of mod model release); without it the env keeps its released model")
    .action(commandAction<DeployCommandOptions>(context, setExit, ({ options, globals }, output) => runDeploy(options, globals, context, output)));
};

export async function runDeploy(options: DeployCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { deploy } = await import('../../delivery/deploy.js');
  const { needsConfirmation } = await import('../../delivery/config.js');
  const { confirmOrRefuse } = await import('../confirm.js');
  const { onInterrupt } = await import('../interrupt.js');
  const { deploymentJson, deploymentText, exitCodeFor } = await import('../format/deployment-result.js');

  const { describeDeploySummary } = await import('../format/deploy-summary.js');

  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(options.env);
  // Nobody can answer here (CI, a pipe): refuse before judging gates or building anything.
  if (needsConfirmation(env) && !options.yes && !context.interactive) {
    await confirmOrRefuse(output, `Deploy to ${env.name}?`, options.yes, `mod deploy --env ${env.name}`);
  }
  // Asked after the gates are judged, naming what would ship and their verdict.
  const confirm = needsConfirmation(env)
    ? async (summary: DeploySummary) => {
        if (!options.yes) for (const line of describeDeploySummary(summary)) output.info(line);
        await confirmOrRefuse(output, `Deploy ${summary.commit.commit.slice(0, 8)} to ${env.name}?`, options.yes, `mod deploy --env ${env.name}`);
      }
    : undefined;
  const { overridesFrom, gateReportJson } = await import('../format/gate-report.js');
  const { GateRefusedError } = await import('../../delivery/deploy.js');
  // --override model goes to the model release of --release-model (issue 13); window judges both.
  const { UsageError } = await import('../../errors.js');
  if (options.override.includes('model') && !options.releaseModel) throw new UsageError('--override model goes with --release-model', 'a code deploy judges no model gate; mod model release --override model --reason "..." releases a model on its own');
  const overrides = overridesFrom(options.override, options.reason).filter((o) => (o.gate as string) !== 'model');
  const interrupt = onInterrupt((message) => output.warn(message));
  try {
    const { record, endpoint } = await deploy(ws, {
      environment: env.name,
      ref: options.ref,
      reason: options.reason,
      overrides,
      timeoutMs: positiveSeconds(options.timeout, '--timeout'),
      signal: interrupt.signal,
      events: (e) => output.event(e),
      confirm,
      unattended: !context.interactive,
    });
    if (options.releaseModel && record.status === 'Succeeded') {
      const { releaseDeployedModelAfter } = await import('./deploy-release-model.js');
      return await releaseDeployedModelAfter({ record, endpoint, options, context, output, ws, signal: interrupt.signal });
    }
    output.result(deploymentJson(record, endpoint), () => deploymentText(record, endpoint, output.mode === 'tty'));
    return exitCodeFor(record);
  } catch (error) {
    if (!(error instanceof GateRefusedError)) throw error;
    // One document for bots: the refusal and every gate's verdict.
    output.result({ ...gateReportJson(error.report), error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } }, () => '');
    output.error(error.message, error.hint);
    return error.exitCode;
  } finally {
    interrupt.dispose();
  }
}
