// mod bot serve [--port P] [--host H] [--socket-mode]: the ChatOps bot (issue
// 16) in the foreground, in the repository checkout it is started in: Slack's
// /mod command and approval buttons, GitHub webhooks and the release calendar
// (src/bot/bot-server.ts). Secrets come from the environment only; a missing
// one is refused before anything listens. Ctrl-C or SIGTERM stops it.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface BotServeOptions {
  port: string;
  host: string;
  socketMode?: boolean;
}

export const registerBot: CommandRegistration = (program, context, setExit) => {
  const bot = program.command('bot').description('the ChatOps bot: deploy, roll back and approve from Slack; GitHub webhooks');
  bot
    .command('serve')
    .description('run the bot in the foreground (needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN)')
    .option('-p, --port <port>', 'listen port', '3000')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--socket-mode', 'talk to Slack over Socket Mode (SLACK_APP_TOKEN) instead of POST /slack/events')
    .action(commandAction<BotServeOptions>(context, setExit, ({ options, globals }, output) => runBotServe(options, globals, context, output)));
};

const WHERE = {
  SLACK_SIGNING_SECRET: 'your Slack app\'s settings at https://api.slack.com/apps, "Basic Information", "App Credentials", "Signing Secret"',
  SLACK_BOT_TOKEN: 'your Slack app\'s settings at https://api.slack.com/apps, "OAuth & Permissions", "Bot User OAuth Token" (xoxb-...; install the app to the workspace first)',
  SLACK_APP_TOKEN: 'your Slack app\'s settings at https://api.slack.com/apps, "Basic Information", "App-Level Tokens" (xapp-..., scope connections:write)',
} as const;

export async function runBotServe(options: BotServeOptions, globals: GlobalOptions, context: CliContext, output: Output, stop?: AbortSignal): Promise<number> {
  const { ModError, UsageError } = await import('../../errors.js');
  const { integerInRange } = await import('../flag-parsers.js');
  const env = context.env;
  const needed: (keyof typeof WHERE)[] = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', ...(options.socketMode ? (['SLACK_APP_TOKEN'] as const) : [])];
  const missing = needed.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new ModError('BOT_NOT_CONFIGURED', `mod bot serve needs ${missing.join(' and ')} in the environment`, { hint: missing.map((name) => `${name}: from ${WHERE[name]}`).join('\n') });
  }
  const port = integerInRange(options.port, '--port', { min: 0, max: 65535 });
  if (!options.host) throw new UsageError('--host needs an address', 'e.g. --host 127.0.0.1 or --host 0.0.0.0');

  const { openWorkspaceFor } = await import('../context.js');
  // Refuse a broken checkout now rather than at the first command.
  const ws = await openWorkspaceFor(globals, context);
  const { startBotServer } = await import('../../bot/bot-server.js');
  const server = await startBotServer({
    cwd: ws.git.dir,
    env,
    port,
    host: options.host,
    signingSecret: env.SLACK_SIGNING_SECRET!,
    botToken: env.SLACK_BOT_TOKEN!,
    appToken: options.socketMode ? env.SLACK_APP_TOKEN : undefined,
    log: { info: (message) => output.info(message), error: (message, error) => output.warn(`${message}${error ? `: ${(error as Error).message ?? String(error)}` : ''}`) },
  });
  output.result({ schemaVersion: 1, url: server.url, socketMode: Boolean(options.socketMode), routes: ['GET /healthz', ...(options.socketMode ? [] : ['POST /slack/events'])] }, () =>
    [`mod bot listening on ${server.url}`, options.socketMode ? 'Slack: Socket Mode' : `Slack: point the app's slash command and interactivity Request URLs at <public url>/slack/events`, 'Ctrl-C to stop'].join('\n'),
  );

  const signal = await new Promise<string>((resolve) => {
    const onSignal = (name: NodeJS.Signals) => resolve(name);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    stop?.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  output.info(`${signal}: stopping (deploys in flight are stopped)`);
  await server.close();
  output.info('stopped');
  return 0;
}
