// The approval request's buttons. An approve click by a qualifying approver
// who authored nothing in the change is recorded (chat-approvals.ts) and the
// deploy of exactly that commit proceeds, reporting progress like any Slack
// deploy; anyone else is told why, privately, and nothing is recorded. Reject
// (an approver or the requester) ends the request.
import type { webApi } from '@slack/bolt';
import { approverRefusal, fileChatApprovals } from '../delivery/chat-approvals.js';
import { withCommittedGates } from '../delivery/committed-config.js';
import { gatesOf } from '../delivery/config.js';
import { ignoreEvents } from '../delivery/events.js';
import { gateContext } from '../delivery/gates/run-gates.js';
import { dependencies, type ApprovalValue } from './approval-request.js';
import type { BotContext } from './bot-context.js';
import { chatUser } from './chatops-access.js';
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

export async function approveClicked(input: ClickInput): Promise<void> {
  const { ctx, client, slackUser, channel } = input;
  const tell = (text: string) => client.chat.postEphemeral({ channel, user: slackUser, text });
  const value = parseValue(input.value);
  if (!value) return void (await tell(':x: this approval button is damaged; run `/mod deploy <env>` again'));
  const ws = await ctx.openWorkspace();
  const user = chatUser(ws.config, slackUser);
  if (!user) return void (await tell(unmappedUserText(slackUser)));
  const done = ctx.answered.get(value.r);
  if (done) return void (await tell(`This request was already ${done}.`));
  try {
    const env = ws.environment(value.e);
    const commit = await ws.git.commitInfo(value.c);
    const settings = gatesOf(await withCommittedGates(ws.git, env, commit, ignoreEvents)).approval ?? { approvers: [] };
    const refusal = await approverRefusal(await gateContext(ws, env, await ws.provider(env), commit, dependencies(ws)), settings, slackUser);
    if (refusal) return void (await tell(`:no_entry: Not recorded: ${escape(refusal)}. Another approver must approve \`${short(value.c)}\` for *${env.name}*.`));
    // A second click while this one runs is told so.
    if (ctx.answered.has(value.r)) return void (await tell(`This request was already ${ctx.answered.get(value.r)}.`));
    ctx.answered.set(value.r, `approved by ${user.github}`);
    await fileChatApprovals(ws.paths).record(env.name, value.c, { requestId: value.r, slackUser, github: user.github, approvedAt: new Date().toISOString() });
    if (input.messageTs) await client.chat.update({ channel, ts: input.messageTs, text: `:white_check_mark: <@${slackUser}> approved deploying \`${short(value.c)}\` to *${env.name}* (requested by <@${value.u}>)`, blocks: [] });
    const requester = chatUser(ws.config, value.u) ?? { slackUser: value.u, github: 'unknown', roles: [] };
    // Progress goes where the requester asked (the approval channel may be another).
    await deployFromSlack({ ctx, client, channel: value.ch, user: requester, env: env.name, ref: value.c, reason: `approved in Slack by ${user.github} (${slackUser})`, approvedBy: slackUser });
  } catch (error) {
    await tell(`:x: The approval could not be checked: ${escape(describeError(error).message)}`);
  }
}

export async function rejectClicked(input: ClickInput): Promise<void> {
  const { ctx, client, slackUser, channel } = input;
  const tell = (text: string) => client.chat.postEphemeral({ channel, user: slackUser, text });
  const value = parseValue(input.value);
  if (!value) return void (await tell(':x: this approval button is damaged; run `/mod deploy <env>` again'));
  const ws = await ctx.openWorkspace();
  const user = chatUser(ws.config, slackUser);
  if (!user) return void (await tell(unmappedUserText(slackUser)));
  if (!user.roles.includes('approver') && slackUser !== value.u) return void (await tell(':no_entry: Only an approver (or the requester) may reject this request.'));
  const done = ctx.answered.get(value.r);
  if (done) return void (await tell(`This request was already ${done}.`));
  ctx.answered.set(value.r, `rejected by ${user.github}`);
  if (input.messageTs) await client.chat.update({ channel, ts: input.messageTs, text: `:no_entry_sign: <@${slackUser}> rejected deploying \`${short(value.c)}\` to *${value.e}* (requested by <@${value.u}>)`, blocks: [] });
}
