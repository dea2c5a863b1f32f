// The Bolt app: the `/mod` slash command and the approval buttons. Every
// listener acks first (Slack waits 3 s at most) and works afterwards; quick
// refusals and the help are the ack itself (ephemeral: only the user sees
// them). Reads (status, gates, history) are posted in the channel; where the
// bot cannot post, the user is told privately through the response_url.
import { App, LogLevel, type BlockAction, type ButtonAction, type Receiver } from '@slack/bolt';
import { APPROVE_ACTION, REJECT_ACTION } from './approval-request.js';
import type { BotContext } from './bot-context.js';
import { chatUser, changeRefusal } from './chatops-access.js';
import { CommandSyntaxError, parseModCommand, type ModCommand } from './mod-command.js';
import { cannotPostText, describeError } from './slack-deliveries.js';
import { escape, gatesText, HELP, historyText, statusText, unmappedUserText } from './slack-format.js';

export interface SlackAppOptions {
  token: string;
  /** HTTP mode: the receiver the Fastify route feeds. */
  receiver?: Receiver;
  /** Socket Mode: the app-level token (xapp-...). */
  appToken?: string;
  /** The Web API base URL (SLACK_API_URL), e.g. a stand-in's; default Slack's. */
  slackApiUrl?: string;
}

const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

/**
 * The app, not initialised yet: app.init() checks the token with auth.test
 * (startBotServer awaits it, so a rejected token is a clear error at start).
 */
export function createSlackApp(ctx: BotContext, options: SlackAppOptions): App {
  const clientOptions = { ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl.endsWith('/') ? options.slackApiUrl : `${options.slackApiUrl}/` } : {}), retryConfig: { retries: 2, factor: 2, minTimeout: 500 } };
  const app = options.receiver
    ? new App({ token: options.token, receiver: options.receiver, clientOptions, logLevel: LogLevel.WARN, deferInitialization: true })
    : new App({ token: options.token, appToken: options.appToken, socketMode: true, clientOptions, logLevel: LogLevel.WARN, deferInitialization: true });

  app.command('/mod', async ({ command, ack, client, respond }) => {
    // The response_url reaches the user even where the bot may not post (a DM, a channel it is not in).
    const privately = (text: string) => respond({ response_type: 'ephemeral', text });
    let parsed: ModCommand | undefined;
    try {
      parsed = parseModCommand(command.text ?? '');
    } catch (error) {
      if (error instanceof CommandSyntaxError) return ack(ephemeral(`:x: ${escape(error.message)}`));
      throw error;
    }
    const ws = await ctx.openWorkspace().catch((error: unknown) => error as Error);
    if (ws instanceof Error) return ack(ephemeral(`:x: the bot cannot open its repository: ${escape(describeError(ws).message)}`));
    const user = chatUser(ws.config, command.user_id);
    if (!user) return ack(ephemeral(unmappedUserText(command.user_id)));
    if (!parsed || parsed.verb === 'help') return ack(ephemeral(parsed ? HELP : `Unknown command \`${escape(command.text)}\`.\n${HELP}`));
    const channel = command.channel_id;
    const env = 'env' in parsed && parsed.env ? resolve(ws, parsed.env) : undefined;
    if (env instanceof Error) return ack(ephemeral(`:x: ${escape(env.message)}${(env as { hint?: string }).hint ? ` (${escape((env as { hint?: string }).hint!)})` : ''}`));

    if (parsed.verb === 'deploy' || parsed.verb === 'rollback') {
      const refusal = changeRefusal(user, env!, parsed.verb);
      if (refusal) return ack(ephemeral(refusal));
      await ack();
      const { deployFromSlack, rollbackFromSlack } = await import('./slack-deliveries.js');
      const request = { ctx, client, channel, user, env: env!.name, privately };
      if (parsed.verb === 'deploy') await deployFromSlack({ ...request, ref: parsed.ref });
      else await rollbackFromSlack({ ...request, fast: parsed.fast });
      return;
    }

    await ack();
    const text = await read(parsed, ws).catch((error: unknown) => `:x: /mod ${escape(command.text)} failed: ${escape(describeError(error).message)}`);
    await client.chat.postMessage({ channel, text }).catch(async (error: unknown) => {
      ctx.log.info(`cannot post in ${channel}: ${describeError(error).message}`);
      await privately(cannotPostText(channel, error)).catch((e: unknown) => ctx.log.error('the response_url answer failed', e));
    });
  });

  const click = (action_id: typeof APPROVE_ACTION | typeof REJECT_ACTION, handler: 'approveClicked' | 'rejectClicked') =>
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id }, async ({ ack, body, action, client }) => {
      await ack();
      const flow = await import('./approval-clicks.js');
      await flow[handler]({ ctx, client, slackUser: body.user.id, channel: body.channel?.id ?? '', messageTs: body.message?.ts, value: action.value ?? '' });
    });
  click(APPROVE_ACTION, 'approveClicked');
  click(REJECT_ACTION, 'rejectClicked');

  app.error(async (error) => ctx.log.error('the Slack app failed', error));
  return app;
}

function resolve(ws: Awaited<ReturnType<BotContext['openWorkspace']>>, name: string) {
  try {
    return ws.environment(name);
  } catch (error) {
    return error as Error;
  }
}

/** The answer to a read-only command, as Slack text. */
async function read(command: Exclude<ModCommand, { verb: 'deploy' | 'rollback' | 'help' }>, ws: Awaited<ReturnType<BotContext['openWorkspace']>>): Promise<string> {
  const envs = command.verb !== 'gates' && command.env ? [ws.environment(command.env).name] : Object.keys(ws.config.environments);
  switch (command.verb) {
    case 'status': {
      const { status } = await import('../delivery/status.js');
      return statusText(await status(ws, envs));
    }
    case 'history': {
      const { history } = await import('../delivery/history.js');
      return historyText(await history(ws, envs, command.limit));
    }
    case 'gates': {
      const { judgeGates, targetCommit } = await import('../delivery/deploy.js');
      const { ignoreEvents } = await import('../delivery/events.js');
      const env = ws.environment(command.env);
      const provider = await ws.provider(env);
      const commit = await targetCommit(ws, env, command.ref, ignoreEvents, 'judging');
      return gatesText(await judgeGates(ws, env, provider, commit, { initiator: await ws.initiator(), events: ignoreEvents }), env.name);
    }
  }
}
