// Watches a CodePipeline execution (or a CodeDeploy deployment on its own)
// until it ends, turning what AWS reports into delivery events: each stage
// and action, CodeBuild phases, each instance's CodeDeploy lifecycle events,
// and on failure the build's CloudWatch Logs tail or the failing hook's
// script log. Independent calls of one poll run in parallel. It gives up
// watching at the timeout (exit 4) or on Ctrl-C (exit 130); the deployment
// itself goes on in AWS either way.
import { BatchGetBuildsCommand, type Build } from '@aws-sdk/client-codebuild';
import { BatchGetDeploymentTargetsCommand, GetDeploymentCommand, ListDeploymentTargetsCommand, type DeploymentInfo, type DeploymentTarget } from '@aws-sdk/client-codedeploy';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetPipelineCommand, GetPipelineExecutionCommand, GetPipelineStateCommand, type PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import { InterruptedError, ModError, TimeoutError } from '../../../errors.js';
import type { DeploymentError, DeploymentRecord, EventStatus, InstanceRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { AwsClients } from './aws-clients.js';
import { blueGreenState, isBlueGreen, recordBlueGreen, type BlueGreenPhase } from './aws-blue-green.js';
import type { AwsNames } from './aws-names.js';
import type { CanaryHooks } from './aws-canary.js';

export interface WatchContext {
  clients: AwsClients;
  names: AwsNames;
  environment: string;
  events: DeliveryEvents;
  signal: AbortSignal;
  timeoutMs: number;
  pollMs: number;
  /** The environment's canary (issue 12.5): told when the pipeline's canary deploy starts and when it waits at the canary gate. */
  canary?: CanaryHooks;
  /** Watching CodeDeploy's rollback deployment of a blue/green fast rollback: its Blue/Green labels are the other way round, so no phases. */
  quietBlueGreen?: boolean;
}

/** `canary`: the CodeDeploy action of the canary's deployment group; `canary-gate`: the manual approval after it. */
type ActionKind = 'build' | 'deploy' | 'approval' | 'canary' | 'canary-gate' | 'other';

class ChangeLog {
  /** The last blue/green phase reported. */
  blueGreenPhase: BlueGreenPhase | undefined;
  private readonly seen = new Map<string, string>();
  changed(key: string, value: string): boolean {
    if (this.seen.get(key) === value) return false;
    this.seen.set(key, value);
    return true;
  }
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function stopWatching(ctx: WatchContext, what: string): never {
  throw new InterruptedError(`stopped watching ${what}; it goes on in AWS`);
}

/** Polls `poll` until it returns a final record; throttling slows the polls down (bounded). */
async function pollUntilDone(ctx: WatchContext, what: string, poll: () => Promise<DeploymentRecord | undefined>): Promise<DeploymentRecord> {
  const deadline = Date.now() + ctx.timeoutMs;
  let delay = ctx.pollMs;
  let throttled = 0;
  for (;;) {
    if (ctx.signal.aborted) stopWatching(ctx, what);
    try {
      const done = await poll();
      if (done) return done;
      throttled = 0;
      delay = ctx.pollMs;
    } catch (error) {
      if (!(error instanceof ModError) || error.code !== 'AWS_THROTTLED' || ++throttled > 5) throw error;
      delay = Math.min(delay * 2, 60_000);
      ctx.events({ type: 'notice', level: 'warn', message: `AWS is throttling; polling every ${Math.round(delay / 1000)}s` });
    }
    if (Date.now() + delay > deadline) {
      throw new TimeoutError(`${what} still running after ${Math.round(ctx.timeoutMs / 1000)}s; stopped waiting (it goes on in AWS)`, `watch it with mod status --env ${ctx.environment} --watch; stop it with mod stop --env ${ctx.environment}`);
    }
    await sleep(delay, ctx.signal);
  }
}

const EVENT_STATUS: Record<string, EventStatus> = { Pending: 'Pending', InProgress: 'InProgress', Succeeded: 'Succeeded', Failed: 'Failed', Skipped: 'Skipped', Unknown: 'Pending' };

function instanceRecords(targets: DeploymentTarget[]): InstanceRecord[] {
  return targets.flatMap((t) => {
    const target = t.instanceTarget;
    if (!target?.targetId) return [];
    return [
      {
        instanceId: target.targetId.split('/').pop()!,
        status: EVENT_STATUS[target.status ?? 'Pending'] ?? 'Pending',
        events: (target.lifecycleEvents ?? []).map((e) => ({
          name: e.lifecycleEventName ?? '?',
          status: EVENT_STATUS[e.status ?? 'Pending'] ?? 'Pending',
          startedAt: e.startTime?.toISOString(),
          endedAt: e.endTime?.toISOString(),
          durationMs: e.startTime && e.endTime ? e.endTime.getTime() - e.startTime.getTime() : undefined,
          message: e.diagnostics?.message,
          logTail: e.diagnostics?.logTail ? e.diagnostics.logTail.split('\n').filter(Boolean).slice(-20) : undefined,
        })),
      },
    ];
  });
}

/** Reads a CodeDeploy deployment and its instances, emitting what changed. */
export async function readDeployment(ctx: WatchContext, deploymentId: string, changes: ChangeLog): Promise<{ info: DeploymentInfo; instances: InstanceRecord[]; targets: DeploymentTarget[] }> {
  const { clients } = ctx;
  const [deployment, targetIds] = await Promise.all([
    clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId }), `deployment ${deploymentId}`),
    clients.call(clients.codedeploy, new ListDeploymentTargetsCommand({ deploymentId }), `deployment ${deploymentId}`),
  ]);
  const ids = targetIds.targetIds ?? [];
  const targets = ids.length ? ((await clients.call(clients.codedeploy, new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: ids }), `deployment ${deploymentId}`)).deploymentTargets ?? []) : [];
  const instances = instanceRecords(targets);
  for (const instance of instances) {
    for (const event of instance.events) {
      if (event.status === 'Pending' || !changes.changed(`${deploymentId}/${instance.instanceId}/${event.name}`, event.status)) continue;
      ctx.events({ type: 'lifecycle', instanceId: instance.instanceId, event: event.name, status: event.status, durationMs: event.durationMs, message: event.message });
    }
  }
  return { info: deployment.deploymentInfo ?? {}, instances, targets };
}

