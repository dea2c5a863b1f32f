// Plays Slack (and a developer opening a pull request) for the ChatOps bot
// when there is no Slack workspace (issue 16), next to tools/chatops-stand-ins.ts:
//
//   npm run chatops:say -- --user U0ALICE "/mod deploy stage"
//   npm run chatops:click -- --user U0BOB approve        (or reject)
//   npm run chatops:pr -- --author alice --base master   (a PR of master's commits not in one yet)
//
// A command or a click is sent to the bot's POST /slack/events exactly as
// Slack sends it: form-encoded (a click's JSON in `payload`), signed with
// SLACK_SIGNING_SECRET (v0:timestamp:body, HMAC-SHA256), its response_url
// pointing at the stand-ins' control API; a click carries the action id and
// value of the newest approval request the bot posted. The bot's immediate
// answer is printed; what it posts afterwards appears in the stand-ins' output.
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buttonClickBody, FORM, sign, slashCommandBody } from '../test/bot/slack-requests.js';
import type { ApprovalButtons } from './chatops-stand-ins.js';

export interface SlackTarget {
  /** The bot, e.g. http://127.0.0.1:3000 (MOD_BOT_URL). */
  botUrl: string;
  signingSecret: string;
  /** The stand-ins' control API (MOD_CHATOPS_STAND_INS). */
  controlUrl: string;
}

export interface BotAnswer {
  status: number;
  /** What Slack would show the user at once (the bot's inline answer), or '' for a bare acknowledgement. */
  text: string;
}

async function post(target: SlackTarget, body: string): Promise<BotAnswer> {
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`${target.botUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': FORM, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sign(body, timestamp, target.signingSecret) },
    body,
  }).catch((error: Error) => {
    throw new Error(`the bot at ${target.botUrl} did not answer (${(error.cause as Error | undefined)?.message ?? error.message}): is \`mod bot serve\` running? (MOD_BOT_URL)`);
  });
  const raw = await response.text();
  let text = raw;
  try {
    const json = JSON.parse(raw) as { text?: string; message?: string; response_type?: string };
    text = json.text ?? json.message ?? raw;
    if (json.response_type === 'ephemeral') text = `(only you see) ${text}`;
  } catch {
    // not JSON: an empty acknowledgement
  }
  if (response.status === 401) throw new Error(`the bot refused the signature (401: ${text}): export the SLACK_SIGNING_SECRET the bot was started with`);
  return { status: response.status, text };
}

/** Slack's mrkdwn escapes, undone for a terminal: &lt; &gt; &amp;. */
export function unescapeSlack(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** `/mod <text>` typed by `user` in `channel`. */
export function sendCommand(target: SlackTarget, user: string, command: string, channel = 'C0DEPLOYS'): Promise<BotAnswer> {
  const text = command.replace(/^\s*\/mod\b\s*/, '');
  return post(target, slashCommandBody(user, text, channel, `${target.controlUrl}/response/command`));
}

export async function lastApproval(controlUrl: string): Promise<ApprovalButtons> {
  const response = await fetch(`${controlUrl}/approval`).catch((error: Error) => {
    throw new Error(`the stand-ins at ${controlUrl} did not answer (${(error.cause as Error | undefined)?.message ?? error.message}): is \`npm run chatops:stand-ins\` running? (MOD_CHATOPS_STAND_INS)`);
  });
  const body = (await response.json()) as ApprovalButtons & { error?: string };
  if (!response.ok) throw new Error(body.error);
  return body;
}

/** `user` clicks Approve or Reject on the newest approval request. */
export async function clickButton(target: SlackTarget, user: string, button: 'approve' | 'reject'): Promise<BotAnswer> {
  const request = await lastApproval(target.controlUrl);
  const action = request.actions.find((a) => a.action_id === `mod_${button}`);
  if (!action) throw new Error(`the approval request has no ${button} button (it has ${request.actions.map((a) => a.action_id).join(', ')})`);
  return post(target, buttonClickBody(user, { action_id: action.action_id, value: action.value }, request.channel, request.ts, `${target.controlUrl}/response/action`));
}

/** A pull request in the GitHub stand-in, merged into base, of the commits up to `ref` not in one yet (written by `author`), so the gates and the "deployed" comment find it. */
export async function openPullRequest(controlUrl: string, input: { author: string; base: string; ref?: string; title?: string; cwd?: string }): Promise<{ number: number }> {
  // npm run runs in the package's directory; INIT_CWD is where it was typed.
  const git = (...args: string[]) => execa('git', args, { cwd: input.cwd ?? process.env.INIT_CWD ?? process.cwd() }).then((r) => r.stdout.trim());
  const ref = input.ref ?? input.base;
  const head = await git('rev-parse', '--verify', `${ref}^{commit}`).catch(() => {
    throw new Error(`no commit "${ref}" in this checkout: give --ref <branch or commit> (or --base <branch>)`);
  });
  const title = input.title ?? (await git('log', '-1', '--format=%s', head));
  const response = await fetch(`${controlUrl}/pulls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ author: input.author, base: input.base, title, commits: (await git('rev-list', '--max-count=100', head)).split('\n') }),
  }).catch((error: Error) => {
    throw new Error(`the stand-ins at ${controlUrl} did not answer (${(error.cause as Error | undefined)?.message ?? error.message}): is \`npm run chatops:stand-ins\` running? (MOD_CHATOPS_STAND_INS)`);
  });
  const body = (await response.json()) as { number: number; error?: string };
  if (!response.ok) throw new Error(body.error);
  return body;
}

