// `mod approve`: answers the manual approval waiting in an environment's
// pipeline, after showing what is being approved (the commits since the last
// successful release).
import { UsageError } from '../errors.js';
import type { CommitInfo } from '../git/git.js';
import type { PendingApproval } from './provider.js';
import type { Workspace } from './workspace.js';

export interface ApprovalPreview {
  environment: string;
  approval: PendingApproval;
  lastRelease: string | null;
  commits: Pick<CommitInfo, 'commit' | 'subject' | 'author'>[];
}

export async function previewApproval(ws: Workspace, environment: string): Promise<ApprovalPreview> {
  const env = ws.environment(environment);
  const provider = await ws.provider(env);
  const [approval, history] = await Promise.all([provider.pendingApproval(env), provider.deployments(env, 50)]);
  if (!approval) throw new UsageError(`no manual approval is waiting in ${env.name}'s pipeline`, `see mod status --env ${env.name}`);
  const lastRelease = history.find((d) => d.status === 'Succeeded' && d.revision.commit)?.revision.commit ?? null;
  const commits: ApprovalPreview['commits'] = [];
  if (approval.commit && (await ws.git.resolve(approval.commit))) {
    const shas = lastRelease && (await ws.git.resolve(lastRelease)) ? await ws.git.firstParentCommits(lastRelease, approval.commit) : [approval.commit];
    for (const sha of shas.slice(0, 50)) {
      const info = await ws.git.commitInfo(sha);
      commits.push({ commit: info.commit, subject: info.subject, author: info.author });
    }
  }
  return { environment: env.name, approval, lastRelease, commits };
}

export async function answerApproval(ws: Workspace, preview: ApprovalPreview, answer: { approve: boolean; summary: string }): Promise<void> {
  const env = ws.environment(preview.environment);
  await (await ws.provider(env)).answerApproval(env, preview.approval, answer);
}
