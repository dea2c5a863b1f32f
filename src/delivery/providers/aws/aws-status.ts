// An environment's state on AWS, for `mod status`: the deployment group's
// instances with their target health, image and launch time, the load
// balancer's endpoint, the pipeline's latest execution and stages, and the
// group's auto-rollback settings. Calls that do not depend on each other run
// together, in two rounds.
import { GetDeploymentGroupCommand, type DeploymentGroupInfo } from '@aws-sdk/client-codedeploy';
import { GetPipelineStateCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeInstancesCommand, type Filter, type Reservation } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ModError } from '../../../errors.js';
import type { InstanceStatus, ProviderEnvironmentStatus } from '../../provider.js';
import type { AwsContext } from './aws-context.js';

export async function environmentStatusOnAws(ctx: AwsContext): Promise<ProviderEnvironmentStatus> {
  const { clients, names } = ctx;
  const groupResource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
  const describeTargetGroups = async (tgNames: string[]) => (tgNames.length ? ((await clients.call(clients.elbv2, new DescribeTargetGroupsCommand({ Names: tgNames }), `target groups ${tgNames.join(', ')}`)).TargetGroups ?? []) : []);
  // Round 1. The target groups are fetched by their configured (or
  // conventional `<app>-<env>`) names alongside the deployment group, so a
  // status costs two round trips instead of three when the names match.
  const [group, state, latest, early] = await ctx.all([
    async () => (await clients.call(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), groupResource)).deploymentGroupInfo,
    () => clients.call(clients.codepipeline, new GetPipelineStateCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`).catch(unavailableAsUndefined),
    async () => (await clients.call(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 1 }), `pipeline ${names.pipeline}`).catch(unavailableAsUndefined))?.pipelineExecutionSummaries?.[0],
    async () => (await describeTargetGroups(names.targetGroups).catch(unavailableAsUndefined)) ?? [],
  ]);

  const fromGroup = group?.loadBalancerInfo?.targetGroupInfoList?.map((t) => t.name!).filter(Boolean) ?? [];
  const wanted = fromGroup.length ? fromGroup : names.targetGroupsConfigured ? names.targetGroups : early.map((t) => t.TargetGroupName!);
  const known = early.filter((t) => wanted.includes(t.TargetGroupName!));
  const missing = wanted.filter((n) => !known.some((t) => t.TargetGroupName === n));
  const targetGroups = [...known, ...(await describeTargetGroups(missing))];
  const loadBalancerArns = [...new Set(targetGroups.flatMap((t) => t.LoadBalancerArns ?? []))];

  // Round 2: instances, target health and the load balancer's DNS name.
  const [reservations, health, dnsNames] = await ctx.all([
    async () => {
      const filters = instanceFilters(group);
      if (!filters) return [];
      return (await clients.call(clients.ec2, new DescribeInstancesCommand({ Filters: filters }), groupResource)).Reservations ?? [];
    },
    async () => (await Promise.all(targetGroups.map(async (t) => (await clients.call(clients.elbv2, new DescribeTargetHealthCommand({ TargetGroupArn: t.TargetGroupArn }), `target group ${t.TargetGroupName}`)).TargetHealthDescriptions ?? []))).flat(),
    async () => (loadBalancerArns.length ? ((await clients.call(clients.elbv2, new DescribeLoadBalancersCommand({ LoadBalancerArns: loadBalancerArns }), 'load balancers')).LoadBalancers ?? []).map((l) => l.DNSName!).filter(Boolean) : []),
  ]);

  const instances = instanceStatuses(reservations, health);
  const alarms = group?.alarmConfiguration?.enabled ? (group.alarmConfiguration.alarms ?? []).map((a) => a.name!).filter(Boolean) : [];
  return {
    endpoint: dnsNames[0] ? `http://${dnsNames[0]}` : null,
    database: null,
    instances,
    pipeline: {
      name: names.pipeline,
      latestExecution: latest?.pipelineExecutionId ? { id: latest.pipelineExecutionId, status: latest.status ?? 'Unknown', commit: latest.sourceRevisions?.[0]?.revisionId ?? null, startedAt: latest.startTime?.toISOString() ?? null } : null,
      stages: (state?.stageStates ?? []).map((s) => ({ name: s.stageName ?? '?', status: s.latestExecution?.status ?? null })),
    },
    autoRollback: {
      onFailure: Boolean(group?.autoRollbackConfiguration?.enabled && group.autoRollbackConfiguration.events?.includes('DEPLOYMENT_FAILURE')),
      onAlarms: Boolean(group?.autoRollbackConfiguration?.enabled && group.autoRollbackConfiguration.events?.includes('DEPLOYMENT_STOP_ON_ALARM') && alarms.length > 0),
      alarms,
    },
  };
}

/** The group's instances (terminated ones left out), healthy as the load balancer sees them, or as EC2 does without one. */
function instanceStatuses(reservations: Reservation[], health: TargetHealthDescription[]): InstanceStatus[] {
  return reservations
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => {
      const targetHealth = health.find((h) => h.Target?.Id === i.InstanceId)?.TargetHealth;
      return {
        id: i.InstanceId!,
        healthy: targetHealth ? targetHealth.State === 'healthy' : i.State?.Name === 'running',
        state: targetHealth?.State ?? i.State?.Name ?? 'unknown',
        commit: null,
        deploymentId: null,
        since: null,
        launchedAt: i.LaunchTime ? i.LaunchTime.toISOString() : null,
        imageId: i.ImageId ?? null,
        detail: [i.ImageId, i.InstanceType, i.State?.Name, targetHealth?.Description].filter(Boolean).join(', '),
      };
    });
}

/**
 * Status shows what it can: a missing pipeline, or one the endpoint cannot
 * describe (an emulator without executions), leaves the pipeline part empty
 * instead of failing the whole screen. Credentials and permissions still fail.
 */
function unavailableAsUndefined(error: unknown): undefined {
  if (error instanceof ModError && (error.code === 'AWS_NOT_FOUND' || error.code === 'AWS_ERROR')) return undefined;
  throw error;
}

/** The EC2 filters that select a deployment group's instances (its tag filters or its Auto Scaling groups). */
function instanceFilters(group: DeploymentGroupInfo | undefined): Filter[] | undefined {
  const states: Filter = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };
  const asgs = group?.autoScalingGroups?.map((a) => a.name!).filter(Boolean) ?? [];
  if (asgs.length) return [{ Name: 'tag:aws:autoscaling:groupName', Values: asgs }, states];
  const tags = group?.ec2TagFilters?.filter((t) => t.Key) ?? [];
  if (tags.length) return [...tags.map((t) => ({ Name: `tag:${t.Key}`, Values: [t.Value ?? '*'] })), states];
  return undefined;
}
