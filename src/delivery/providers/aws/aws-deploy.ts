// A deployment on AWS. Normally: push the environment's branch (fast-forward
// only, never force), find the pipeline execution the push started (or start
// one) and watch it. A fast rollback instead creates a CodeDeploy deployment
// of the revision an earlier deployment shipped, with no build, and watches
// that.
import { CreateDeploymentCommand, GetDeploymentCommand, type RevisionLocation } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { ModError, UsageError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import { newDeploymentId, newDeploymentRecord, type DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest } from '../../provider.js';
import type { AwsContext } from './aws-context.js';
import { codeDeployIdOf, rerouteToOriginalFleet } from './aws-blue-green.js';
import { AwsCanaryRun } from './aws-canary.js';
import { deploymentHistory } from './aws-history.js';
import { fastRollbackDescription } from './aws-records.js';
import { watchDeployment, watchPipelineExecution, type WatchContext } from './pipeline-watch.js';

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

export async function deployOnAws(ctx: AwsContext, git: Git, request: DeployRequest): Promise<DeploymentRecord> {
  const { environment: env, commit, events, signal } = request;
  const { clients, names } = ctx;
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
  const record = newDeploymentRecord(request, 'aws', '');

  if (request.reuseRevisionOf) {
    if (env.deploymentType === 'blue-green' && request.rollbackOf) {
      const instant = await instantRollback(ctx, request, record, watch);
      if (instant) return finish(instant, events);
    }
    const revision = await revisionOf(ctx, request.reuseRevisionOf);
    const description = fastRollbackDescription(commit.commit, request.rollbackOf, request.initiator);
    const created = await clients.call(
      clients.codedeploy,
      new CreateDeploymentCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.deploymentGroup, revision, description }),
      `deployment group ${names.codedeployApplication}/${names.deploymentGroup}`,
    );
    record.deploymentId = created.deploymentId ?? newDeploymentId();
    record.revision.bundle = `codedeploy:${record.deploymentId}`;
    record.aws = { codeDeployDeploymentId: created.deploymentId };
    events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: commit.commit, instanceIds: [], rollout: 'deployment group config' });
    return finish(await watchDeployment(watch, record.deploymentId, record), events);
  }

  const canary = env.canary ? await canaryRun(ctx, env, record, watch) : undefined;
  const pushedAt = new Date();
  await pushBranch(ctx, git, env, commit.commit, events);
  const executionId = await findOrStartExecution(ctx, env, commit.commit, pushedAt, events, signal);
  record.deploymentId = executionId;
  record.revision.bundle = `pipeline:${executionId}`;
  events({ type: 'deploy.start', deploymentId: executionId, environment: env.name, commit: commit.commit, instanceIds: [], rollout: `pipeline ${names.pipeline}` });
  const watched = await watchPipelineExecution({ ...watch, canary }, executionId, record);
  if (canary && !watched.canary && watched.status === 'Succeeded') {
    const reason = `pipeline ${names.pipeline} has no CodeDeploy action for ${names.canaryDeploymentGroup} followed by a manual approval (the canary gate), so no canary ran (mod doctor --env ${env.name} checks the setup)`;
    watched.canary = { status: 'Skipped', note: reason, canaryInstances: [], baselineInstances: [] };
    events({ type: 'canary', phase: 'skipped', reason });
  }
  if (canary?.failure && watched.status !== 'Succeeded') {
    // The pipeline failed because the canary gate was rejected: say why in the canary's words.
    watched.status = 'Failed';
    watched.error = canary.failure;
  }
  return finish(watched, events);
}

/** The canary of a pipeline deploy, with the current revision as its baseline (none on a first deploy). */
async function canaryRun(ctx: AwsContext, env: Environment, record: DeploymentRecord, watch: WatchContext): Promise<AwsCanaryRun> {
  const options = { settings: env.canary!, events: watch.events, signal: watch.signal, pollMs: watch.pollMs };
  const current = (await deploymentHistory(ctx, env, 20)).find((d) => d.status === 'Succeeded');
  if (!current) return new AwsCanaryRun(ctx, env, record, options);
  try {
    return new AwsCanaryRun(ctx, env, record, { ...options, baseline: { revision: await revisionOf(ctx, current), commit: current.revision.commit } });
  } catch (error) {
    if (!(error instanceof ModError) || error.code !== 'BUNDLE_MISSING') throw error;
    return new AwsCanaryRun(ctx, env, record, { ...options, skipReason: `no revision of the current deployment ${current.deploymentId} to run as the baseline (${error.message})` });
  }
}

/**
 * Blue/green fast rollback: while CodeDeploy keeps the original fleet, stop the
 * deployment being rolled back with auto-rollback, so CodeDeploy re-routes the
 * ALB to the original fleet (no reinstall); never waits for canary analysis.
 * Returns undefined (after saying why) when that fleet is gone: the caller
 * then redeploys the revision as a normal fast rollback.
 */
