// `mod stop` on AWS: stops the environment's pipeline executions in progress
// (their running actions finish first) and its CodeDeploy deployments in
// flight, asking CodeDeploy to roll those back where the group allows it.
import { ListDeploymentsCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand, StopPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import type { DeliveryEvents } from '../../events.js';
import type { AwsContext } from './aws-context.js';

export async function stopInFlight(ctx: AwsContext, events: DeliveryEvents): Promise<{ stopped: string[] }> {
  const { clients, names } = ctx;
  const stopped: string[] = [];
  const [executions, deployments] = await ctx.all([
    async () => (await clients.call(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 10 }), `pipeline ${names.pipeline}`)).pipelineExecutionSummaries ?? [],
    async () =>
      (
        await clients.call(
          clients.codedeploy,
          new ListDeploymentsCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup, includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Ready'] }),
          `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`,
        )
      ).deployments ?? [],
  ]);
  for (const execution of executions.filter((e) => e.status === 'InProgress')) {
    await clients.call(clients.codepipeline, new StopPipelineExecutionCommand({ pipelineName: names.pipeline, pipelineExecutionId: execution.pipelineExecutionId, abandon: false, reason: 'mod stop' }), `pipeline ${names.pipeline}`);
    stopped.push(`pipeline execution ${execution.pipelineExecutionId}`);
    events({ type: 'notice', level: 'info', message: `stopping pipeline execution ${execution.pipelineExecutionId} (in-progress actions finish first)` });
  }
  for (const deploymentId of deployments) {
    await clients.call(clients.codedeploy, new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }), `deployment ${deploymentId}`);
    stopped.push(`deployment ${deploymentId}`);
    events({ type: 'notice', level: 'info', message: `stopped deployment ${deploymentId} (auto-rollback requested where the group allows it)` });
  }
  return { stopped };
}