/**
 * Blue/green: records the fleets and reports the phase. Once traffic is on the
 * replacement fleet and CodeDeploy only waits to terminate the original, the
 * release is live: the watch ends there (Succeeded) instead of waiting out
 * terminationWaitSeconds, and says how to roll back to the kept fleet.
 */
function followBlueGreen(ctx: WatchContext, record: DeploymentRecord, read: { info: DeploymentInfo; targets: DeploymentTarget[] }, changes: ChangeLog): boolean {
  if (ctx.quietBlueGreen || !isBlueGreen(read.info)) return false;
  const state = blueGreenState(read.info, read.targets);
  recordBlueGreen(record, state, ctx.events, changes.blueGreenPhase);
  changes.blueGreenPhase = state.phase;
  if (state.phase !== 'waiting for original instances termination') return false;
  ctx.events({ type: 'notice', level: 'info', message: `blue/green: the release is live; until the original fleet is terminated, mod rollback --env ${ctx.environment} --fast re-routes traffic back to it` });
  return true;
}

function deploymentFailure(info: DeploymentInfo, instances: InstanceRecord[]): DeploymentError {
  for (const instance of instances) {
    const failed = instance.events.find((e) => e.status === 'Failed');
    if (failed) {
      return {
        code: 'LIFECYCLE_EVENT_FAILED',
        message: `${instance.instanceId}: ${failed.name} failed${failed.message ? `: ${failed.message}` : ''}`,
        instanceId: instance.instanceId,
        event: failed.name,
        logTail: failed.logTail,
        hint: 'the script log is on the instance under /opt/codedeploy-agent/deployment-root',
      };
    }
  }
  return { code: info.errorInformation?.code ?? 'DEPLOYMENT_FAILED', message: info.errorInformation?.message ?? `deployment ${info.deploymentId} ${info.status}` };
}

function finalStatusOfDeployment(info: DeploymentInfo): DeploymentRecord['status'] | undefined {
  switch (info.status) {
    case 'Succeeded':
      return 'Succeeded';
    case 'Failed':
      return info.rollbackInfo?.rollbackDeploymentId ? 'RolledBack' : 'Failed';
    case 'Stopped':
      return info.rollbackInfo?.rollbackDeploymentId ? 'RolledBack' : 'Stopped';
    default:
      return undefined;
  }
}

