// The ChatOps journey of issue 16 in one command, without Slack or GitHub:
// in a throwaway git repository of a small deployable app
// (test/support/fixture-app.ts), with the Slack and GitHub stand-ins
// (tools/chatops-stand-ins.ts), the bot's real HTTP server and real local
// deploys, it
//   1. deploys stage from `/mod deploy stage` (the progress message's
//      versions, then the result in its thread),
//   2. asks for production with `/mod deploy production` as a releaser: the
//      approval request; the author's Approve click is refused; a manager's
//      counts, and the deploy goes on,
//   3. shows the "deployed to production in <id>" comment on the pull request,
// then stops what it started (the bot, the local environments, the
// stand-ins) and removes the repository. Exit 0 when every step happened.
//
//   npm run chatops:try      (DATABASE_URL set: the environments use it; unset: embedded PGlite)
import { pathToFileURL } from 'node:url';
import { startBotServer, type BotServer } from '../src/bot/bot-server.js';
import { history } from '../src/delivery/history.js';
import { openWorkspace } from '../src/delivery/workspace.js';
import type { FixtureApp } from '../test/support/fixture-app.js';
import type { SlackCall } from '../test/support/slack-stand-in.js';
import { createDemoRepo, removeDemoRepo } from './chatops-demo-repo.js';
import { clickButton, openPullRequest, sendCommand, type SlackTarget } from './chatops-say.js';
import { startChatOpsStandIns, type ChatOpsStandIns } from './chatops-stand-ins.js';

export interface TryOptions {
  print?: (text: string) => void;
  /** PostgreSQL for the environments; unset: embedded PGlite. */
  databaseUrl?: string;
  /** How long each step may take (a loaded machine, a first PGlite start). */
  stepTimeoutMs?: number;
}

const text = (c: SlackCall) => String(c.args.text ?? '');

export async function runChatOpsTry(options: TryOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const timeout = options.stepTimeoutMs ?? 180_000;
  const step = (title: string) => {
    standIns?.flush();
    print(`\n==> ${title}`);
  };
  let standIns: ChatOpsStandIns | undefined;
  let app: FixtureApp | undefined;
  let bot: BotServer | undefined;
  const botErrors: string[] = [];
  try {
    step('starting the Slack and GitHub stand-ins');
    standIns = await startChatOpsStandIns({ print, env: {} });
    const { slack, github } = standIns;
    const waitFor = <T>(what: string, find: () => T | undefined | false) => slack.waitFor(what, find, timeout);
    print(`Slack Web API ${slack.url}, GitHub ${github.baseUrl}`);

    step('a throwaway repository: branches stage and master, a pull request by alice');
    app = await createDemoRepo(standIns.config, options.databaseUrl);
    print(app.dir);
    await openPullRequest(standIns.controlUrl, { author: 'alice', base: 'master', cwd: app.dir });

    step('mod bot serve (in this process) against the stand-ins');
    bot = await startBotServer({
      cwd: app.dir,
      env: { ...process.env, ...standIns.env, MOD_STATE_DIR: '' },
      port: 0,
      host: '127.0.0.1',
      signingSecret: standIns.env.SLACK_SIGNING_SECRET!,
      botToken: standIns.env.SLACK_BOT_TOKEN!,
      log: { info: (message) => print(`[bot] ${message}`), error: (message, error) => botErrors.push(`${message}: ${String(error)}`) },
    });
    print(`bot listening on ${bot.url}`);
    const target: SlackTarget = { botUrl: bot.url, signingSecret: standIns.env.SLACK_SIGNING_SECRET!, controlUrl: standIns.controlUrl };
    const answered = (who: string, what: string, answer: { status: number; text: string }) => print(`${who} ${what} -> bot answered ${answer.status}${answer.text ? `: ${answer.text}` : ''}`);

    step('U0ALICE: /mod deploy stage');
    answered('U0ALICE', '/mod deploy stage', await sendCommand(target, 'U0ALICE', '/mod deploy stage'));
    const stageProgress = await waitFor('the stage progress message', () => slack.of('chat.postMessage').find((c) => text(c).includes('to *stage*')));
    const stageResult = await waitFor('the stage result in its thread', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === stageProgress.ts));
    if (!text(stageResult).includes('*Succeeded*')) throw new Error(`the stage deploy did not succeed:\n${text(stageResult)}`);
    const stageUpdates = slack.of('chat.update').filter((c) => c.ts === stageProgress.ts).length;

    step('U0ALICE (a releaser): /mod deploy production');
    answered('U0ALICE', '/mod deploy production', await sendCommand(target, 'U0ALICE', '/mod deploy production'));
    await waitFor('the approval request', () => slack.of('chat.postMessage').find((c) => Array.isArray(c.args.blocks) && c.args.channel === 'C0RELEASES'));

    step('U0ALICE clicks Approve on her own change');
    answered('U0ALICE', 'Approve', await clickButton(target, 'U0ALICE', 'approve'));
    await waitFor("the author's click refused", () => slack.of('chat.postEphemeral').find((c) => c.args.user === 'U0ALICE' && text(c).includes('authored')));

    step('U0BOB (the manager) clicks Approve');
    answered('U0BOB', 'Approve', await clickButton(target, 'U0BOB', 'approve'));
    const prodProgress = await waitFor('the production progress message', () => slack.of('chat.postMessage').find((c) => text(c).includes('to *production* (approved by')));
    const prodResult = await waitFor('the production result in its thread', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === prodProgress.ts && text(c).includes('*production*')));
    if (!text(prodResult).includes('*Succeeded*')) throw new Error(`the production deploy did not succeed:\n${text(prodResult)}`);
    const comment = await waitFor('the "deployed" comment on pull request #1', () => github.comments.get(1)?.find((c) => c.body.startsWith('deployed to production in ')));
    if (botErrors.length > 0) throw new Error(`the bot logged errors:\n${botErrors.join('\n')}`);

    const ws = await openWorkspace(app.dir);
    const [stageRecord] = await history(ws, ['stage'], 1);
    const [prodRecord] = await history(ws, ['production'], 1);
    step('done');
    print(`stage:      ${stageRecord?.deploymentId} ${stageRecord?.status} by ${stageRecord?.initiator} (progress message updated ${stageUpdates} time(s), result in its thread)`);
    print(`production: ${prodRecord?.deploymentId} ${prodRecord?.status} by ${prodRecord?.initiator}, approval: ${prodRecord?.gates?.find((g) => g.name === 'approval')?.reason}`);
    print(`PR #1:      "${comment.body}" by ${comment.user}`);
    return 0;
  } catch (error) {
    print(`\nchatops:try failed: ${(error as Error).message}`);
    if (botErrors.length > 0) print(`bot errors:\n${botErrors.join('\n')}`);
    return 1;
  } finally {
    step('cleaning up');
    await bot?.close().catch(() => {});
    if (app) {
      await removeDemoRepo(app);
      print(`stopped stage and production, removed ${app.dir}`);
    }
    await standIns?.stop();
    print('stopped the bot and the stand-ins');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runChatOpsTry({ databaseUrl: process.env.DATABASE_URL || undefined });
}
