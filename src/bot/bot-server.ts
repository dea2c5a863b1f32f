// The ChatOps bot's HTTP server (`mod bot serve`, issue 16): one Fastify
// instance in the repository checkout it is started in, serving
//   GET  /healthz          {ok: true}
//   POST /slack/events     Slack: Events API, slash commands, interactivity
//   POST /github/webhooks  GitHub webhooks (github-webhook-routes.ts)
//   GET  /calendar.ics     the deploy history as a calendar (calendar-routes.ts)
// In Socket Mode the Slack app talks over Slack's websocket instead and
// /slack/events is not served.
import Fastify, { type FastifyInstance } from 'fastify';
import type { App as BoltApp } from '@slack/bolt';
import { openWorkspace } from '../delivery/workspace.js';
import { ModError } from '../errors.js';
import type { BotContext, BotLog } from './bot-context.js';
import { FastifyReceiver } from './fastify-receiver.js';
import { createSlackApp } from './slack-app.js';
import { slackEventsRoute } from './slack-events-route.js';

export interface BotServerOptions {
  /** The repository checkout (its mod.config.yml, its .mod state). */
  cwd: string;
  /** Where SLACK_*, GITHUB_* and the workspace's settings come from. */
  env: NodeJS.ProcessEnv;
  port: number;
  host: string;
  signingSecret: string;
  botToken: string;
  /** Socket Mode with this app-level token (xapp-...) instead of POST /slack/events. */
  appToken?: string;
  log: BotLog;
}

export interface BotServer {
  url: string;
  fastify: FastifyInstance;
  /** Stops listening, aborts deploys in flight and waits for the handlers to end. */
  close(): Promise<void>;
}

export async function startBotServer(options: BotServerOptions): Promise<BotServer> {
  const stop = new AbortController();
  const ctx: BotContext = { openWorkspace: () => openWorkspace(options.cwd, options.env), signal: stop.signal, log: options.log };
  const fastify = Fastify({ logger: false });
  fastify.get('/healthz', async () => ({ ok: true }));

  const receiver = options.appToken ? undefined : new FastifyReceiver();
  const slack: BoltApp = createSlackApp(ctx, { token: options.botToken, receiver, appToken: options.appToken, slackApiUrl: options.env.SLACK_API_URL || undefined });
  await slack.init().catch((error: unknown) => {
    throw slackStartError(error, options.env.SLACK_API_URL);
  });
  if (receiver) await fastify.register(slackEventsRoute, { signingSecret: options.signingSecret, receiver });

  // Issue 16's other routes register here (A2: github-webhook-routes.ts, A3: calendar-routes.ts).
  // --- other ChatOps routes ---
  await fastify.register((await import('./github-webhook-routes.js')).githubWebhookRoutes, { secret: options.env.GITHUB_WEBHOOK_SECRET || undefined, botLogin: options.env.MOD_BOT_GITHUB_LOGIN || undefined, ctx });
  await fastify.register((await import('./calendar-routes.js')).calendarRoutes, { openWorkspace: ctx.openWorkspace, token: options.env.MOD_BOT_CALENDAR_TOKEN || undefined });

  await fastify.listen({ port: options.port, host: options.host });
  if (options.appToken) await slack.start();
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    fastify,
    async close() {
      await fastify.close();
      stop.abort();
      if (options.appToken) await slack.stop();
      await receiver?.idle();
    },
  };
}

/** Slack refused the bot token (auth.test), or could not be reached to check it. */
function slackStartError(error: unknown, apiUrl: string | undefined): ModError {
  const e = error as { code?: string; data?: { error?: string }; message?: string };
  if (e.code === 'slack_webapi_platform_error') {
    return new ModError('BOT_NOT_CONFIGURED', `Slack refused SLACK_BOT_TOKEN: ${e.data?.error ?? e.message}`, {
      hint: 'copy the Bot User OAuth Token (xoxb-...) again from your Slack app\'s "OAuth & Permissions" page (reinstall the app if it was revoked)',
      cause: error,
    });
  }
  return new ModError('SLACK_UNAVAILABLE', `could not reach Slack's Web API${apiUrl ? ` at ${apiUrl}` : ''} to check SLACK_BOT_TOKEN: ${e.message ?? String(error)}`, {
    hint: apiUrl ? "check SLACK_API_URL, or unset it to use Slack's" : "check this machine's network access to https://slack.com/api/ (or, for a stand-in such as npm run chatops:stand-ins, export its SLACK_API_URL)",
    cause: error,
  });
}
