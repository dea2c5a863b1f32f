// `mod deploy --release-model` (issue 13), once the code deploy succeeded:
// release the deployed commit's models/default through the model release
// (src/delivery/model/deployed-model.ts) and print one result holding both.
// The exit code is the model release's (a refused model gate 3, a failed
// release 1): the code deploy stands either way.
import type { DeploymentRecord } from '../../delivery/deployment.js';
import type { Workspace } from '../../delivery/workspace.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output/output.js';
import type { DeployCommandOptions } from './deploy.js';

export async function releaseDeployedModelAfter(input: { record: DeploymentRecord; endpoint: string | null; options: DeployCommandOptions; context: CliContext; output: Output; ws: Workspace; signal: AbortSignal }): Promise<number> {
  const { record, endpoint, options, context, output, ws, signal } = input;
  const { releaseDeployedModel } = await import('../../delivery/model/deployed-model.js');
  const { ModelGateRefusedError } = await import('../../delivery/model/model-release.js');
  const { deploymentJson, deploymentText, exitCodeFor } = await import('../format/deployment-result.js');
  const { modelGateReportJson, modelGateText, modelReleaseJson, modelReleaseText } = await import('../format/model-release-view.js');
  const color = output.mode === 'tty';
  const modelOverrides = options.override.filter((g) => g === 'model' || g === 'window').map((gate) => ({ gate, reason: options.reason ?? '' }));
  try {
    const outcome = await releaseDeployedModel(ws, {
      environment: record.environment,
      commit: record.revision.commit,
      overrides: modelOverrides,
      reason: options.reason,
      signal,
      events: (e) => output.event(e),
      unattended: !context.interactive,
    });
    if ('skipped' in outcome) {
      output.result({ ...deploymentJson(record, endpoint), modelRelease: { skipped: outcome.skipped } }, () => `${deploymentText(record, endpoint, color)}\n  model: ${outcome.skipped}`);
      return exitCodeFor(record);
    }
    output.result({ ...deploymentJson(record, endpoint), modelRelease: modelReleaseJson(outcome.record, outcome.gates) }, () => `${deploymentText(record, endpoint, color)}\n${modelReleaseText(outcome.record, color, outcome.gates)}`);
    return exitCodeFor(outcome.record);
  } catch (error) {
    if (!(error instanceof ModelGateRefusedError)) throw error;
    output.result(
      { ...deploymentJson(record, endpoint), modelRelease: { ...modelGateReportJson(error.report), error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } } },
      () => `${deploymentText(record, endpoint, color)}\n${modelGateText(error.report, color)}`,
    );
    output.error(`the code deploy succeeded; ${error.message}`, error.hint);
    return error.exitCode;
  }
}
