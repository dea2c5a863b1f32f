// Trying the ChatOps bot without Slack or GitHub (issue 16): starts the
// tests' loopback stand-ins of the Slack Web API (test/support/slack-stand-in.ts)
// and of GitHub's REST API (test/support/github-stand-in.ts), prints what to
// export and what to put in mod.config.yml to point `mod bot serve` at them,
// and then prints, as they arrive, every message the bot posts or updates in
// "Slack" and every review and comment it leaves on a pull request in
// "GitHub". A third loopback server (the control API) is what
// tools/chatops-say.ts talks to: the last approval request's buttons, new pull
// requests, and Slack's response_url.
//
//   npm run chatops:stand-ins [-- --repository acme/shop --port 3100] [-- --demo]
//
// --demo also makes a throwaway repository to deploy (tools/chatops-demo-repo.ts)
// with a pull request by alice, removed when the stand-ins stop.
// Secrets are generated, or kept from the environment when already exported.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/support/fixture-app.js';
import { GitHubStandIn } from '../test/support/github-stand-in.js';
import { SlackStandIn, type SlackCall } from '../test/support/slack-stand-in.js';
import { openPullRequest, unescapeSlack } from './chatops-say.js';
import { createDemoRepo, removeDemoRepo } from './chatops-demo-repo.js';

export interface ApprovalButtons {
  channel: string;
  ts: string;
  text: string;
  actions: { action_id: string; value: string; text: string }[];
}

export interface ChatOpsStandIns {
  slack: SlackStandIn;
  github: GitHubStandIn;
  /** The control API (tools/chatops-say.ts): GET /approval, POST /pulls, POST /response. */
  controlUrl: string;
  /** What `mod bot serve` and tools/chatops-say.ts read. */
  env: Record<string, string>;
  /** The mod.config.yml keys that point the gates and "deployed" comments at the GitHub stand-in. */
  config: string;
  /** Prints at once what arrived since the last print (the watcher prints every 100 ms). */
  flush(): void;
  /** Stops printing and the three servers. */
  stop(): Promise<void>;
}

