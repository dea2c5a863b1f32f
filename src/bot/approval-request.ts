// A production approval request in Slack: kept in the local state first
// (approval-requests.ts: a click finds it even after a restart), then posted
// as Block Kit with Approve / Reject buttons whose value carries the request
// id (and, for reading, the environment, target commit and requester),
// mentioning the approvers who may approve it (not its authors) and listing what ships and who wrote it.
// approval-clicks.ts answers the buttons.
import { randomUUID } from 'node:crypto';
import { approverRefusal, eligibleApprovers } from '../delivery/chat-approvals.js';
import type { Environment } from '../delivery/config.js';
import type { Workspace } from '../delivery/workspace.js';
import { approvalCheck } from './approval-check.js';
import { fileApprovalRequests } from './approval-requests.js';
import type { DeliveryRequest } from './slack-deliveries.js';
import { approvalRequestText } from './slack-format.js';

export const APPROVE_ACTION = 'mod_approve';
export const REJECT_ACTION = 'mod_reject';

/** Slack's limit on a section block's text. */
const SECTION_LIMIT = 3000;

/** What a button's value carries (JSON): request id, environment, target commit, requester and their channel. */
export interface ApprovalValue {
  r: string;
  e: string;
  c: string;
  u: string;
  /** The channel the deploy was asked in: its progress is reported there. */
  ch: string;
}

/** Records and posts the request; returns where (for the requester's progress message). */
export async function postApprovalRequest(input: DeliveryRequest & { ws: Workspace; environment: Environment; commit: string; ref?: string; reason: string; progressTs?: string }): Promise<string> {
  const { ws, environment: env, client, user } = input;
  const { context, settings } = await approvalCheck(ws, env, input.commit);
  const commit = context.change.target;
  const pulls = await context.pullRequests().then(
    (found) => found.pulls.map((p) => ({ number: p.number, title: p.title, author: p.author, url: p.url })),
    () => [],
  );
  const approvers = await eligibleApprovers(context, settings).catch(() => []);
  // Only those who may approve this change are asked: an author's click would be refused.
  const refusals = await Promise.all(approvers.map((id) => approverRefusal(context, settings, id).catch((error: unknown) => String(error))));
  const mayApprove = approvers.filter((_, i) => refusals[i] === undefined);
  const noneBecause = approvers.length > 0 && mayApprove.length === 0 ? refusals[0] : undefined;
  const value: ApprovalValue = { r: randomUUID(), e: env.name, c: commit.commit, u: user.slackUser, ch: input.channel };
  await fileApprovalRequests(ws.paths).save({
    schemaVersion: 1,
    id: value.r,
    environment: env.name,
    commit: commit.commit,
    ...(input.ref ? { ref: input.ref } : {}),
    requester: user.slackUser,
    channel: input.channel,
    ...(input.progressTs ? { progressTs: input.progressTs } : {}),
    requestedAt: new Date().toISOString(),
  });
  const text = approvalRequestText({ environment: env.name, commit, commits: context.change.commits, pulls, requester: user.slackUser, approvers: mayApprove, noneBecause, reason: input.reason });
  const section = text.length > SECTION_LIMIT ? `${text.slice(0, SECTION_LIMIT - 40)}\n… (shortened: run \`/mod gates ${env.name}\`)` : text;
  const channel = ws.config.chatops.approvalChannel ?? input.channel;
  await client.chat.postMessage({
    channel,
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: section } },
      {
        type: 'actions',
        block_id: 'mod_approval',
        elements: [
          { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: JSON.stringify(value) },
          { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: JSON.stringify(value) },
        ],
      },
    ],
  });
  return channel === input.channel ? 'the request is below' : `the request is in <#${channel}>`;
}
