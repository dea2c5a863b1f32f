// An environment's deployment history on AWS: the pipeline's recent
// executions and the fast rollbacks made directly in CodeDeploy, newest
// first. AWS is the record; nothing is stored locally.
import { BatchGetDeploymentsCommand, ListDeploymentsCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { AwsContext } from './aws-context.js';
import { executionRecord, fastRollbackRecord, isFastRollback } from './aws-records.js';

export async function deploymentHistory(ctx: AwsContext, env: Environment, limit: number): Promise<DeploymentRecord[]> {
  const { clients, names } = ctx;
  const [executions, fastRollbacks] = await ctx.all([
    async () => (await clients.call(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: Math.min(Math.max(limit, 1), 100) }), `pipeline ${names.pipeline}`)).pipelineExecutionSummaries ?? [],
    () => fastRollbackDeployments(ctx),
  ]);
  const records = [...executions.map((e) => executionRecord(env, e)), ...fastRollbacks.map((d) => fastRollbackRecord(env, d))];
  records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return records.slice(0, limit);
}

async function fastRollbackDeployments({ clients, names }: AwsContext): Promise<DeploymentInfo[]> {
  const resource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
  const ids = (await clients.call(clients.codedeploy, new ListDeploymentsCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), resource)).deployments ?? [];
  if (ids.length === 0) return [];
  const infos = (await clients.call(clients.codedeploy, new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(0, 25) }), resource)).deploymentsInfo ?? [];
  return infos.filter(isFastRollback);
}
