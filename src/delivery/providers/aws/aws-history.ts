// An environment's deployment history on AWS: the pipeline's recent
// executions and the fast rollbacks made directly in CodeDeploy, newest
// first. AWS is the record; nothing is stored locally.
import { BatchGetDeploymentTargetsCommand, BatchGetDeploymentsCommand, GetDeploymentCommand, ListDeploymentTargetsCommand, ListDeploymentsCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import { blueGreenState, codeDeployIdOf, isBlueGreen } from './aws-blue-green.js';
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
  const listed = records.slice(0, limit);
  if (env.deploymentType === 'blue-green') await Promise.all(listed.filter((r) => r.status === 'InProgress' && r.aws?.pipelineExecutionId).map((r) => liveBlueGreen(ctx, r)));
  return listed;
}

/**
 * A blue/green pipeline execution stays InProgress while CodeDeploy keeps the
 * original fleet (the termination wait), but its revision already takes all
 * the traffic: it is the deployment a rollback rolls back, so it counts as
 * Succeeded, with its fleets.
 */
async function liveBlueGreen(ctx: AwsContext, record: DeploymentRecord): Promise<void> {
  const { clients } = ctx;
  const id = await codeDeployIdOf(ctx, record);
  if (!id) return;
  const resource = `deployment ${id}`;
  const [deployment, targetIds] = await Promise.all([clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId: id }), resource), clients.call(clients.codedeploy, new ListDeploymentTargetsCommand({ deploymentId: id }), resource)]);
  const info = deployment.deploymentInfo;
  if (!info || !isBlueGreen(info) || !info.instanceTerminationWaitTimeStarted) return;
  const ids = targetIds.targetIds ?? [];
  const targets = ids.length ? ((await clients.call(clients.codedeploy, new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: ids }), resource)).deploymentTargets ?? []) : [];
  const state = blueGreenState(info, targets);
  record.status = 'Succeeded';
  record.aws = { ...record.aws, codeDeployDeploymentId: id };
  record.deploymentType = 'blue-green';
  record.blueGreen = { originalInstances: state.originalInstances, replacementInstances: state.replacementInstances, keepOriginalUntil: state.keepOriginalUntil, originalTerminated: false };
}

async function fastRollbackDeployments({ clients, names }: AwsContext): Promise<DeploymentInfo[]> {
  const resource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
  const ids = (await clients.call(clients.codedeploy, new ListDeploymentsCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), resource)).deployments ?? [];
  if (ids.length === 0) return [];
  const infos = (await clients.call(clients.codedeploy, new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(0, 25) }), resource)).deploymentsInfo ?? [];
  return infos.filter(isFastRollback);
}