export interface StandInsOptions {
  /** owner/name of the repository the GitHub stand-in plays (github.repository). */
  repository?: string;
  /** Slack stand-in on `port`, GitHub on port+1, the control API on port+2; 0: free ports. */
  port?: number;
  /** Where the messages go as they arrive (one line or block each). */
  print?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

const secret = (bytes: number) => randomBytes(bytes).toString('hex');

export async function startChatOpsStandIns(options: StandInsOptions = {}): Promise<ChatOpsStandIns> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((text: string) => console.log(text));
  const [owner, repo] = (options.repository ?? 'acme/shop').split('/') as [string, string];
  const port = options.port ?? 0;
  const slack = new SlackStandIn(env.SLACK_BOT_TOKEN || `xoxb-stand-in-${secret(12)}`);
  const github = new GitHubStandIn(owner, repo);
  github.botLogin = 'mod-bot'; // GITHUB_TOKEN is a user's token (ghp_...)
  await slack.start(port);
  await github.start(port && port + 1);
  const control = http.createServer((req, res) => void controlApi(req, res, slack, github, print));
  await new Promise<void>((resolve, reject) => control.once('error', reject).listen(port && port + 2, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  const seen = { slack: 0, reviews: 0, comments: new Map<number, number>() };
  const flush = () => {
    for (; seen.slack < slack.calls.length; seen.slack++) {
      const line = describeSlackCall(slack.calls[seen.slack]!);
      if (line) print(line);
    }
    for (; seen.reviews < github.posted.length; seen.reviews++) {
      const review = github.posted[seen.reviews]!;
      print(`[github] review ${review.event} on #${review.number}:\n${indent(review.body)}`);
    }
    for (const [number, comments] of github.comments) {
      for (let i = seen.comments.get(number) ?? 0; i < comments.length; i++) print(`[github] comment on #${number} by ${comments[i]!.user}: ${comments[i]!.body}`);
      seen.comments.set(number, comments.length);
    }
  };
  const watch = setInterval(flush, 100);

  return {
    slack,
    github,
    controlUrl,
    env: {
      SLACK_API_URL: slack.url,
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: env.SLACK_SIGNING_SECRET || secret(16),
      GITHUB_WEBHOOK_SECRET: env.GITHUB_WEBHOOK_SECRET || secret(16),
      GITHUB_TOKEN: 'ghp_stand-in',
      MOD_CHATOPS_STAND_INS: controlUrl,
      MOD_BOT_CALENDAR_TOKEN: env.MOD_BOT_CALENDAR_TOKEN || secret(16),
    },
    config: `github:\n  repository: ${owner}/${repo}\n  baseUrl: ${github.baseUrl}\n`,
    flush,
    async stop() {
      clearInterval(watch);
      flush();
      await new Promise((resolve) => control.close(resolve));
      await Promise.all([slack.stop(), github.stop()]);
    },
  };
}

/** A Web API call as a person would read it in Slack; undefined for auth.test. */
export function describeSlackCall(call: SlackCall): string | undefined {
  const { args } = call;
  const text = unescapeSlack(String(args.text ?? ''));
  const where = `#${String(args.channel ?? '?')}`;
  switch (call.method) {
    case 'chat.postMessage': {
      const buttons = approvalButtonsOf(call);
      const head = args.thread_ts ? `[slack] ${where}, in the thread of ${String(args.thread_ts)}:` : `[slack] ${where} new message ${call.ts}:`;
      return `${head}\n${indent(text)}${buttons ? `\n    [${buttons.map((b) => b.text).join('] [')}]` : ''}`;
    }
    case 'chat.update':
      return `[slack] ${where} message ${call.ts} updated:\n${indent(text)}`;
    case 'chat.postEphemeral':
      return `[slack] ${where} only <@${String(args.user)}> sees:\n${indent(text)}`;
    case 'auth.test':
      return undefined;
    default:
      return `[slack] ${call.method} ${JSON.stringify(args).slice(0, 200)}`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

type Block = { type: string; elements?: { action_id?: string; value?: string; text?: { text?: string } }[] };

function approvalButtonsOf(call: SlackCall): ApprovalButtons['actions'] | undefined {
  if (!Array.isArray(call.args.blocks)) return undefined;
  const actions = (call.args.blocks as Block[]).find((b) => b.type === 'actions')?.elements ?? [];
  const buttons = actions.filter((e) => e.action_id && e.value).map((e) => ({ action_id: e.action_id!, value: e.value!, text: e.text?.text ?? e.action_id! }));
  return buttons.length > 0 ? buttons : undefined;
}

/** The newest message with buttons the bot posted (the approval request). */
export function lastApprovalRequest(slack: SlackStandIn): ApprovalButtons | undefined {
  const call = slack
    .of('chat.postMessage')
    .filter((c) => approvalButtonsOf(c))
    .at(-1);
  return call && { channel: String(call.args.channel), ts: call.ts!, text: String(call.args.text ?? ''), actions: approvalButtonsOf(call)! };
}

async function controlApi(req: http.IncomingMessage, res: http.ServerResponse, slack: SlackStandIn, github: GitHubStandIn, print: (text: string) => void): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString();
  const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const path = new URL(req.url!, 'http://x').pathname;
  if (req.method === 'GET' && path === '/approval') {
    const request = lastApprovalRequest(slack);
    return request ? send(200, request) : send(404, { error: 'the bot has posted no approval request yet: run `/mod deploy production` first' });
  }
  if (req.method === 'POST' && path === '/pulls') {
    const body = safeJson(raw) as { author?: string; title?: string; base?: string; commits?: string[] } | undefined;
    if (!body?.author || !body.base || !Array.isArray(body.commits) || body.commits.length === 0) return send(400, { error: 'POST /pulls needs JSON {author, base, commits: [sha, newest first...], title?}' });
    // The commits (newest first) not in a pull request yet make the new one, written by its author as GitHub tells it.
    const commits = body.commits.filter((sha) => !github.commitPulls.has(sha));
    if (commits.length === 0) return send(409, { error: `every commit up to ${body.commits[0]!.slice(0, 7)} is in a pull request already: commit something first` });
    const number = Math.max(0, ...github.pulls.keys()) + 1;
    const head = commits[0]!;
    github.addPull({ number, title: body.title ?? `Change ${head.slice(0, 7)}`, body: null, author: body.author, base: body.base, headSha: head, mergeCommitSha: head }, commits);
    for (const sha of commits) github.commitAuthors.set(sha, body.author);
    print(`[github] pull request #${number} "${body.title ?? ''}" by ${body.author} into ${body.base} (${commits.length} commit(s), head ${head.slice(0, 7)})`);
    return send(201, { number, url: `https://github.example/${github.owner}/${github.repo}/pull/${number}` });
  }
  if (req.method === 'POST' && path.startsWith('/response')) {
    // Slack's response_url: the bot may answer a command or a click later through it.
    const body = safeJson(raw) as { text?: string } | undefined;
    print(`[slack] reply through response_url:\n${indent(unescapeSlack(String(body?.text ?? raw)))}`);
    return send(200, { ok: true });
  }
  return send(404, { error: `no ${req.method} ${path}; the control API has GET /approval, POST /pulls, POST /response` });
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repository: { type: 'string', default: 'acme/shop' }, port: { type: 'string', default: '3100' }, demo: { type: 'boolean', default: false } } });
  if (!/^[\w.-]+\/[\w.-]+$/.test(values.repository)) throw new Error(`--repository ${values.repository}: expected owner/name, e.g. acme/shop`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65533) throw new Error(`--port ${values.port}: expected a port number (0: free ports)`);
  const standIns = await startChatOpsStandIns({ repository: values.repository, port }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE' ? new Error(`port ${port}, ${port + 1} or ${port + 2} is in use: pick others with --port <p> (0: free ports)`) : error;
  });
  const demo = values.demo ? await createDemoRepo(standIns.config, process.env.DATABASE_URL || undefined) : undefined;
  if (demo) await openPullRequest(standIns.controlUrl, { author: 'alice', base: 'master', cwd: demo.dir });
  const exports = Object.entries(standIns.env).map(([name, value]) => `export ${name}=${value}`);
  const mod = `node ${path.join(REPO_ROOT, 'bin', 'mod.js')}`;
  console.log(`Slack Web API stand-in  ${standIns.slack.url}
GitHub API stand-in     ${standIns.github.baseUrl} (repository ${values.repository})
control API             ${standIns.controlUrl} (npm run chatops:say / chatops:click / chatops:pr)
${
  demo
    ? `
A throwaway repository to deploy: ${demo.dir}
(branches stage and master; chatops.users U0ALICE (alice: deployer, releaser, approver) and U0BOB (bob: approver);
pull request #1 by alice; removed, with its environments stopped, when the stand-ins stop)

In another terminal:
${exports.join('\n')}
cd ${demo.dir} && ${mod} bot serve --port 3000
The bot's calendar, once it runs: curl "http://127.0.0.1:3000/calendar.ics?token=$MOD_BOT_CALENDAR_TOKEN"
(or: cd ${demo.dir} && ${mod} history --ics)`
    : `
In another terminal, in the repository's checkout:
${exports.join('\n')}

and add to mod.config.yml (with your chatops.users):
${standIns.config.trimEnd()}

Then: ${mod} bot serve --port 3000`
}
Ctrl-C stops the stand-ins. What the bot posts appears below.
`);
  const stop = () =>
    void (async () => {
      if (demo) await removeDemoRepo(demo);
      await standIns.stop();
      console.log(demo ? `stopped stage and production, removed ${demo.dir}; stopped the stand-ins` : 'stopped the stand-ins');
      process.exit(0);
    })();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: Error) => {
    console.error(`chatops:stand-ins: ${error.message}`);
    process.exit(2);
  });
}
