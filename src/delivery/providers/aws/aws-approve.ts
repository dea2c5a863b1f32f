// The pipeline's own manual approval step: whether it has one, the approval
// waiting in it (with the execution and commit it would let through), and
// answering it (`mod approve`).
import { GetPipelineCommand, GetPipelineStateCommand, ListPipelineExecutionsCommand, PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import type { PendingApproval } from '../../provider.js';
import type { AwsContext } from './aws-context.js';

export async function hasManualApprovalStep({ clients, names }: AwsContext): Promise<boolean> {
  const pipeline = (await clients.call(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
  return Boolean(pipeline?.stages?.some((s) => s.actions?.some((a) => a.actionTypeId?.category === 'Approval')));
}

export async function findPendingApproval({ clients, names }: AwsContext): Promise<PendingApproval | undefined> {
  const state = await clients.call(clients.codepipeline, new GetPipelineStateCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`);
  for (const stage of state.stageStates ?? []) {
    for (const action of stage.actionStates ?? []) {
      if (action.latestExecution?.status === 'InProgress' && action.latestExecution.token) {
        const executionId = stage.latestExecution?.pipelineExecutionId ?? null;
        let commit: string | null = null;
        if (executionId) {
          const list = await clients.call(clients.codepipeline, new ListPipelineExecutionsCommand({ pipelineName: names.pipeline, maxResults: 20 }), `pipeline ${names.pipeline}`);
          commit = list.pipelineExecutionSummaries?.find((e) => e.pipelineExecutionId === executionId)?.sourceRevisions?.[0]?.revisionId ?? null;
        }
        return { stageName: stage.stageName!, actionName: action.actionName!, pipelineExecutionId: executionId, commit, token: action.latestExecution.token };
      }
    }
  }
  return undefined;
}

export async function answerPendingApproval({ clients, names }: AwsContext, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
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
