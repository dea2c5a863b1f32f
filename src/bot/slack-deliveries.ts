// Deploy and rollback from Slack: the same domain functions as the CLI
// (deploy(), rollback()), with the Slack user as the history's initiator and
// progress in one message updated in place, the result in its thread. A
// production-like deploy whose only failing gate is `approval` posts an
// approval request instead of a refusal (approval-request.ts).
import type { webApi } from '@slack/bolt';
import { needsConfirmation } from '../delivery/config.js';
import { isModError } from '../errors.js';
import type { BotContext } from './bot-context.js';
import { initiatorOf, type ChatUser } from './chatops-access.js';
import { ProgressMessage } from './progress-message.js';
import { failureText, gatesText, resultText, short } from './slack-format.js';

export interface DeliveryRequest {
  ctx: BotContext;
  client: webApi.WebClient;
  channel: string;
  user: ChatUser;
  env: string;
}

export async function deployFromSlack(request: DeliveryRequest & { ref?: string; reason?: string; approvedBy?: string }): Promise<void> {
  const { ctx, client, channel, user } = request;
  const { deploy, GateRefusedError } = await import('../delivery/deploy.js');
  const ws = await ctx.openWorkspace();
  const env = ws.environment(request.env);
  const what = request.ref ? `\`${/^[0-9a-f]{40}$/.test(request.ref) ? short(request.ref) : request.ref}\`` : `branch \`${env.branch}\``;
  const progress = await ProgressMessage.post(client, channel, `:rocket: <@${user.slackUser}> deploying ${what} to *${env.name}*${request.approvedBy ? ` (approved by <@${request.approvedBy}>)` : ''}`, (e) => ctx.log.error('a Slack progress update failed', e));
  try {
    const outcome = await deploy(ws, { environment: env.name, ref: request.ref, reason: request.reason, initiator: initiatorOf(user), unattended: true, signal: ctx.signal, events: progress.event });
    await progress.finish(outcome.record.status, resultText(outcome.record, outcome.endpoint, 'Deploy'));
  } catch (error) {
    if (error instanceof GateRefusedError) {
      const failing = error.report.gates.filter((g) => g.status === 'fail');
      if (needsConfirmation(env) && !request.approvedBy && failing.length === 1 && failing[0]!.name === 'approval') {
        const { postApprovalRequest } = await import('./approval-request.js');
        const where = await postApprovalRequest({ ...request, ws, environment: env, commit: error.report.commit, reason: failing[0]!.reason });
        await progress.finish('waiting for approval', `:hourglass: waiting for an approver: ${where}`);
        return;
      }
      await progress.finish('refused by the release gates', gatesText(error.report, env.name));
      return;
    }
    await progress.finish('failed', failureText('The deploy', describeError(error)));
    if (!isModError(error)) ctx.log.error('a deploy from Slack failed unexpectedly', error);
  }
}

export async function rollbackFromSlack(request: DeliveryRequest & { fast: boolean }): Promise<void> {
  const { ctx, client, channel, user } = request;
  const { rollback } = await import('../delivery/rollback.js');
  const ws = await ctx.openWorkspace();
  const env = ws.environment(request.env);
  const progress = await ProgressMessage.post(client, channel, `:leftwards_arrow_with_hook: <@${user.slackUser}> rolling back *${env.name}*${request.fast ? ' (fast)' : ''}`, (e) => ctx.log.error('a Slack progress update failed', e));
  try {
    const outcome = await rollback(ws, { environment: env.name, fast: request.fast, initiator: initiatorOf(user), signal: ctx.signal, events: progress.event });
    const revert = outcome.revertCommit
      ? `\nrevert commit \`${short(outcome.revertCommit)}\`${outcome.pushed ? ' (pushed)' : ''}`
      : outcome.revertError
        ? `\n:warning: ${outcome.revertError.message}${outcome.revertError.hint ? ` (${outcome.revertError.hint})` : ''}`
        : '';
    await progress.finish(outcome.record.status, resultText(outcome.record, outcome.endpoint, 'Rollback') + revert);
  } catch (error) {
    await progress.finish('failed', failureText('The rollback', describeError(error)));
    if (!isModError(error)) ctx.log.error('a rollback from Slack failed unexpectedly', error);
  }
}

export function describeError(error: unknown): { message: string; hint?: string } {
  return isModError(error) ? { message: error.message, hint: error.hint } : { message: error instanceof Error ? error.message : String(error) };
}
