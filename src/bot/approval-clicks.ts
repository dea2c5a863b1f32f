// The approval request's buttons. The request is looked up in the local state
// (approval-requests.ts), so one answered before a restart stays answered;
// one older than chatops.approvalTtlHours, or whose environment's target has
// moved on since, is refused (run /mod deploy again). An approve click by a
// qualifying approver who authored nothing in the change, on a request whose
// requester may still deploy there, answers it (once: a concurrent click is
// told it lost), is recorded (chat-approvals.ts) and the deploy of exactly
// that commit proceeds, reporting progress like any Slack deploy; anyone else
// is told why, privately, and nothing is recorded. Reject (an approver or the
// requester) ends the request, recorded too. Either answer (or a click on an
// expired request) also updates the requester's "waiting for approval"
// message, so no stale one stays in the channel.
import type { webApi } from '@slack/bolt';
import { approverRefusal, DEFAULT_APPROVAL_TTL_HOURS, fileChatApprovals, withinTtl } from '../delivery/chat-approvals.js';
import { ignoreEvents } from '../delivery/events.js';
import type { Workspace } from '../delivery/workspace.js';
import { approvalCheck } from './approval-check.js';
import type { ApprovalValue } from './approval-request.js';
import { fileApprovalRequests, type ApprovalAnswer, type ApprovalRequest } from './approval-requests.js';
import type { BotContext } from './bot-context.js';
import { changeRefusal, chatUser, type ChatUser } from './chatops-access.js';
import { deployFromSlack, describeError } from './slack-deliveries.js';
import { escape, short, unmappedUserText } from './slack-format.js';

export interface ClickInput {
  ctx: BotContext;
  client: webApi.WebClient;
  slackUser: string;
  channel: string;
  messageTs: string | undefined;
  value: string;
}

function parseValue(value: string): ApprovalValue | undefined {
  try {
    const v = JSON.parse(value) as Partial<ApprovalValue>;
    return typeof v.r === 'string' && typeof v.e === 'string' && typeof v.c === 'string' && /^[0-9a-f]{40}$/.test(v.c) && typeof v.u === 'string' && typeof v.ch === 'string' ? (v as ApprovalValue) : undefined;
  } catch {
    return undefined;
  }
}

const answeredText = (a: ApprovalAnswer) => `This request was already ${a.state} by ${a.github} (${a.at}).`;

/** What both buttons start with: the request as the state has it, the workspace and the clicking user; or undefined once the user was told why not. */
async function clickedRequest(input: ClickInput, tell: (text: string) => Promise<unknown>): Promise<{ ws: Workspace; user: ChatUser; request: ApprovalRequest } | undefined> {
  const value = parseValue(input.value);
  if (!value) return void (await tell(':x: this approval button is damaged; run `/mod deploy <env>` again'));
  const ws = await input.ctx.openWorkspace();
  const user = chatUser(ws.config, input.slackUser);
  if (!user) return void (await tell(unmappedUserText(input.slackUser)));
  const found = await fileApprovalRequests(ws.paths).get(value.r);
  if (!found) return void (await tell(`:x: The bot has no record of this approval request (made before approvals were kept, or its state was cleared): run \`/mod deploy ${escape(value.e)}\` again.`));
  if (found.answer) return void (await tell(answeredText(found.answer)));
  return { ws, user, request: found.request };
}

/** Why the request can no longer be approved as it stands (stale, moved on, requester no longer allowed), or undefined. */
async function requestRefusal(ws: Workspace, request: ApprovalRequest): Promise<string | undefined> {
  const ttl = ws.config.chatops.approvalTtlHours ?? DEFAULT_APPROVAL_TTL_HOURS;
  const again = `run \`/mod deploy ${request.environment}\` again`;
  if (!withinTtl(request.requestedAt, new Date(), ttl)) return `this request was made at ${request.requestedAt}, more than ${ttl} h ago (chatops.approvalTtlHours): ${again}`;
  const env = ws.environment(request.environment);
  const { targetCommit } = await import('../delivery/deploy.js');
  const now = await targetCommit(ws, env, request.ref, ignoreEvents, 'judging');
  if (now.commit !== request.commit) return `${request.ref ? `\`${escape(request.ref)}\`` : 'the branch'} moved to \`${short(now.commit)}\` since the request for \`${short(request.commit)}\`: ${again}`;
  const requester = chatUser(ws.config, request.requester);
  if (!requester) return `the requester <@${request.requester}> is no longer in chatops.users, so nothing is deployed for them`;
  const refusal = changeRefusal(requester, env, 'deploy');
  if (refusal) return `the requester may no longer deploy ${env.name}: ${refusal}`;
  return undefined;
}

