// What AWS keeps about past deployments, read as the domain's deployment
// records: a CodePipeline execution is a deployment of the commit it built;
// a fast rollback is a CodeDeploy deployment made without the pipeline, and
// its description (written here, read back here) carries the commit, the
// deployment it rolls back and who asked.
import type { DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import type { Environment } from '../../config.js';
import type { DeploymentRecord, DeploymentStatus } from '../../deployment.js';

/** Marks the CodeDeploy deployments that are fast rollbacks (the others are the pipeline's). */
export const FAST_ROLLBACK_PREFIX = 'mod: fast rollback';

export function fastRollbackDescription(commit: string, rollbackOf: string | undefined, initiator: string): string {
  return `${FAST_ROLLBACK_PREFIX} to ${commit} (rollback of ${rollbackOf ?? '?'}) by ${initiator}`;
}

export function isFastRollback(d: DeploymentInfo): boolean {
  return Boolean(d.description?.startsWith(FAST_ROLLBACK_PREFIX));
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

export function executionRecord(env: Environment, e: PipelineExecutionSummary): DeploymentRecord {
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

export function fastRollbackRecord(env: Environment, d: DeploymentInfo): DeploymentRecord {
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