function targetFromEnv(env: NodeJS.ProcessEnv): SlackTarget {
  if (!env.SLACK_SIGNING_SECRET) throw new Error('SLACK_SIGNING_SECRET is not set: export what `npm run chatops:stand-ins` printed');
  return { botUrl: (env.MOD_BOT_URL || 'http://127.0.0.1:3000').replace(/\/$/, ''), signingSecret: env.SLACK_SIGNING_SECRET, controlUrl: controlUrlFromEnv(env) };
}

function controlUrlFromEnv(env: NodeJS.ProcessEnv): string {
  if (!env.MOD_CHATOPS_STAND_INS) throw new Error('MOD_CHATOPS_STAND_INS is not set: export what `npm run chatops:stand-ins` printed');
  return env.MOD_CHATOPS_STAND_INS.replace(/\/$/, '');
}

const USAGE = `usage: npm run chatops:say -- --user <Slack user id> [--channel C] "/mod <command>"
       npm run chatops:click -- --user <Slack user id> approve|reject
       npm run chatops:pr -- --author <GitHub login> --base <branch> [--ref <commit>] [--title T]`;

async function main(argv: string[]): Promise<void> {
  const [mode, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { user: { type: 'string' }, channel: { type: 'string', default: 'C0DEPLOYS' }, author: { type: 'string' }, base: { type: 'string' }, ref: { type: 'string' }, title: { type: 'string' } },
  });
  if (mode === 'pr') {
    if (!values.author || !values.base) throw new Error(`--author and --base are needed\n${USAGE}`);
    const pull = await openPullRequest(controlUrlFromEnv(process.env), { author: values.author, base: values.base, ref: values.ref, title: values.title });
    console.log(`pull request #${pull.number} opened by ${values.author} into ${values.base}`);
    return;
  }
  if (!values.user) throw new Error(`--user <Slack user id> is needed (one of chatops.users in mod.config.yml)\n${USAGE}`);
  const target = targetFromEnv(process.env);
  let answer: BotAnswer;
  if (mode === 'say') {
    if (positionals.length !== 1) throw new Error(`give the command as one argument, e.g. "/mod deploy stage"\n${USAGE}`);
    answer = await sendCommand(target, values.user, positionals[0]!, values.channel);
  } else if (mode === 'click') {
    const button = positionals[0];
    if (button !== 'approve' && button !== 'reject') throw new Error(`click approve or reject\n${USAGE}`);
    answer = await clickButton(target, values.user, button);
  } else {
    throw new Error(USAGE);
  }
  console.log(`bot answered ${answer.status}${answer.text ? `: ${unescapeSlack(answer.text)}` : ' (acknowledged; what it posts shows in the stand-ins)'}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`chatops: ${error.message}`);
    process.exit(2);
  });
}