/** Watches a deployment created directly in CodeDeploy (fast rollback). */
export async function watchDeployment(ctx: WatchContext, deploymentId: string, record: DeploymentRecord): Promise<DeploymentRecord> {
  const changes = new ChangeLog();
  return pollUntilDone(ctx, `deployment ${deploymentId}`, async () => {
    const read = await readDeployment(ctx, deploymentId, changes);
    const { info, instances } = read;
    record.instances = instances;
    const live = followBlueGreen(ctx, record, read, changes);
    const status = finalStatusOfDeployment(info) ?? (live ? 'Succeeded' : undefined);
    if (!status) return undefined;
    record.status = status;
    record.endedAt = (info.completeTime ?? new Date()).toISOString();
    if (status !== 'Succeeded') record.error = deploymentFailure(info, instances);
    return record;
  });
}

function actionKinds(pipeline: PipelineDeclaration | undefined, names: AwsNames): Map<string, ActionKind> {
  const kinds = new Map<string, ActionKind>();
  let afterCanary = false;
  for (const stage of pipeline?.stages ?? []) {
    // Pipeline order: stages, then run order within a stage.
    for (const action of [...(stage.actions ?? [])].sort((a, b) => (a.runOrder ?? 1) - (b.runOrder ?? 1))) {
      const type = action.actionTypeId;
      let kind: ActionKind = type?.provider === 'CodeBuild' ? 'build' : type?.provider === 'CodeDeploy' ? 'deploy' : type?.category === 'Approval' ? 'approval' : 'other';
      if (kind === 'deploy' && action.configuration?.DeploymentGroupName === names.canaryDeploymentGroup) {
        kind = 'canary';
        afterCanary = true;
      } else if (kind === 'approval' && afterCanary) {
        kind = 'canary-gate';
        afterCanary = false;
      }
      kinds.set(`${stage.name}/${action.name}`, kind);
    }
  }
  return kinds;
}

async function buildLogTail(ctx: WatchContext, build: Build): Promise<string[]> {
  const group = build.logs?.groupName ?? ctx.names.logGroup;
  const stream = build.logs?.streamName ?? build.id?.split(':').pop();
  if (!stream) return [];
  const events = await ctx.clients.call(ctx.clients.logs, new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: 30, startFromHead: false }), `log stream ${group}/${stream}`).catch(() => ({ events: [] }));
  return (events.events ?? []).map((e) => (e.message ?? '').replace(/\n$/, '')).filter(Boolean);
}

