// mod approve --env E [--reject] --summary "..."
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface ApproveCommandOptions {
  env: string;
  reject?: boolean;
  summary: string;
  yes?: boolean;
}

export const registerApprove: CommandRegistration = (program, context, setExit) => {
  program
    .command('approve')
    .description("answer the manual approval waiting in the environment's pipeline (shows the commits being approved)")
    .requiredOption('-e, --env <name>', 'environment, usually production')
    .requiredOption('-s, --summary <text>', 'why: recorded with the approval')
    .option('--reject', 'reject instead of approving')
    .option('-y, --yes', 'answer without asking (required when not interactive)')
    .action(commandAction<ApproveCommandOptions>(context, setExit, ({ options, globals }, output) => runApprove(options, globals, context, output)));
};

export async function runApprove(options: ApproveCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { previewApproval, answerApproval } = await import('../../delivery/approve.js');
  const { confirmOrRefuse } = await import('../confirm.js');
  const ws = await openWorkspaceFor(globals, context);
  const preview = await previewApproval(ws, options.env);
  const verb = options.reject ? 'Reject' : 'Approve';
  const { approval } = preview;
  output.info(`${approval.stageName}/${approval.actionName} is waiting for approval (execution ${approval.pipelineExecutionId ?? '?'}, commit ${approval.commit?.slice(0, 8) ?? '?'})`);
  output.info(`${preview.commits.length} commit(s) since the last release ${preview.lastRelease?.slice(0, 8) ?? '(none)'}:`);
  for (const c of preview.commits) output.info(`  ${c.commit.slice(0, 8)} ${c.subject} (${c.author})`);
  await confirmOrRefuse(output, `${verb} ${preview.environment}?`, options.yes, `mod approve --env ${preview.environment}`);
  await answerApproval(ws, preview, { approve: !options.reject, summary: options.summary });
  const status = options.reject ? 'Rejected' : 'Approved';
  output.result(
    {
      schemaVersion: 1,
      environment: preview.environment,
      status,
      stageName: approval.stageName,
      actionName: approval.actionName,
      pipelineExecutionId: approval.pipelineExecutionId,
      commit: approval.commit,
      commits: preview.commits.map((c) => c.commit),
      summary: options.summary,
    },
    () => `${status}: ${approval.stageName}/${approval.actionName} of ${preview.environment}`,
  );
  return 0;
}