async function instantRollback(ctx: AwsContext, request: DeployRequest, record: DeploymentRecord, watch: WatchContext): Promise<DeploymentRecord | undefined> {
  const { events, environment: env } = request;
  const history = await deploymentHistory(ctx, env, 20);
  const rolledBack = history.find((d) => d.deploymentId === request.rollbackOf) ?? { deploymentId: request.rollbackOf!, revision: { commit: '' }, aws: undefined };
  const result = await rerouteToOriginalFleet(ctx, rolledBack);
  if (!result.rerouted) {
    events({ type: 'notice', level: 'info', message: `blue/green: no kept fleet to re-route to (${result.why}); redeploying the earlier revision (a normal fast rollback)` });
    return undefined;
  }
  const id = result.rollbackDeploymentId ?? result.stoppedDeploymentId;
  events({
    type: 'notice',
    level: 'info',
    message: `blue/green: stopped ${result.stoppedDeploymentId} with auto-rollback: CodeDeploy re-routes traffic to the original fleet (instant rollback, no reinstall)${result.rollbackDeploymentId ? `; watching ${result.rollbackDeploymentId}` : ''}`,
  });
  record.deploymentId = id;
  record.revision.bundle = `codedeploy:${id}`;
  record.aws = { codeDeployDeploymentId: id };
  record.deploymentType = 'blue-green';
  record.reason = `${record.reason ? `${record.reason}; ` : ''}re-routed to the original fleet kept by ${result.stoppedDeploymentId}`;
  events({ type: 'deploy.start', deploymentId: id, environment: env.name, commit: request.commit.commit, instanceIds: [], rollout: 're-route to the original fleet' });
  if (!result.rollbackDeploymentId) {
    record.status = 'Succeeded';
    record.endedAt = new Date().toISOString();
    return record;
  }
  return watchDeployment({ ...watch, quietBlueGreen: true }, id, record);
}

function finish(record: DeploymentRecord, events: DeliveryEvents): DeploymentRecord {
  events({ type: 'deploy.done', record });
  return record;
}

/** Makes the remote env branch point at the commit: a plain push, so git refuses anything but a fast-forward. */
async function pushBranch({ names }: AwsContext, git: Git, env: Environment, commit: string, events: DeliveryEvents): Promise<void> {
  const remotes = await git.remotes();
  if (!remotes.includes(names.remote)) {
    throw new UsageError(`git remote "${names.remote}" is not configured; CodePipeline deploys what is pushed to ${env.branch}`, `git remote add ${names.remote} <url>, or set environments.${env.name}.aws.remote`);
  }
  try {
    await git.pushCommit(names.remote, commit, env.branch);
  } catch (error) {
    throw new ModError('PUSH_REJECTED', `could not push ${commit.slice(0, 8)} to ${names.remote}/${env.branch}: ${(error as Error).message}`, {
      hint: `${env.branch} has commits that ${commit.slice(0, 8)} does not contain; merge them first (mod never force-pushes)`,
      cause: error,
    });
  }
  events({ type: 'git', message: `pushed ${commit.slice(0, 8)} to ${names.remote}/${env.branch}` });
}

async function findOrStartExecution({ clients, names }: AwsContext, env: Environment, commit: string, since: Date, events: DeliveryEvents, signal: AbortSignal): Promise<string> {
  const deadline = Date.now() + env.aws.executionStartTimeoutSeconds * 1000;
  for (;;) {
    const list = await clients.call(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 10 }), `pipeline ${names.pipeline}`);
    const match = list.pipelineExecutionSummaries?.find((e) => e.sourceRevisions?.some((r) => r.revisionId === commit) && (!e.startTime || e.startTime.getTime() >= since.getTime() - 60_000));
    if (match?.pipelineExecutionId) {
      events({ type: 'notice', level: 'info', message: `pipeline ${names.pipeline}: execution ${match.pipelineExecutionId} started by the push` });
      return match.pipelineExecutionId;
    }
    if (Date.now() >= deadline || signal.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(env.aws.pollSeconds * 1000, Math.max(0, deadline - Date.now()))));
  }
  const started = await clients.call(clients.codepipeline, new StartPipelineExecutionCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`);
  events({ type: 'notice', level: 'info', message: `pipeline ${names.pipeline}: no execution appeared for the push; started ${started.pipelineExecutionId}` });
  return started.pipelineExecutionId!;
}

/** The CodeDeploy revision (S3 bundle) an earlier deployment shipped. */
export async function revisionOf(ctx: AwsContext, deployment: DeploymentRecord): Promise<RevisionLocation> {
  const { clients } = ctx;
  const codeDeployId = await codeDeployIdOf(ctx, deployment);
  if (!codeDeployId) {
    throw new ModError('BUNDLE_MISSING', `no CodeDeploy deployment found for ${deployment.deploymentId}, so there is no revision to redeploy`, { hint: 'run the rollback without --fast' });
  }
  const info = await clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId: codeDeployId }), `deployment ${codeDeployId}`);
  const revision = info.deploymentInfo?.revision;
  if (!revision) throw new ModError('BUNDLE_MISSING', `deployment ${codeDeployId} has no revision to redeploy`, { hint: 'run the rollback without --fast' });
  return revision;
}