/** Updates the requester's "waiting for approval" progress message with how the request ended. */
async function settleWaiting(input: ClickInput, request: ApprovalRequest, outcome: string): Promise<void> {
  if (!request.progressTs) return;
  const text = `:raised_hand: <@${request.requester}> asked to deploy \`${short(request.commit)}\` to *${escape(request.environment)}*: *${outcome}*`;
  await input.client.chat.update({ channel: request.channel, ts: request.progressTs, text }).catch((error: unknown) => input.ctx.log.error('updating the waiting message failed', error));
}

export async function approveClicked(input: ClickInput): Promise<void> {
  const { ctx, client, slackUser, channel } = input;
  const tell = (text: string) => client.chat.postEphemeral({ channel, user: slackUser, text });
  try {
    const clicked = await clickedRequest(input, tell);
    if (!clicked) return;
    const { ws, user, request } = clicked;
    const stale = await requestRefusal(ws, request);
    if (stale) {
      const ttl = ws.config.chatops.approvalTtlHours ?? DEFAULT_APPROVAL_TTL_HOURS;
      if (!withinTtl(request.requestedAt, new Date(), ttl)) await settleWaiting(input, request, `the approval request expired (older than ${ttl} h): run /mod deploy ${request.environment} again`);
      return void (await tell(`:no_entry: Not recorded: ${stale}.`));
    }
    const env = ws.environment(request.environment);
    const { context, settings } = await approvalCheck(ws, env, request.commit);
    const refusal = await approverRefusal(context, settings, slackUser);
    if (refusal) return void (await tell(`:no_entry: Not recorded: ${escape(refusal)}. Another approver must approve \`${short(request.commit)}\` for *${env.name}*.`));
    const answered = await fileApprovalRequests(ws.paths).answer(request.id, { state: 'approved', slackUser, github: user.github, at: new Date().toISOString() });
    // A concurrent click (here or in another bot) answered first.
    if (!answered.first) return void (await tell(answeredText(answered.answer)));
    await fileChatApprovals(ws.paths).record(env.name, request.commit, { requestId: request.id, slackUser, github: user.github, approvedAt: answered.answer.at });
    if (input.messageTs) await client.chat.update({ channel, ts: input.messageTs, text: `:white_check_mark: <@${slackUser}> approved deploying \`${short(request.commit)}\` to *${env.name}* (requested by <@${request.requester}>)`, blocks: [] });
    await settleWaiting(input, request, `approved by <@${slackUser}>: deploying, progress in the new message below`);
    const requester = chatUser(ws.config, request.requester)!;
    // Progress goes where the requester asked (the approval channel may be another).
    await deployFromSlack({ ctx, client, channel: request.channel, user: requester, env: env.name, ref: request.commit, reason: `approved in Slack by ${user.github} (${slackUser})`, approvedBy: slackUser });
  } catch (error) {
    await tell(`:x: The approval could not be checked: ${escape(describeError(error).message)}`);
  }
}

export async function rejectClicked(input: ClickInput): Promise<void> {
  const { client, slackUser, channel } = input;
  const tell = (text: string) => client.chat.postEphemeral({ channel, user: slackUser, text });
  try {
    const clicked = await clickedRequest(input, tell);
    if (!clicked) return;
    const { ws, user, request } = clicked;
    if (!user.roles.includes('approver') && slackUser !== request.requester) return void (await tell(':no_entry: Only an approver (or the requester) may reject this request.'));
    const answered = await fileApprovalRequests(ws.paths).answer(request.id, { state: 'rejected', slackUser, github: user.github, at: new Date().toISOString() });
    if (!answered.first) return void (await tell(answeredText(answered.answer)));
    if (input.messageTs) await client.chat.update({ channel, ts: input.messageTs, text: `:no_entry_sign: <@${slackUser}> rejected deploying \`${short(request.commit)}\` to *${request.environment}* (requested by <@${request.requester}>)`, blocks: [] });
    await settleWaiting(input, request, `rejected by <@${slackUser}>: nothing deployed`);
  } catch (error) {
    await tell(`:x: The rejection could not be recorded: ${escape(describeError(error).message)}`);
  }
}
