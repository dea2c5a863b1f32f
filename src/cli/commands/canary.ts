// mod canary report <deploymentId> [--env E]: a deployment's canary analysis
// (issue 12), the verdict metric by metric with the numbers behind it, from
// the deployment record. --json prints the record's canary as it is.
import type { DeploymentRecord } from '../../delivery/deployment.js';
import type { Workspace } from '../../delivery/workspace.js';
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface CanaryReportOptions {
  env?: string;
}

export const registerCanary: CommandRegistration = (program, context, setExit) => {
  const canary = program.command('canary').description("a deployment's canary analysis: a canary of the new revision judged against a fresh baseline of the current one");
  canary
    .command('report')
    .argument('<deploymentId>', 'the deployment (mod history lists them)')
    .description('the verdict, metric by metric, with the numbers behind it (counts, medians, ratio, interval, p-value) and why')
    .option('-e, --env <name>', 'look only in this environment (default: every environment)')
    .action(commandAction<CanaryReportOptions, [string]>(context, setExit, ({ args: [deploymentId], options, globals }, output) => runCanaryReport(deploymentId, options, globals, context, output)));
};

export async function runCanaryReport(deploymentId: string, options: CanaryReportOptions, globals: GlobalOptions, context: CliContext, output: Output, workspace?: Workspace): Promise<number> {
  const { canaryReportText } = await import('../format/canary-view.js');
  const { resultColour } = await import('../format/terminal-text.js');
  const ws = workspace ?? (await openWorkspaceFor(globals, context));
  const record = await deploymentWithCanary(ws, deploymentId, options.env);
  // A terminal's width wraps the reasons to fit; a pipe or a log gets one line per metric.
  const stdout = context.streams.stdout as { isTTY?: boolean; columns?: number };
  const columns = stdout.isTTY ? stdout.columns : undefined;
  output.result({ schemaVersion: 1, deploymentId: record.deploymentId, environment: record.environment, status: record.status, canary: record.canary }, () => canaryReportText(record, resultColour(output.mode, context.streams.stdout, context.env), columns));
  return 0;
}

/** The deployment and its canary record; exit 2 when there is no such deployment or it had no canary. */
export async function deploymentWithCanary(ws: Workspace, deploymentId: string, env: string | undefined): Promise<DeploymentRecord & { canary: NonNullable<DeploymentRecord['canary']> }> {
  const { findDeployment } = await import('../../delivery/history.js');
  const { environmentNames } = await import('../../delivery/config.js');
  const { ModError } = await import('../../errors.js');
  const names = env ? [ws.environment(env).name] : environmentNames(ws.config);
  const record = await findDeployment(ws, names, deploymentId);
  const where = env ? `in ${names[0]}` : `in ${names.join(', ')}`;
  if (!record) throw new ModError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId} ${where}`, { hint: `mod history${env ? ` --env ${names[0]}` : ''} lists the deployments and their ids` });
  if (!record.canary) {
    const hint = `a canary runs when the environment's mod.config.yml has environments.${record.environment}.canary (weight, durationSeconds, minSamples, thresholds, onMarginal)`;
    throw new ModError('NO_CANARY', `deployment ${deploymentId} (${record.environment}, ${record.status}) ran without a canary`, { hint });
  }
  return record as DeploymentRecord & { canary: NonNullable<DeploymentRecord['canary']> };
}
