// The AWS provider: the same deploy, status, history, rollback, stop and
// approve operations on CodePipeline, CodeBuild, CodeDeploy, EC2 and ELBv2.
// A deploy pushes the environment's branch (fast-forward only, never force),
// finds the pipeline execution the push started (or starts one) and watches
// it; a fast rollback creates a CodeDeploy deployment of the last good
// revision directly, with no build.
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetProjectsCommand } from '@aws-sdk/client-codebuild';
import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  type RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import {
  GetPipelineCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type ActionExecutionDetail,
  type GetPipelineStateCommandOutput,
  type PipelineDeclaration,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { DescribeInstancesCommand, type Filter, type Reservation } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, type TargetGroup, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ModError, UsageError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import { newDeploymentId, newDeploymentRecord, type DeploymentRecord, type DeploymentStatus } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest, DoctorCheck, InstanceStatus, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../provider.js';
import { AwsClients, type AwsClientOptions } from './aws-clients.js';
import { awsNames, type AwsNames } from './aws-names.js';
import { watchDeployment, watchPipelineExecution, type WatchContext } from './pipeline-watch.js';

export interface AwsProviderOptions extends AwsClientOptions {
  /** Run independent AWS calls one after another (the status benchmark's baseline). */
  sequential?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const FAST_ROLLBACK_PREFIX = 'mod: fast rollback';

export class AwsProvider implements Provider {
  readonly name = 'aws';
  private readonly clientsByEnv = new Map<string, AwsClients>();

  constructor(
    private readonly git: Git,
    private readonly options: AwsProviderOptions = {},
  ) {}

  /** AWS calls made so far (all environments). */
  get calls(): number {
    return [...this.clientsByEnv.values()].reduce((sum, c) => sum + c.calls, 0);
  }

  private context(env: Environment): { clients: AwsClients; names: AwsNames } {
    const names = awsNames(env, this.options);
    const key = `${names.region ?? ''}/${names.profile ?? ''}`;
    let clients = this.clientsByEnv.get(key);
    if (!clients) {
      clients = new AwsClients({ ...this.options, region: names.region, profile: names.profile });
      this.clientsByEnv.set(key, clients);
    }
    return { clients, names };
  }

  /** Independent calls: in parallel, unless the baseline asks for one at a time. */
  private async all<T extends readonly unknown[]>(tasks: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
    if (!this.options.sequential) return Promise.all(tasks.map((task) => task())) as unknown as Promise<T>;
    const results: unknown[] = [];
    for (const task of tasks) results.push(await task());
    return results as unknown as T;
  }

  // ---- deploy -------------------------------------------------------------

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const { environment: env, commit, events, signal } = request;
    const { clients, names } = this.context(env);
    const watch: WatchContext = {
      clients,
      names,
      environment: env.name,
      events,
      signal,
      timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      pollMs: env.aws.pollSeconds * 1000,
    };
    // The id is AWS's: the pipeline execution, or the CodeDeploy deployment of a fast rollback.
    const record = newDeploymentRecord(request, this.name, '');

    if (request.reuseRevisionOf) {
      const revision = await this.revisionOf(env, request.reuseRevisionOf);
      const description = `${FAST_ROLLBACK_PREFIX} to ${commit.commit} (rollback of ${request.rollbackOf ?? '?'}) by ${request.initiator}`;
      const created = await clients.call<{ deploymentId?: string }>(
        clients.codedeploy,
        new CreateDeploymentCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup, revision, description }),
        `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`,
      );
      record.deploymentId = created.deploymentId ?? newDeploymentId();
      record.revision.bundle = `codedeploy:${record.deploymentId}`;
      record.aws = { codeDeployDeploymentId: created.deploymentId };
      events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: commit.commit, instanceIds: [], rollout: 'deployment group config' });
      return this.finish(await watchDeployment(watch, record.deploymentId, record), events);
    }

    const pushedAt = new Date();
    await this.pushBranch(env, names, commit.commit, events);
    const executionId = await this.findOrStartExecution(env, clients, names, commit.commit, pushedAt, events, signal);
    record.deploymentId = executionId;
    record.revision.bundle = `pipeline:${executionId}`;
    events({ type: 'deploy.start', deploymentId: executionId, environment: env.name, commit: commit.commit, instanceIds: [], rollout: `pipeline ${names.pipeline}` });
    return this.finish(await watchPipelineExecution(watch, executionId, record), events);
  }

  private finish(record: DeploymentRecord, events: DeliveryEvents): DeploymentRecord {
    events({ type: 'deploy.done', record });
    return record;
  }

  /** Makes the remote env branch point at the commit: a plain push, so git refuses anything but a fast-forward. */
  private async pushBranch(env: Environment, names: AwsNames, commit: string, events: DeliveryEvents): Promise<void> {
    const remotes = await this.git.remotes();
    if (!remotes.includes(names.remote)) {
      throw new UsageError(`git remote "${names.remote}" is not configured; CodePipeline deploys what is pushed to ${env.branch}`, `git remote add ${names.remote} <url>, or set environments.${env.name}.aws.remote`);
    }
    try {
      await this.git.pushCommit(names.remote, commit, env.branch);
    } catch (error) {
      throw new ModError('PUSH_REJECTED', `could not push ${commit.slice(0, 8)} to ${names.remote}/${env.branch}: ${(error as Error).message}`, {
        hint: `${env.branch} has commits that ${commit.slice(0, 8)} does not contain; merge them first (mod never force-pushes)`,
        cause: error,
      });
    }
    events({ type: 'git', message: `pushed ${commit.slice(0, 8)} to ${names.remote}/${env.branch}` });
  }

  private async findOrStartExecution(env: Environment, clients: AwsClients, names: AwsNames, commit: string, since: Date, events: DeliveryEvents, signal: AbortSignal): Promise<string> {
    const deadline = Date.now() + env.aws.executionStartTimeoutSeconds * 1000;
    for (;;) {
      const list = await clients.call<{ pipelineExecutionSummaries?: PipelineExecutionSummary[] }>(
        clients.codepipeline,
        new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 10 }),
        `pipeline ${names.pipeline}`,
      );
      const match = list.pipelineExecutionSummaries?.find(
        (e) => e.sourceRevisions?.some((r) => r.revisionId === commit) && (!e.startTime || e.startTime.getTime() >= since.getTime() - 60_000),
      );
      if (match?.pipelineExecutionId) {
        events({ type: 'notice', level: 'info', message: `pipeline ${names.pipeline}: execution ${match.pipelineExecutionId} started by the push` });
        return match.pipelineExecutionId;
      }
      if (Date.now() >= deadline || signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(env.aws.pollSeconds * 1000, Math.max(0, deadline - Date.now()))));
    }
    const started = await clients.call<{ pipelineExecutionId?: string }>(
      clients.codepipeline,
      new StartPipelineExecutionCommand({ name: names.pipeline }),
      `pipeline ${names.pipeline}`,
    );
    events({ type: 'notice', level: 'info', message: `pipeline ${names.pipeline}: no execution appeared for the push; started ${started.pipelineExecutionId}` });
    return started.pipelineExecutionId!;
  }

  /** The CodeDeploy revision (S3 bundle) an earlier deployment shipped. */
  private async revisionOf(env: Environment, deployment: DeploymentRecord): Promise<RevisionLocation> {
    const { clients, names } = this.context(env);
    const bundle = deployment.revision.bundle ?? `pipeline:${deployment.deploymentId}`;
    let codeDeployId = bundle.startsWith('codedeploy:') ? bundle.slice('codedeploy:'.length) : deployment.aws?.codeDeployDeploymentId;
    if (!codeDeployId && bundle.startsWith('pipeline:')) {
      const executionId = bundle.slice('pipeline:'.length);
      const actions = await clients.call<{ actionExecutionDetails?: ActionExecutionDetail[] }>(
        clients.codepipeline,
        new ListActionExecutionsCommand({ pipelineName: names.pipeline, filter: { pipelineExecutionId: executionId } }),
        `pipeline ${names.pipeline}`,
      );
      codeDeployId = actions.actionExecutionDetails?.find((a) => a.input?.actionTypeId?.provider === 'CodeDeploy')?.output?.executionResult?.externalExecutionId;
    }
    if (!codeDeployId) {
      throw new ModError('BUNDLE_MISSING', `no CodeDeploy deployment found for ${deployment.deploymentId}, so there is no revision to redeploy`, { hint: 'run the rollback without --fast' });
    }
    const info = await clients.call<{ deploymentInfo?: DeploymentInfo }>(clients.codedeploy, new GetDeploymentCommand({ deploymentId: codeDeployId }), `deployment ${codeDeployId}`);
    const revision = info.deploymentInfo?.revision;
    if (!revision) throw new ModError('BUNDLE_MISSING', `deployment ${codeDeployId} has no revision to redeploy`, { hint: 'run the rollback without --fast' });
    return revision;
  }

  // ---- history ------------------------------------------------------------

  async deployments(env: Environment, limit = 20): Promise<DeploymentRecord[]> {
    const { clients, names } = this.context(env);
    const [executions, fastRollbacks] = await this.all<[PipelineExecutionSummary[], DeploymentInfo[]]>([
      async () =>
        (
          await clients.call<{ pipelineExecutionSummaries?: PipelineExecutionSummary[] }>(
            clients.codepipeline,
            new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: Math.min(Math.max(limit, 1), 100) }),
            `pipeline ${names.pipeline}`,
          )
        ).pipelineExecutionSummaries ?? [],
      () => this.fastRollbackDeployments(clients, names),
    ]);
    const records = [...executions.map((e) => executionRecord(env, e)), ...fastRollbacks.map((d) => fastRollbackRecord(env, d))];
    records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    return records.slice(0, limit);
  }

  private async fastRollbackDeployments(clients: AwsClients, names: AwsNames): Promise<DeploymentInfo[]> {
    const resource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
    const ids = (await clients.call<{ deployments?: string[] }>(clients.codedeploy, new ListDeploymentsCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), resource)).deployments ?? [];
    if (ids.length === 0) return [];
    const infos = (await clients.call<{ deploymentsInfo?: DeploymentInfo[] }>(clients.codedeploy, new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(0, 25) }), resource)).deploymentsInfo ?? [];
    return infos.filter((d) => d.description?.startsWith(FAST_ROLLBACK_PREFIX));
  }

  async updateDeployment(): Promise<void> {
    // The revert commit is in git; AWS keeps no annotation for it.
  }

  // ---- status -------------------------------------------------------------

  async environmentStatus(env: Environment): Promise<ProviderEnvironmentStatus> {
    const { clients, names } = this.context(env);
    const groupResource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
    const describeTargetGroups = async (tgNames: string[]) =>
      tgNames.length
        ? ((await clients.call<{ TargetGroups?: TargetGroup[] }>(clients.elbv2, new DescribeTargetGroupsCommand({ Names: tgNames }), `target groups ${tgNames.join(', ')}`)).TargetGroups ?? [])
        : [];
    // Round 1. The target groups are fetched by their configured (or
    // conventional `<app>-<env>`) names alongside the deployment group, so a
    // status costs two round trips instead of three when the names match.
    const [group, state, latest, early] = await this.all<[DeploymentGroupInfo | undefined, GetPipelineStateCommandOutput | undefined, PipelineExecutionSummary | undefined, TargetGroup[]]>([
      async () =>
        (await clients.call<{ deploymentGroupInfo?: DeploymentGroupInfo }>(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), groupResource))
          .deploymentGroupInfo,
      () => clients.call<GetPipelineStateCommandOutput>(clients.codepipeline, new GetPipelineStateCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`).catch(unavailableAsUndefined),
      async () =>
        (
          await clients
            .call<{ pipelineExecutionSummaries?: PipelineExecutionSummary[] }>(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 1 }), `pipeline ${names.pipeline}`)
            .catch(unavailableAsUndefined)
        )?.pipelineExecutionSummaries?.[0],
      async () => (await describeTargetGroups(names.targetGroups).catch(unavailableAsUndefined)) ?? [],
    ]);

    const fromGroup = group?.loadBalancerInfo?.targetGroupInfoList?.map((t) => t.name!).filter(Boolean) ?? [];
    const wanted = fromGroup.length ? fromGroup : names.targetGroupsConfigured ? names.targetGroups : early.map((t) => t.TargetGroupName!);
    const known = early.filter((t) => wanted.includes(t.TargetGroupName!));
    const missing = wanted.filter((n) => !known.some((t) => t.TargetGroupName === n));
    const targetGroups = [...known, ...(await describeTargetGroups(missing))];
    const loadBalancerArns = [...new Set(targetGroups.flatMap((t) => t.LoadBalancerArns ?? []))];

    // Round 2: instances, target health and the load balancer's DNS name.
    const [reservations, health, dnsNames] = await this.all<[Reservation[], TargetHealthDescription[], string[]]>([
      async () => {
        const filters = instanceFilters(group);
        if (!filters) return [];
        return (await clients.call<{ Reservations?: Reservation[] }>(clients.ec2, new DescribeInstancesCommand({ Filters: filters }), groupResource)).Reservations ?? [];
      },
      async () =>
        (
          await Promise.all(
            targetGroups.map(async (t) => (await clients.call<{ TargetHealthDescriptions?: TargetHealthDescription[] }>(clients.elbv2, new DescribeTargetHealthCommand({ TargetGroupArn: t.TargetGroupArn }), `target group ${t.TargetGroupName}`)).TargetHealthDescriptions ?? []),
          )
        ).flat(),
      async () =>
        loadBalancerArns.length
          ? ((await clients.call<{ LoadBalancers?: { DNSName?: string }[] }>(clients.elbv2, new DescribeLoadBalancersCommand({ LoadBalancerArns: loadBalancerArns }), 'load balancers')).LoadBalancers ?? []).map((l) => l.DNSName!).filter(Boolean)
          : [],
    ]);

    const instances: InstanceStatus[] = reservations
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
    const alarms = group?.alarmConfiguration?.enabled ? (group.alarmConfiguration.alarms ?? []).map((a) => a.name!).filter(Boolean) : [];
    return {
      endpoint: dnsNames[0] ? `http://${dnsNames[0]}` : null,
      database: null,
      instances,
      pipeline: {
        name: names.pipeline,
        latestExecution: latest?.pipelineExecutionId
          ? { id: latest.pipelineExecutionId, status: latest.status ?? 'Unknown', commit: latest.sourceRevisions?.[0]?.revisionId ?? null, startedAt: latest.startTime?.toISOString() ?? null }
          : null,
        stages: (state?.stageStates ?? []).map((s) => ({ name: s.stageName ?? '?', status: s.latestExecution?.status ?? null })),
      },
      autoRollback: {
        onFailure: Boolean(group?.autoRollbackConfiguration?.enabled && group.autoRollbackConfiguration.events?.includes('DEPLOYMENT_FAILURE')),
        onAlarms: Boolean(group?.autoRollbackConfiguration?.enabled && group.autoRollbackConfiguration.events?.includes('DEPLOYMENT_STOP_ON_ALARM') && alarms.length > 0),
        alarms,
      },
    };
  }

  // ---- stop ---------------------------------------------------------------

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    const { clients, names } = this.context(env);
    const stopped: string[] = [];
    const [executions, deployments] = await this.all<[PipelineExecutionSummary[], string[]]>([
      async () =>
        (await clients.call<{ pipelineExecutionSummaries?: PipelineExecutionSummary[] }>(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 10 }), `pipeline ${names.pipeline}`))
          .pipelineExecutionSummaries ?? [],
      async () =>
        (
          await clients.call<{ deployments?: string[] }>(
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

  // ---- approvals ----------------------------------------------------------

  async pipelineHasManualApproval(env: Environment): Promise<boolean> {
    const { clients, names } = this.context(env);
    const pipeline = (await clients.call<{ pipeline?: PipelineDeclaration }>(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
    return Boolean(pipeline?.stages?.some((s) => s.actions?.some((a) => a.actionTypeId?.category === 'Approval')));
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    return env.databaseUrl;
  }

  async pendingApproval(env: Environment): Promise<PendingApproval | undefined> {
    const { clients, names } = this.context(env);
    const state = await clients.call<GetPipelineStateCommandOutput>(clients.codepipeline, new GetPipelineStateCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`);
    for (const stage of state.stageStates ?? []) {
      for (const action of stage.actionStates ?? []) {
        if (action.latestExecution?.status === 'InProgress' && action.latestExecution.token) {
          const executionId = stage.latestExecution?.pipelineExecutionId ?? null;
          let commit: string | null = null;
          if (executionId) {
            const list = await clients.call<{ pipelineExecutionSummaries?: PipelineExecutionSummary[] }>(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 20 }), `pipeline ${names.pipeline}`);
            commit = list.pipelineExecutionSummaries?.find((e) => e.pipelineExecutionId === executionId)?.sourceRevisions?.[0]?.revisionId ?? null;
          }
          return { stageName: stage.stageName!, actionName: action.actionName!, pipelineExecutionId: executionId, commit, token: action.latestExecution.token };
        }
      }
    }
    return undefined;
  }

  async answerApproval(env: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
    const { clients, names } = this.context(env);
    await clients.call(
      clients.codepipeline,
      new PutApprovalResultCommand({
        pipelineName: names.pipeline,
        stageName: approval.stageName,
        actionName: approval.actionName,
        token: approval.token ?? undefined,
        result: { status: answer.approve ? 'Approved' : 'Rejected', summary: answer.summary },
      }),
      `pipeline ${names.pipeline} approval ${approval.stageName}/${approval.actionName}`,
    );
  }

  // ---- doctor -------------------------------------------------------------

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    const { clients, names } = this.context(env);
    const check = async (name: string, run: () => Promise<Omit<DoctorCheck, 'name'>>): Promise<DoctorCheck> => {
      try {
        return { name, ...(await run()) };
      } catch (error) {
        return { name, status: 'fail', detail: `${(error as Error).message}${(error as ModError).hint ? ` (${(error as ModError).hint})` : ''}` };
      }
    };
    const groupResource = `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`;
    return Promise.all([
      check('credentials', async () => {
        const who = await clients.call<{ Arn?: string; Account?: string }>(clients.sts, new GetCallerIdentityCommand({}), 'caller identity');
        return { status: 'pass', detail: `${who.Arn} (account ${who.Account})${names.region ? `, region ${names.region}` : ''}` };
      }),
      check('pipeline', async () => {
        const pipeline = (await clients.call<{ pipeline?: PipelineDeclaration }>(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
        const source = pipeline?.stages?.flatMap((s) => s.actions ?? []).find((a) => a.actionTypeId?.category === 'Source');
        const branch = source?.configuration?.BranchName;
        if (branch && branch !== env.branch) return { status: 'fail', detail: `${names.pipeline} builds branch ${branch}, but mod.config.yml says ${env.branch}` };
        return { status: 'pass', detail: `${names.pipeline} (source branch ${branch ?? 'not declared'})` };
      }),
      check('codebuild project', async () => {
        const found = await clients.call<{ projects?: { name?: string }[] }>(clients.codebuild, new BatchGetProjectsCommand({ names: [names.codebuildProject] }), `project ${names.codebuildProject}`);
        return found.projects?.length ? { status: 'pass', detail: names.codebuildProject } : { status: 'fail', detail: `${names.codebuildProject} does not exist` };
      }),
      check('deployment group', async () => {
        const group = (await clients.call<{ deploymentGroupInfo?: DeploymentGroupInfo }>(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), groupResource))
          .deploymentGroupInfo;
        const rollback = group?.autoRollbackConfiguration;
        if (!rollback?.enabled || !rollback.events?.includes('DEPLOYMENT_FAILURE')) {
          return { status: 'fail', detail: `${names.codedeployApplication}/${names.deploymentGroup} has no auto-rollback on deployment failure (enable it in the deployment group)` };
        }
        return { status: 'pass', detail: `${names.codedeployApplication}/${names.deploymentGroup}, auto-rollback on ${rollback.events.join(', ')}` };
      }),
      check('alarms', async () => {
        const group = (await clients.call<{ deploymentGroupInfo?: DeploymentGroupInfo }>(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup }), groupResource))
          .deploymentGroupInfo;
        const alarmNames = group?.alarmConfiguration?.enabled ? (group.alarmConfiguration.alarms ?? []).map((a) => a.name!).filter(Boolean) : [];
        if (alarmNames.length === 0) return { status: 'warn', detail: 'the deployment group watches no CloudWatch alarms: a bad deploy that passes ValidateService is not rolled back' };
        const found = await clients.call<{ MetricAlarms?: { AlarmName?: string }[] }>(clients.cloudwatch, new DescribeAlarmsCommand({ AlarmNames: alarmNames }), `alarms ${alarmNames.join(', ')}`);
        const missing = alarmNames.filter((n) => !found.MetricAlarms?.some((a) => a.AlarmName === n));
        return missing.length ? { status: 'fail', detail: `alarms not found: ${missing.join(', ')}` } : { status: 'pass', detail: alarmNames.join(', ') };
      }),
      check('build logs', async () => {
        const groups = await clients.call<{ logGroups?: { logGroupName?: string }[] }>(clients.logs, new DescribeLogGroupsCommand({ logGroupNamePrefix: names.logGroup }), `log group ${names.logGroup}`);
        return groups.logGroups?.some((g) => g.logGroupName === names.logGroup)
          ? { status: 'pass', detail: names.logGroup }
          : { status: 'warn', detail: `${names.logGroup} does not exist yet (CodeBuild creates it on the first build)` };
      }),
    ]);
  }

  dispose(): void {
    for (const clients of this.clientsByEnv.values()) clients.destroy();
  }
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

const EXECUTION_STATUS: Record<string, DeploymentStatus> = {
  InProgress: 'InProgress',
  Stopping: 'InProgress',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Stopped: 'Stopped',
  Cancelled: 'Stopped',
  Superseded: 'Stopped',
};

function executionRecord(env: Environment, e: PipelineExecutionSummary): DeploymentRecord {
  const source = e.sourceRevisions?.[0];
  const status = EXECUTION_STATUS[e.status ?? ''] ?? 'Failed';
  return {
    schemaVersion: 1,
    deploymentId: e.pipelineExecutionId ?? '?',
    environment: env.name,
    provider: 'aws',
    status,
    revision: { commit: source?.revisionId ?? '', subject: commitMessage(source?.revisionSummary), bundle: `pipeline:${e.pipelineExecutionId}` },
    initiator: e.trigger?.triggerDetail ?? e.trigger?.triggerType ?? 'unknown',
    startedAt: (e.startTime ?? new Date(0)).toISOString(),
    endedAt: status === 'InProgress' ? undefined : e.lastUpdateTime?.toISOString(),
    instances: [],
    aws: { pipelineExecutionId: e.pipelineExecutionId },
  };
}

function fastRollbackRecord(env: Environment, d: DeploymentInfo): DeploymentRecord {
  const commit = /to ([0-9a-f]{7,40})/.exec(d.description ?? '')?.[1] ?? '';
  const rollbackOf = /rollback of (\S+)\)/.exec(d.description ?? '')?.[1];
  const initiator = / by (.+)$/.exec(d.description ?? '')?.[1] ?? d.creator ?? 'user';
  const status: DeploymentStatus = d.status === 'Succeeded' ? 'Succeeded' : d.status === 'Failed' ? 'Failed' : d.status === 'Stopped' ? 'Stopped' : 'InProgress';
  return {
    schemaVersion: 1,
    deploymentId: d.deploymentId ?? '?',
    environment: env.name,
    provider: 'aws',
    status,
    revision: { commit, bundle: `codedeploy:${d.deploymentId}` },
    initiator,
    startedAt: (d.createTime ?? new Date(0)).toISOString(),
    endedAt: d.completeTime?.toISOString(),
    rollbackOf: rollbackOf && rollbackOf !== '?' ? rollbackOf : undefined,
    instances: [],
    aws: { codeDeployDeploymentId: d.deploymentId },
  };
}

/** CodeStar connections put a JSON document in revisionSummary; CodeCommit a plain message. */
function commitMessage(summary: string | undefined): string | undefined {
  if (!summary) return undefined;
  try {
    const parsed = JSON.parse(summary) as { CommitMessage?: string };
    return parsed.CommitMessage?.split('\n')[0] ?? summary;
  } catch {
    return summary.split('\n')[0];
  }
}
