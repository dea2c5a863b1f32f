// The README's "ChatOps: trying it without Slack" for real (issue 16's "Done
// when"): `npm run chatops:try` end to end, and the same journey by hand as
// the README tells it: `npm run chatops:stand-ins -- --demo`, `mod bot serve`
// from bin/mod in the throwaway repository, `npm run chatops:say`,
// `chatops:click`, each a real process talking over loopback.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MOD_BIN, REPO_ROOT } from '../support/fixture-app.js';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const started: ResultPromise[] = [];

afterAll(async () => {
  for (const child of started.reverse()) {
    child.kill('SIGTERM');
    await child.catch(() => {});
  }
});

/** Waits (polling) until `read()` matches `pattern`, or fails showing what was printed. */
async function waitForOutput(what: string, read: () => string, pattern: RegExp, timeoutMs = 240_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; printed so far:\n${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function unreachable(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    () => false,
    () => true,
  );
}

describe('npm run chatops:try', () => {
  it('deploys stage from Slack, approves production as the manager, comments "deployed" on the PR, and cleans up', { timeout: 600_000 }, async () => {
    const run = await execa('npm', ['run', '-s', 'chatops:try'], { cwd: REPO_ROOT, reject: false, timeout: 540_000, env: { DATABASE_URL: process.env.DATABASE_URL ?? '' } });
    const out = run.stdout;
    expect(run.exitCode, `${out}\n${run.stderr}`).toBe(0);
    // The stage deploy: one message, updated in place, the result in its thread.
    const stage = out.match(/\[slack\] #C0DEPLOYS new message (\S+):\n {4}:rocket: <@U0ALICE> deploying branch `stage` to \*stage\*/)!;
    expect(stage).toBeTruthy();
    expect(out).toContain(`[slack] #C0DEPLOYS message ${stage[1]} updated:\n    :rocket: <@U0ALICE> deploying branch \`stage\` to *stage*: *Succeeded*`);
    expect(out).toMatch(new RegExp(`\\[slack\\] #C0DEPLOYS, in the thread of ${stage[1]!.replace('.', '\\.')}:\\n {4}:white_check_mark: Deploy \`d-\\S+\` of \`[0-9a-f]{8}\` to \\*stage\\*: \\*Succeeded\\*`));
    // The approval request, the author refused, the manager's click counted.
    expect(out).toMatch(/\[slack\] #C0RELEASES new message \S+:\n {4}:raised_hand: <@U0ALICE> wants to deploy `[0-9a-f]{8}` to \*production\*[^]*?\[Approve\] \[Reject\]/);
    expect(out).toContain('[slack] #C0RELEASES only <@U0ALICE> sees:\n    :no_entry: Not recorded: alice authored part of this change');
    expect(out).toMatch(/:white_check_mark: <@U0BOB> approved deploying `[0-9a-f]{8}` to \*production\*/);
    // The production deploy and the comment on the pull request, with the same deployment id.
    const production = out.match(/^production: (d-\S+) Succeeded by slack:U0ALICE \(alice\), approval: approved in Slack by bob \(U0BOB\)$/m)!;
    expect(production, out).toBeTruthy();
    expect(out).toContain(`[github] comment on #1 by mod-bot: deployed to production in ${production[1]}`);
    expect(out).toMatch(new RegExp(`:white_check_mark: Deploy \`${production[1]}\` of \`[0-9a-f]{8}\` to \\*production\\*: \\*Succeeded\\*\\n {4}endpoint: http://127\\.0\\.0\\.1:\\d+`));
    // Everything it started is gone: the repository, the environments' endpoints, the stand-ins.
    const repo = out.match(/^\/\S+mod-fixture-\S+$/m)![0];
    expect(out).toContain(`removed ${repo}`);
    expect(existsSync(repo)).toBe(false);
    for (const [, endpoint] of out.matchAll(/endpoint: (http:\/\/127\.0\.0\.1:\d+)/g)) expect(await unreachable(`${endpoint}/healthz`)).toBe(true);
    const slackApi = out.match(/Slack Web API (http:\/\/\S+?), GitHub (http:\/\/\S+)/)!;
    expect(await unreachable(`${slackApi[1]}auth.test`)).toBe(true);
    expect(await unreachable(`${slackApi[2]}/user`)).toBe(true);
  });
});

describe('the same by hand, as the README tells it', () => {
  it('stand-ins --demo, mod bot serve, chatops:say and chatops:click', { timeout: 600_000 }, async () => {
    let standInsOut = '';
    const standIns = execa(TSX, ['tools/chatops-stand-ins.ts', '--demo', '--port', '0'], { cwd: REPO_ROOT, reject: false, env: { DATABASE_URL: process.env.DATABASE_URL ?? '' } });
    started.push(standIns);
    standIns.stdout.on('data', (chunk: Buffer) => (standInsOut += chunk.toString()));
    standIns.stderr.on('data', (chunk: Buffer) => (standInsOut += chunk.toString()));
    await waitForOutput('the stand-ins ready', () => standInsOut, /What the bot posts appears below/);
    const env = Object.fromEntries([...standInsOut.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(env).sort()).toEqual(['GITHUB_TOKEN', 'GITHUB_WEBHOOK_SECRET', 'MOD_BOT_CALENDAR_TOKEN', 'MOD_CHATOPS_STAND_INS', 'SLACK_API_URL', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    const repo = standInsOut.match(/^A throwaway repository to deploy: (\S+)$/m)![1]!;
    expect(standInsOut).toContain('[github] pull request #1 "Config for the ChatOps bot" by alice into master');
    // How to run mod there and read the calendar, exactly as printed.
    expect(standInsOut).toContain(`cd ${repo} && node ${MOD_BIN} bot serve --port 3000`);
    expect(standInsOut).toContain('curl "http://127.0.0.1:3000/calendar.ics?token=$MOD_BOT_CALENDAR_TOKEN"');
    expect(standInsOut).toContain(`(or: cd ${repo} && node ${MOD_BIN} history --ics)`);

    let botOut = '';
    const bot = execa(process.execPath, [MOD_BIN, 'bot', 'serve', '--port', '0'], { cwd: repo, reject: false, env });
    started.push(bot);
    bot.stdout.on('data', (chunk: Buffer) => (botOut += chunk.toString()));
    bot.stderr.on('data', (chunk: Buffer) => (botOut += chunk.toString()));
    const botUrl = (await waitForOutput('the bot listening', () => botOut, /mod bot listening on (http:\/\/\S+)/))[1]!;
    const tool = (mode: string, args: string[]) => execa(TSX, ['tools/chatops-say.ts', mode, ...args], { cwd: REPO_ROOT, reject: false, env: { ...env, MOD_BOT_URL: botUrl } });

    const say = await tool('say', ['--user', 'U0ALICE', '/mod deploy stage']);
    expect(say.exitCode, say.stderr).toBe(0);
    expect(say.stdout).toBe('bot answered 200 (acknowledged; what it posts shows in the stand-ins)');
    await waitForOutput('the stage result', () => standInsOut, /in the thread of \S+:\n {4}:white_check_mark: Deploy `d-\S+` of `[0-9a-f]{8}` to \*stage\*: \*Succeeded\*/);

    // An answer only the user sees comes back inline, as Slack shows it at once.
    const stranger = await tool('say', ['--user', 'U0MALLORY', '/mod status']);
    expect(stranger.stdout).toMatch(/^bot answered 200: \(only you see\) .*chatops\.users/);
    // Slack's escapes are undone for the terminal.
    const badFlag = await tool('say', ['--user', 'U0ALICE', '/mod deploy stage --force']);
    expect(badFlag.stdout).toContain('Usage: `/mod deploy <env> [--ref R]`');

    // A click before any approval request is a clear error, not a request to the bot.
    const early = await tool('click', ['--user', 'U0BOB', 'approve']);
    expect(early.exitCode).toBe(2);
    expect(early.stderr).toContain('no approval request yet');

    expect((await tool('say', ['--user', 'U0ALICE', '/mod deploy production'])).exitCode).toBe(0);
    await waitForOutput('the approval request', () => standInsOut, /\[Approve\] \[Reject\]/);
    expect((await tool('click', ['--user', 'U0ALICE', 'approve'])).exitCode).toBe(0);
    await waitForOutput("the author's click refused", () => standInsOut, /only <@U0ALICE> sees:\n {4}:no_entry: Not recorded: alice authored part of this change/);
    expect((await tool('click', ['--user', 'U0BOB', 'approve'])).exitCode).toBe(0);
    const id = (await waitForOutput('the "deployed" comment', () => standInsOut, /\[github\] comment on #1 by mod-bot: deployed to production in (d-\S+)/))[1]!;
    await waitForOutput('the production result', () => standInsOut, new RegExp(`Deploy \`${id}\` of \`[0-9a-f]{8}\` to \\*production\\*: \\*Succeeded\\*`));

    // A wrong signing secret is refused by the bot, and the tool says what to do.
    const forged = await execa(TSX, ['tools/chatops-say.ts', 'say', '--user', 'U0ALICE', '/mod status'], { cwd: REPO_ROOT, reject: false, env: { ...env, MOD_BOT_URL: botUrl, SLACK_SIGNING_SECRET: 'not-the-secret' } });
    expect(forged.exitCode).toBe(2);
    expect(forged.stderr).toContain('the bot refused the signature (401');

    // The bot's calendar, with the exported token: both deploys, by the Slack user.
    const calendar = await fetch(`${botUrl}/calendar.ics?token=${env.MOD_BOT_CALENDAR_TOKEN}`);
    expect(calendar.status).toBe(200);
    const ics = (await calendar.text()).replaceAll('\r\n ', ''); // unfolded
    expect(ics.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(ics).toContain('slack:U0ALICE (alice)');
    // One log line per slash command on the bot's stderr.
    expect(botOut).toMatch(/^\/mod deploy stage by U0ALICE \(alice\): d-\S+ Succeeded$/m);

    bot.kill('SIGTERM');
    expect((await bot).exitCode, botOut).toBe(0);
    standIns.kill('SIGTERM');
    await standIns;
    expect(existsSync(repo)).toBe(false);
    expect(standInsOut).toContain(`stopped stage and production, removed ${repo}`);
  });
});
