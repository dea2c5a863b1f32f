// Deploy and rollback from Slack: the same domain functions as the CLI
// (deploy(), rollback()), with the Slack user as the history's initiator and
// progress in one message updated in place, the result in its thread. A
// production-like deploy whose only failing gate is `approval` posts an
// approval request instead of a refusal (approval-request.ts). When the bot
// cannot post in the channel (not invited, a DM), the user is told privately
// through the slash command's response_url, which works everywhere; a failed
// approval request ends the progress message with the failure.
import type { webApi } from '@slack/bolt';
import { needsConfirmation } from '../delivery/config.js';
import { isModError } from '../errors.js';
import type { BotContext } from './bot-context.js';
import { initiatorOf, type ChatUser } from './chatops-access.js';
import { ProgressMessage } from './progress-message.js';
import { escape, failureText, gatesText, resultText, short } from './slack-format.js';

export interface DeliveryRequest {
  ctx: BotContext;
  client: webApi.WebClient;
  channel: string;
  user: ChatUser;
  env: string;
  /** Tells the requester privately (the slash command's response_url); absent after a button click. */
  privately?: (text: string) => Promise<unknown>;
}

/** What to tell a user when a post in `channel` failed: invite the bot, for Slack's membership errors. */
export function cannotPostText(channel: string, error: unknown): string {
  const code = (error as { data?: { error?: string } }).data?.error;
  if (code === 'not_in_channel' || code === 'channel_not_found') return `:x: I cannot post in <#${channel}> (${code}): invite @mod to <#${channel}> (\`/invite @mod\`), or use /mod in a channel it is in.`;
  return `:x: I cannot post in <#${channel}>: ${escape(describeError(error).message)}`;
}

/** The progress message, or undefined once the user was told (privately, else in the log) that it cannot be posted. */
async function postProgress(request: DeliveryRequest, title: string): Promise<ProgressMessage | undefined> {
  const { ctx, client, channel } = request;
  try {
    return await ProgressMessage.post(client, channel, title, (e) => ctx.log.error('a Slack progress update failed', e));
  } catch (error) {
    // The user is told (the log keeps it for a bot without a response_url to answer).
    ctx.log.info(`cannot post in ${channel}: ${describeError(error).message}`);
    await request.privately?.(cannotPostText(channel, error)).catch((e: unknown) => ctx.log.error('the response_url answer failed', e));
    return undefined;
  }
}

/** Returns the outcome in a few words (for the bot's log). */
export async function deployFromSlack(request: DeliveryRequest & { ref?: string; reason?: string; approvedBy?: string }): Promise<string> {
  const { ctx, channel, user } = request;
  const { deploy, GateRefusedError } = await import('../delivery/deploy.js');
  const ws = await ctx.openWorkspace();
  const env = ws.environment(request.env);
  const what = request.ref ? `\`${/^[0-9a-f]{40}$/.test(request.ref) ? short(request.ref) : request.ref}\`` : `branch \`${env.branch}\``;
  const progress = await postProgress(request, `:rocket: <@${user.slackUser}> deploying ${what} to *${env.name}*${request.approvedBy ? ` (approved by <@${request.approvedBy}>)` : ''}`);
  if (!progress) return `cannot post in ${channel}`;
  try {
    const outcome = await deploy(ws, { environment: env.name, ref: request.ref, reason: request.reason, initiator: initiatorOf(user), unattended: true, signal: ctx.signal, events: progress.event });
    await progress.finish(outcome.record.status, resultText(outcome.record, outcome.endpoint, 'Deploy'));
    return `${outcome.record.deploymentId} ${outcome.record.status}`;
  } catch (error) {
    if (error instanceof GateRefusedError) {
      const failing = error.report.gates.filter((g) => g.status === 'fail');
      if (needsConfirmation(env) && !request.approvedBy && failing.length === 1 && failing[0]!.name === 'approval') {
        const { postApprovalRequest } = await import('./approval-request.js');
        const where = await postApprovalRequest({ ...request, ws, environment: env, commit: error.report.commit, reason: failing[0]!.reason, progressTs: progress.threadTs }).catch((e: unknown) => e as Error);
        if (where instanceof Error) {
          const approvalChannel = ws.config.chatops.approvalChannel ?? channel;
          const code = (where as { data?: { error?: string } }).data?.error;
          if (code) ctx.log.info(`the approval request could not be posted in ${approvalChannel}: ${code}`);
          else ctx.log.error('the approval request could not be posted', where);
          await progress.finish('failed', code ? `The approval request was not posted. ${cannotPostText(approvalChannel, where)}` : failureText('The approval request', describeError(where)));
          return 'the approval request could not be posted';
        }
        await progress.finish('waiting for approval', `:hourglass: waiting for an approver: ${where}`);
        return 'waiting for approval';
      }
      await progress.finish('refused by the release gates', gatesText(error.report, env.name));
      return 'refused by the release gates';
    }
    await progress.finish('failed', failureText('The deploy', describeError(error)));
    if (!isModError(error)) ctx.log.error('a deploy from Slack failed unexpectedly', error);
    return `failed: ${describeError(error).message}`;
  }
}

/** Returns the outcome in a few words (for the bot's log). */
export async function rollbackFromSlack(request: DeliveryRequest & { fast: boolean; to?: string }): Promise<string> {
  const { ctx, user } = request;
  const { rollback } = await import('../delivery/rollback.js');
  const ws = await ctx.openWorkspace();
  const env = ws.environment(request.env);
  const progress = await postProgress(request, `:leftwards_arrow_with_hook: <@${user.slackUser}> rolling back *${env.name}*${request.to ? ` to \`${escape(request.to)}\`` : ''}${request.fast ? ' (fast)' : ''}`);
  if (!progress) return `cannot post in ${request.channel}`;
  try {
    const outcome = await rollback(ws, { environment: env.name, fast: request.fast, ...(request.to ? { to: request.to } : {}), initiator: initiatorOf(user), signal: ctx.signal, events: progress.event });
    const revert = outcome.revertCommit
      ? `\nrevert commit \`${short(outcome.revertCommit)}\`${outcome.pushed ? ' (pushed)' : ''}`
      : outcome.revertError
        ? `\n:warning: ${outcome.revertError.message}${outcome.revertError.hint ? ` (${outcome.revertError.hint})` : ''}`
        : '';
    await progress.finish(outcome.record.status, resultText(outcome.record, outcome.endpoint, 'Rollback') + revert);
    return `${outcome.record.deploymentId} ${outcome.record.status}`;
  } catch (error) {
    await progress.finish('failed', failureText('The rollback', describeError(error)));
    if (!isModError(error)) ctx.log.error('a rollback from Slack failed unexpectedly', error);
    return `failed: ${describeError(error).message}`;
  }
}

export function describeError(error: unknown): { message: string; hint?: string } {
  return isModError(error) ? { message: error.message, hint: error.hint } : { message: error instanceof Error ? error.message : String(error) };
}