/** Watches a pipeline execution through its stages until it ends. */
export async function watchPipelineExecution(ctx: WatchContext, executionId: string, record: DeploymentRecord): Promise<DeploymentRecord> {
  const { clients, names } = ctx;
  const pipeline = (await clients.call(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
  const kinds = actionKinds(pipeline, names);
  const changes = new ChangeLog();
  let buildId: string | undefined;
  let deploymentId: string | undefined;
  let canaryDeploymentId: string | undefined;
  let canaryDeployed = false;

  return pollUntilDone(ctx, `pipeline execution ${executionId}`, async () => {
    const [execution, state] = await Promise.all([
      clients.call(clients.codepipeline, new GetPipelineExecutionCommand({ pipelineName: names.pipeline, pipelineExecutionId: executionId }), `pipeline ${names.pipeline}`),
      clients.call(clients.codepipeline, new GetPipelineStateCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`),
    ]);
    for (const stage of state.stageStates ?? []) {
      if (stage.latestExecution?.pipelineExecutionId !== executionId) continue;
      for (const action of stage.actionStates ?? []) {
        const latest = action.latestExecution;
        if (!latest?.status) continue;
        const key = `${stage.stageName}/${action.actionName}`;
        const kind = kinds.get(key) ?? 'other';
        if (kind === 'build' && latest.externalExecutionId) buildId = latest.externalExecutionId;
        if (kind === 'deploy' && latest.externalExecutionId) deploymentId = latest.externalExecutionId;
        if (kind === 'canary' && latest.externalExecutionId) {
          if (!canaryDeploymentId) await ctx.canary?.canaryDeployStarted(latest.externalExecutionId);
          canaryDeploymentId = latest.externalExecutionId;
          canaryDeployed = latest.status === 'Succeeded';
        }
        if (kind === 'canary-gate' && latest.status === 'InProgress' && latest.token && canaryDeployed && ctx.canary) {
          if (changes.changed(key, latest.status)) ctx.events({ type: 'notice', level: 'info', message: `${key}: the canary gate; mod judges the canary, then answers it` });
          await ctx.canary.gateReached({ stageName: stage.stageName!, actionName: action.actionName!, pipelineExecutionId: executionId, commit: record.revision.commit, token: latest.token }, canaryDeploymentId);
          continue;
        }
        if (kind === 'canary-gate' && latest.status !== 'InProgress') ctx.canary?.gateClosed(latest.status, latest.summary);
        if (changes.changed(key, latest.status)) {
          const waiting = (kind === 'approval' || kind === 'canary-gate') && latest.status === 'InProgress';
          ctx.events({
            type: 'notice',
            level: latest.status === 'Failed' ? 'warn' : 'info',
            message: waiting ? `${key}: waiting for manual approval (mod approve --env ${ctx.environment} --summary "...")` : `${key}: ${latest.status}${latest.summary ? ` (${latest.summary})` : ''}`,
          });
        }
      }
    }
    const [build, deployment] = await Promise.all([
      buildId ? clients.call(clients.codebuild, new BatchGetBuildsCommand({ ids: [buildId] }), `build ${buildId}`).then((r) => r.builds?.[0]) : Promise.resolve(undefined),
      deploymentId ? readDeployment(ctx, deploymentId, changes) : Promise.resolve(undefined),
    ]);
    for (const phase of build?.phases ?? []) {
      if (!phase.phaseType || !phase.phaseStatus || !changes.changed(`build/${phase.phaseType}`, phase.phaseStatus)) continue;
      const status = phase.phaseStatus === 'SUCCEEDED' ? 'succeeded' : phase.phaseStatus === 'IN_PROGRESS' ? 'start' : 'failed';
      ctx.events({ type: 'build.phase', phase: phase.phaseType.toLowerCase(), status, durationMs: phase.durationInSeconds !== undefined ? phase.durationInSeconds * 1000 : undefined });
    }
    if (deployment) record.instances = deployment.instances;
    record.aws = { ...record.aws, pipelineExecutionId: executionId, buildId, codeDeployDeploymentId: deploymentId };
    const live = deployment ? followBlueGreen(ctx, record, deployment, changes) : false;

    const status = execution.pipelineExecution?.status;
    if (live && status === 'InProgress') {
      record.status = 'Succeeded';
      record.endedAt = new Date().toISOString();
      return record;
    }
    if (!status || status === 'InProgress' || status === 'Stopping') return undefined;
    record.endedAt = new Date().toISOString();
    if (status === 'Succeeded') {
      record.status = 'Succeeded';
      return record;
    }
    record.status = status === 'Stopped' || status === 'Cancelled' || status === 'Superseded' ? 'Stopped' : 'Failed';
    if (build?.buildStatus && build.buildStatus !== 'SUCCEEDED' && build.buildStatus !== 'IN_PROGRESS') {
      const failedPhase = build.phases?.find((p) => p.phaseStatus && p.phaseStatus !== 'SUCCEEDED' && p.phaseStatus !== 'IN_PROGRESS');
      record.error = {
        code: 'BUILD_FAILED',
        message: `build failed in phase ${failedPhase?.phaseType ?? '?'}${failedPhase?.contexts?.[0]?.message ? `: ${failedPhase.contexts[0].message}` : ''}`,
        logTail: await buildLogTail(ctx, build),
        hint: `full log: CloudWatch Logs ${build.logs?.groupName ?? ctx.names.logGroup}`,
      };
    } else if (deployment) {
      const rolledBack = finalStatusOfDeployment(deployment.info) === 'RolledBack';
      if (rolledBack) record.status = 'RolledBack';
      record.error = deploymentFailure(deployment.info, deployment.instances);
    } else {
      record.error = { code: 'PIPELINE_FAILED', message: execution.pipelineExecution?.statusSummary ?? `pipeline execution ${status}` };
    }
    return record;
  });
}
