// The Bolt app: the `/mod` slash command and the approval buttons. Every
// listener acks first (Slack waits 3 s at most) and works afterwards; quick
// refusals and the help are the ack itself (ephemeral: only the user sees
// them). Reads (status, gates, history) are posted in the channel; where the
// bot cannot post, the user is told privately through the response_url.
// Each command is one line in the bot's log (stderr): verb, environment,
// user, outcome.
import { App, LogLevel, type BlockAction, type ButtonAction, type Receiver } from '@slack/bolt';
import { APPROVE_ACTION, REJECT_ACTION } from './approval-request.js';
import type { BotContext } from './bot-context.js';
import { chatUser, changeRefusal, roleFor } from './chatops-access.js';
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
    const [verb = 'help', env0] = (command.text ?? '').trim().split(/\s+/).filter(Boolean);
    let who = command.user_id;
    const logged = (outcome: string) => ctx.log.info(`/mod ${verb}${env0 && !env0.startsWith('-') ? ` ${env0}` : ''} by ${who}: ${outcome}`);
    let parsed: ModCommand | undefined;
    try {
      parsed = parseModCommand(command.text ?? '');
    } catch (error) {
      if (error instanceof CommandSyntaxError) {
        logged(`refused: ${error.message}`);
        return ack(ephemeral(`:x: ${escape(error.message)}`));
      }
      throw error;
    }
    const ws = await ctx.openWorkspace().catch((error: unknown) => error as Error);
    if (ws instanceof Error) {
      logged(`failed: the bot cannot open its repository: ${describeError(ws).message}`);
      return ack(ephemeral(`:x: the bot cannot open its repository: ${escape(describeError(ws).message)}`));
    }
    const user = chatUser(ws.config, command.user_id);
    if (!user) {
      logged('refused: not in chatops.users');
      return ack(ephemeral(unmappedUserText(command.user_id)));
    }
    who = `${command.user_id} (${user.github})`;
    if (!parsed || parsed.verb === 'help') {
      logged(parsed ? 'help' : 'unknown verb: answered with the help');
      return ack(ephemeral(parsed ? HELP : `Unknown command \`${escape(command.text)}\`.\n${HELP}`));
    }
    const channel = command.channel_id;
    const env = 'env' in parsed && parsed.env ? resolve(ws, parsed.env) : undefined;
    if (env instanceof Error) {
      logged(`refused: ${env.message}`);
      return ack(ephemeral(`:x: ${escape(env.message)}${(env as { hint?: string }).hint ? ` (${escape((env as { hint?: string }).hint!)})` : ''}`));
    }

    if (parsed.verb === 'deploy' || parsed.verb === 'rollback') {
      const refusal = changeRefusal(user, env!, parsed.verb);
      if (refusal) {
        logged(`refused: needs the ${roleFor(env!)} role`);
        return ack(ephemeral(refusal));
      }
      await ack();
      const { deployFromSlack, rollbackFromSlack } = await import('./slack-deliveries.js');
      const request = { ctx, client, channel, user, env: env!.name, privately };
      logged(parsed.verb === 'deploy' ? await deployFromSlack({ ...request, ref: parsed.ref }) : await rollbackFromSlack({ ...request, fast: parsed.fast, to: parsed.to }));
      return;
    }

    await ack();
    let outcome = 'answered';
    const text = await read(parsed, ws).catch((error: unknown) => {
      outcome = `failed: ${describeError(error).message}`;
      return `:x: /mod ${escape(command.text)} failed: ${escape(describeError(error).message)}`;
    });
    await client.chat.postMessage({ channel, text }).catch(async (error: unknown) => {
      outcome = `cannot post in ${channel}`;
      ctx.log.info(`cannot post in ${channel}: ${describeError(error).message}`);
      await privately(cannotPostText(channel, error)).catch((e: unknown) => ctx.log.error('the response_url answer failed', e));
    });
    logged(outcome);
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
