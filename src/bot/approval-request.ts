// A production approval request in Slack: Block Kit with Approve / Reject
// buttons whose value carries the request id, environment, target commit and
// requester, mentioning the approvers and listing what ships and who wrote
// it. approval-clicks.ts answers the buttons.
import { randomUUID } from 'node:crypto';
import { withCommittedGates } from '../delivery/committed-config.js';
import { gatesOf, type Environment } from '../delivery/config.js';
import { ignoreEvents } from '../delivery/events.js';
import { gateContext, type GateDependencies } from '../delivery/gates/run-gates.js';
import type { Workspace } from '../delivery/workspace.js';
import type { DeliveryRequest } from './slack-deliveries.js';
import { approvalRequestText } from './slack-format.js';

export const APPROVE_ACTION = 'mod_approve';
export const REJECT_ACTION = 'mod_reject';

/** What a button's value carries (JSON): request id, environment, target commit, requester and their channel. */
export interface ApprovalValue {
  r: string;
  e: string;
  c: string;
  u: string;
  /** The channel the deploy was asked in: its progress is reported there. */
  ch: string;
}

export function dependencies(ws: Workspace): GateDependencies {
  return { openGitHub: () => ws.openGitHub(), readAppliedMigrations: (url) => ws.appliedMigrations(url) };
}

/** Posts the request; returns where (for the requester's progress message). */
export async function postApprovalRequest(input: DeliveryRequest & { ws: Workspace; environment: Environment; commit: string; reason: string }): Promise<string> {
  const { ws, environment: env, client, user } = input;
  const commit = await ws.git.commitInfo(input.commit);
  const context = await gateContext(ws, env, await ws.provider(env), commit, dependencies(ws));
  const pulls = await context.pullRequests().then(
    (found) => found.pulls.map((p) => ({ number: p.number, title: p.title, author: p.author, url: p.url })),
    () => [],
  );
  const settings = gatesOf(await withCommittedGates(ws.git, env, commit, ignoreEvents)).approval;
  const listed = new Set((settings?.approvers ?? []).map((a) => a.toLowerCase()));
  const approvers = Object.entries(ws.config.chatops.users)
    .filter(([, u]) => u.roles.includes('approver') && (listed.size === 0 || settings?.team || listed.has(u.github.toLowerCase())))
    .map(([id]) => id);
  const value: ApprovalValue = { r: randomUUID(), e: env.name, c: commit.commit, u: user.slackUser, ch: input.channel };
  const text = approvalRequestText({ environment: env.name, commit, commits: context.change.commits, pulls, requester: user.slackUser, approvers, reason: input.reason });
  const channel = ws.config.chatops.approvalChannel ?? input.channel;
  await client.chat.postMessage({
    channel,
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
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
