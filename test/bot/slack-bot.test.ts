// The Slack side of the ChatOps bot over loopback, with real parts: a real
// git repository of a deployable fixture app, real local deploys (seconds),
// the bot's real HTTP server fed Slack-signed requests, a Slack Web API
// stand-in recording what the bot posts and updates, and a GitHub stand-in
// for the approval gate's pull requests.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotServer, type BotServer } from '../../src/bot/bot-server.js';
import { history } from '../../src/delivery/history.js';
import { ignoreEvents } from '../../src/delivery/events.js';
import { stop } from '../../src/delivery/stop.js';
import { openWorkspace } from '../../src/delivery/workspace.js';
import { EXTERNAL_DATABASE_URL, FixtureApp } from '../support/fixture-app.js';
import { GitHubStandIn } from '../support/github-stand-in.js';
import { SlackStandIn, type SlackCall } from '../support/slack-stand-in.js';
import { runCli } from '../support/run-cli.js';
import { buttonClickBody, FORM, postSigned, sign, SIGNING_SECRET, slashCommandBody } from './slack-requests.js';

const slack = new SlackStandIn();
const github = new GitHubStandIn('acme', 'shop');
let app: FixtureApp;
let bot: BotServer;
let head: string;
const botErrors: string[] = [];
/** What the bot logged (one line per slash command, as `mod bot serve` prints on stderr). */
const botLog: string[] = [];

const HEALTH = `    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
      timeoutSeconds: 20
    local:
      drainSeconds: 0.2
    databaseUrl: ${EXTERNAL_DATABASE_URL}
`;

function config(): string {
  return `app: fixture
github:
  repository: acme/shop
  baseUrl: ${github.baseUrl}
chatops:
  users:
    U0ALICE: { github: alice, roles: [deployer, releaser, approver] }
    U0BOB: { github: bob, roles: [deployer, releaser, approver] }
    U0CAROL: { github: carol, roles: [deployer] }
  approvalChannel: C0RELEASES
environments:
  stage:
    branch: stage
    instances: 1
${HEALTH}  production:
    branch: master
    aliases: [prod]
    instances: 1
${HEALTH}    gates:
      approval:
        approvers: [alice, bob]
`;
}

const command = (user: string, text: string, channel = 'C0DEPLOYS') => postSigned(bot.url, slashCommandBody(user, text, channel, slack.responseUrl()), FORM);
const click = (user: string, action: string, value: string, messageTs: string) => postSigned(bot.url, buttonClickBody(user, { action_id: action, value }, 'C0RELEASES', messageTs), FORM);
const text = (c: SlackCall) => String(c.args.text ?? '');

beforeAll(async () => {
  await Promise.all([slack.start(), github.start()]);
  app = await FixtureApp.create();
  await app.write('mod.config.yml', config());
  head = await app.commit('Config for the ChatOps bot');
  await app.git('branch', 'master');
  github.addPull({ number: 7, title: 'Config for the ChatOps bot', body: 'SHOP-1', author: 'alice', base: 'master', headSha: head, mergeCommitSha: head }, [head]);
  // GitHub knows who wrote each commit (the approver check asks it, never git's author fields).
  for (const sha of (await app.git('rev-list', 'master')).split('\n').filter(Boolean)) github.commitAuthors.set(sha, 'alice');
  bot = await startBot();
});

function startBot(): Promise<BotServer> {
  return startBotServer({
    cwd: app.dir,
    env: { ...process.env, GITHUB_TOKEN: 'ghp_test', SLACK_API_URL: slack.url, MOD_STATE_DIR: '' },
    port: 0,
    host: '127.0.0.1',
    signingSecret: SIGNING_SECRET,
    botToken: slack.token,
    log: { info: (message) => botLog.push(message), error: (message, error) => botErrors.push(`${message}: ${String(error)}`) },
  });
}

/** The approval request posted after `before` postMessage calls, and its buttons' values. */
async function approvalRequestAfter(before: number) {
  const request = await slack.waitFor('an approval request', () =>
    slack
      .of('chat.postMessage')
      .slice(before)
      .find((c) => Array.isArray(c.args.blocks)),
  );
  const buttons = (request.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!;
  return { request, approve: buttons.find((b) => b.action_id === 'mod_approve')!.value, reject: buttons.find((b) => b.action_id === 'mod_reject')!.value };
}

/** The ephemeral message to `user` posted after `before` such calls that contains `part`. */
const ephemeralAfter = (before: number, user: string, part: string) =>
  slack.waitFor(`the private answer "${part}"`, () =>
    slack
      .of('chat.postEphemeral')
      .slice(before)
      .find((c) => c.args.user === user && text(c).includes(part)),
  );

afterAll(async () => {
  await bot?.close();
  if (app) {
    const ws = await openWorkspace(app.dir);
    for (const environment of ['stage', 'production']) await stop(ws, { environment, events: ignoreEvents }).catch(() => {});
    await app.dispose({ stop: false });
  }
  await Promise.all([slack.stop(), github.stop()]);
});

describe('the bot server', () => {
  it('answers /healthz and the url_verification challenge', async () => {
    expect(await (await fetch(`${bot.url}/healthz`)).json()).toEqual({ ok: true });
    const challenge = await postSigned(bot.url, JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }), 'application/json');
    expect(challenge.status).toBe(200);
    expect(challenge.json()).toEqual({ challenge: 'c-123' });
  });

  it('refuses a forged signature and a replayed (old) timestamp with 401, running nothing', async () => {
    const before = slack.calls.length;
    const body = slashCommandBody('U0ALICE', 'deploy stage');
    const forged = await postSigned(bot.url, body, FORM, { signature: sign(body, Math.floor(Date.now() / 1000), 'not-the-secret') });
    expect(forged.status).toBe(401);
    expect(forged.json<{ error: string }>().error).toBe('invalid_signature');
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const replayed = await postSigned(bot.url, body, FORM, { timestamp: old, signature: sign(body, old) });
    expect(replayed.status).toBe(401);
    expect(replayed.json<{ message: string }>().message).toContain('stale');
    expect(replayed.json<{ message: string }>().message).toContain("timestamp too old or replayed (check this machine's clock");
    expect(replayed.json<{ message: string }>().message).not.toContain('SLACK_SIGNING_SECRET');
    expect(forged.json<{ message: string }>().message).toContain('check SLACK_SIGNING_SECRET');
    const unsigned = await fetch(`${bot.url}/slack/events`, { method: 'POST', headers: { 'content-type': FORM }, body });
    expect(unsigned.status).toBe(401);
    // A captured, correctly signed request sent again within the 5 minutes: refused the second time.
    const help = slashCommandBody('U0CAROL', 'help', 'C0DEPLOYS', slack.responseUrl());
    const now = Math.floor(Date.now() / 1000);
    expect((await postSigned(bot.url, help, FORM, { timestamp: now, signature: sign(help, now) })).status).toBe(200);
    const again = await postSigned(bot.url, help, FORM, { timestamp: now, signature: sign(help, now) });
    expect(again.status).toBe(401);
    expect(again.json<{ message: string }>().message).toContain('replayed');
    expect(again.json<{ message: string }>().message).not.toContain('SLACK_SIGNING_SECRET');
    expect(slack.calls.length).toBe(before);
  });

  it('refuses an unmapped Slack user, privately, saying how to be added', async () => {
    const answer = await command('U0MALLORY', 'status');
    expect(answer.status).toBe(200);
    const body = answer.json<{ response_type: string; text: string }>();
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('chatops.users');
    expect(body.text).toContain('mod.config.yml');
  });

  it('refuses a deployer a production deploy and says which role it needs', async () => {
    const body = (await command('U0CAROL', 'deploy production')).json<{ response_type: string; text: string }>();
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('`releaser`');
    expect(body.text).toContain('chatops.users.U0CAROL.roles');
  });

  it('answers help and an unknown verb with the help, and a bad flag with the usage', async () => {
    expect((await command('U0CAROL', 'help')).json<{ text: string }>().text).toContain('/mod deploy &lt;env&gt;');
    expect((await command('U0CAROL', 'launch stage')).json<{ text: string }>().text).toContain('Unknown command');
    expect((await command('U0CAROL', 'deploy stage --force')).json<{ text: string }>().text).toBe(':x: unknown flag --force. Usage: `/mod deploy &lt;env&gt; [--ref R]`');
    expect((await command('U0CAROL', 'deploy nowhere')).json<{ text: string }>().text).toContain('unknown environment "nowhere"');
  });
});

describe('deploying from Slack', () => {
  it('/mod deploy stage deploys, updating one message in place and posting the result in its thread', async () => {
    const ack = await command('U0ALICE', 'deploy stage');
    expect(ack.status).toBe(200);
    const progress = await slack.waitFor('the progress message', () => slack.of('chat.postMessage').find((c) => text(c).includes('deploying branch `stage` to *stage*')));
    expect(progress.args.channel).toBe('C0DEPLOYS');
    const result = await slack.waitFor('the result in the thread', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === progress.ts));
    expect(text(result)).toContain('*Succeeded*');
    expect(text(result)).toContain(head.slice(0, 8));
    expect(slack.of('chat.update').filter((c) => c.ts === progress.ts).length).toBeGreaterThanOrEqual(1);

    const ws = await openWorkspace(app.dir);
    const [record] = await history(ws, ['stage'], 1);
    expect(record!.status).toBe('Succeeded');
    expect(record!.initiator).toBe('slack:U0ALICE (alice)');
    expect(text(result)).toContain(record!.deploymentId);
  });

  it('/mod status posts what each environment runs', async () => {
    const ws = await openWorkspace(app.dir);
    const [record] = await history(ws, ['stage'], 1);
    const before = slack.of('chat.postMessage').length;
    expect((await command('U0CAROL', 'status')).status).toBe(200);
    const posted = await slack.waitFor('the status message', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).includes('*stage*')),
    );
    expect(text(posted)).toContain(record!.deploymentId);
    expect(text(posted)).toContain('*production*: nothing deployed yet');
  });

  it('a production deploy asks for approval; the author is refused, an approver approves and it deploys', async () => {
    expect((await command('U0ALICE', 'deploy production')).status).toBe(200);
    const request = await slack.waitFor('the approval request', () => slack.of('chat.postMessage').find((c) => Array.isArray(c.args.blocks) && c.args.channel === 'C0RELEASES'));
    // Only who may approve is asked: alice wrote the change, so only bob is mentioned.
    expect(text(request)).toContain('to *production*. <@U0BOB>: approve or reject.');
    expect(text(request)).toContain('#7');
    expect(text(request)).toContain('by alice');
    const buttons = (request.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!;
    const approve = buttons.find((b) => b.action_id === 'mod_approve')!;
    expect(JSON.parse(approve.value)).toMatchObject({ e: 'production', c: head, u: 'U0ALICE', ch: 'C0DEPLOYS' });
    const waiting = await slack.waitFor('the requester told to wait', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts && text(c).includes('waiting for an approver')));
    expect(waiting.args.channel).toBe('C0DEPLOYS');

    // The author clicks: refused privately, nothing recorded, nothing deployed.
    const approvalFile = path.join(app.dir, '.mod', 'approvals', 'production', `${head}.json`);
    expect((await click('U0ALICE', 'mod_approve', approve.value, request.ts!)).status).toBe(200);
    const refusal = await slack.waitFor('the refusal', () => slack.of('chat.postEphemeral').find((c) => c.args.user === 'U0ALICE'));
    expect(text(refusal)).toContain('alice authored part of this change');
    expect(existsSync(approvalFile)).toBe(false);
    const gatesNow = await runCli(['gates', '--env', 'production', '--json'], { cwd: app.dir, env: { GITHUB_TOKEN: 'ghp_test' } });
    expect(gatesNow.json<{ passed: boolean }>().passed).toBe(false);

    // An approver who wrote nothing of it clicks: recorded, and the deploy goes on.
    expect((await click('U0BOB', 'mod_approve', approve.value, request.ts!)).status).toBe(200);
    const approved = await slack.waitFor('the request marked approved', () => slack.of('chat.update').find((c) => c.ts === request.ts && text(c).includes('approved')));
    expect(text(approved)).toContain('<@U0BOB>');
    // The requester's "waiting for approval" message says so too, rather than waiting forever.
    const settled = await slack.waitFor('the waiting message updated', () => slack.of('chat.update').find((c) => c.ts === waiting.args.thread_ts && text(c).includes('approved by <@U0BOB>')));
    expect(text(settled)).toContain('*approved by <@U0BOB>: deploying, progress in the new message below*');
    expect(settled.args.channel).toBe('C0DEPLOYS');
    const record = JSON.parse(await app.read(path.join('.mod', 'approvals', 'production', `${head}.json`))) as { approvals: { github: string; slackUser: string }[] };
    expect(record.approvals).toMatchObject([{ github: 'bob', slackUser: 'U0BOB' }]);
    // `mod gates` sees the same record.
    const gates = await runCli(['gates', '--env', 'production', '--json'], { cwd: app.dir, env: { GITHUB_TOKEN: 'ghp_test' } });
    expect(gates.json<{ passed: boolean; gates: { name: string; reason: string }[] }>().gates.find((g) => g.name === 'approval')!.reason).toBe('approved in Slack by bob (U0BOB)');

    const progress = await slack.waitFor('the production progress message', () => slack.of('chat.postMessage').find((c) => text(c).includes('to *production* (approved by <@U0BOB>)')));
    expect(progress.args.channel).toBe('C0DEPLOYS');
    const result = await slack.waitFor('the production result', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === progress.ts));
    expect(text(result)).toContain('*Succeeded*');
    const ws = await openWorkspace(app.dir);
    const [deployed] = await history(ws, ['production'], 1);
    expect(deployed!.status).toBe('Succeeded');
    expect(deployed!.initiator).toBe('slack:U0ALICE (alice)');
    expect(deployed!.gates?.find((g) => g.name === 'approval')?.reason).toBe('approved in Slack by bob (U0BOB)');

    // A second click on the answered request is told so and deploys nothing more.
    await click('U0BOB', 'mod_approve', approve.value, request.ts!);
    await slack.waitFor('the second click answered', () => slack.of('chat.postEphemeral').find((c) => c.args.user === 'U0BOB' && text(c).includes('already approved by bob')));
    expect(botErrors).toEqual([]);
  });
});

describe('reading and rolling back from Slack', () => {
  it('/mod history and /mod gates post the history (with the Slack initiator) and the verdicts', async () => {
    const before = slack.of('chat.postMessage').length;
    await command('U0CAROL', 'history production --limit 5');
    const posted = await slack.waitFor('the history', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).startsWith('*Deployments')),
    );
    expect(text(posted)).toContain('*production* Succeeded');
    expect(text(posted)).toContain('by slack:U0ALICE (alice)');
    await command('U0CAROL', 'gates production');
    const gates = await slack.waitFor('the gates', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).startsWith('*Release gates for production*')),
    );
    expect(text(gates)).toContain('passed');
    expect(text(gates)).toContain('*approval*: no new commits');
  });

  it('a rejected approval request ends it, even across a restart of the bot: nothing recorded, a later click is told so', async () => {
    await app.git('checkout', '-q', 'master');
    await app.write('second.txt', '2\n');
    const change = await app.commit('Second change');
    await app.git('checkout', '-q', 'stage');
    github.commitAuthors.set(change, 'alice');
    const before = slack.of('chat.postMessage').length;
    await command('U0ALICE', 'deploy production');
    const { request, approve, reject } = await approvalRequestAfter(before);
    expect(JSON.parse(reject)).toMatchObject({ c: change });
    await click('U0BOB', 'mod_reject', reject, request.ts!);
    await slack.waitFor('the request marked rejected', () => slack.of('chat.update').find((c) => c.ts === request.ts && text(c).includes('<@U0BOB> rejected')));
    const waiting = await slack.waitFor('the requester told to wait', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => c.args.thread_ts && text(c).includes('waiting for an approver')),
    );
    await slack.waitFor('the waiting message marked rejected', () => slack.of('chat.update').find((c) => c.ts === waiting.args.thread_ts && text(c).includes('*rejected by <@U0BOB>: nothing deployed*')));
    const ephemerals = slack.of('chat.postEphemeral').length;
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals, 'U0BOB', 'already rejected by bob');
    // A new bot process reads the answer from .mod: the rejected request stays rejected.
    await bot.close();
    bot = await startBot();
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals + 1, 'U0BOB', 'already rejected by bob');
    expect(existsSync(path.join(app.dir, '.mod', 'approvals', 'production', `${change}.json`))).toBe(false);
    const deployed = await history(await openWorkspace(app.dir), ['production'], 50);
    expect(deployed.some((r) => r.revision.commit === change)).toBe(false);
  });

  it('refuses a click on a request that is too old, whose requester may no longer deploy, whose author GitHub cannot tell, or whose branch moved on', async () => {
    await app.git('checkout', '-q', 'master');
    await app.write('third.txt', '3\n');
    const third = await app.commit('Third change');
    await app.git('checkout', '-q', 'stage');
    const before = slack.of('chat.postMessage').length;
    await command('U0ALICE', 'deploy production');
    const { request, approve } = await approvalRequestAfter(before);
    const id = (JSON.parse(approve) as { r: string }).r;
    const requestFile = path.join('.mod', 'approvals', 'requests', `${id}.json`);
    const saved = await app.read(requestFile);
    expect(JSON.parse(saved)).toMatchObject({ id, environment: 'production', commit: third, requester: 'U0ALICE', channel: 'C0DEPLOYS' });
    let ephemerals = slack.of('chat.postEphemeral').length;

    // Asked 25 hours ago: older than chatops.approvalTtlHours (24).
    await app.write(requestFile, JSON.stringify({ ...JSON.parse(saved), requestedAt: new Date(Date.now() - 25 * 3_600_000).toISOString() }));
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals++, 'U0BOB', 'h ago (chatops.approvalTtlHours): run `/mod deploy production` again');
    await app.write(requestFile, saved);

    // Alice lost the releaser role since she asked.
    await app.write('mod.config.yml', config().replace('U0ALICE: { github: alice, roles: [deployer, releaser, approver] }', 'U0ALICE: { github: alice, roles: [deployer, approver] }'));
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals++, 'U0BOB', 'the requester may no longer deploy production');
    await app.write('mod.config.yml', config());

    // GitHub ties the third commit's author to no account: nobody can tell who wrote it.
    github.commitAuthors.set(third, null);
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals++, 'U0BOB', `cannot tell who wrote ${third.slice(0, 8)}`);
    github.commitAuthors.set(third, 'alice');

    // master moved on since the request.
    await app.git('checkout', '-q', 'master');
    await app.write('fourth.txt', '4\n');
    const fourth = await app.commit('Fourth change');
    await app.git('checkout', '-q', 'stage');
    await click('U0BOB', 'mod_approve', approve, request.ts!);
    await ephemeralAfter(ephemerals++, 'U0BOB', `the branch moved to \`${fourth.slice(0, 8)}\` since the request for \`${third.slice(0, 8)}\`: run \`/mod deploy production\` again`);

    expect(existsSync(path.join(app.dir, '.mod', 'approvals', 'production', `${third}.json`))).toBe(false);
    expect(existsSync(path.join(app.dir, '.mod', 'approvals', 'requests', `${id}.answer.json`))).toBe(false);
    const deployed = await history(await openWorkspace(app.dir), ['production'], 50);
    expect(deployed.some((r) => r.revision.commit === third || r.revision.commit === fourth)).toBe(false);
  });

  it('tells the user privately (response_url) when it cannot post in the channel, and ends the progress when the approval request cannot be posted', async () => {
    slack.notInChannel.add('C0SECRET');
    let responses = slack.of('response_url').length;
    await command('U0CAROL', 'status', 'C0SECRET');
    const status = await slack.waitFor('the private answer', () => slack.of('response_url').slice(responses).at(0));
    expect(status.args).toMatchObject({ response_type: 'ephemeral', text: ':x: I cannot post in <#C0SECRET> (not_in_channel): invite @mod to <#C0SECRET> (`/invite @mod`), or use /mod in a channel it is in.' });
    responses = slack.of('response_url').length;
    const stageDeploys = (await history(await openWorkspace(app.dir), ['stage'], 50)).length;
    await command('U0CAROL', 'deploy stage', 'C0SECRET');
    expect(String((await slack.waitFor('the private answer to the deploy', () => slack.of('response_url').slice(responses).at(0))).args.text)).toContain('invite @mod to <#C0SECRET>');
    expect((await history(await openWorkspace(app.dir), ['stage'], 50)).length).toBe(stageDeploys);

    // The approval channel does not have the bot: the requester's progress message says so instead of "judging the gates" forever.
    slack.notInChannel.add('C0RELEASES');
    try {
      const before = slack.of('chat.postMessage').length;
      await command('U0ALICE', 'deploy production');
      const progress = await slack.waitFor('the production progress message', () =>
        slack
          .of('chat.postMessage')
          .slice(before)
          .find((c) => text(c).includes('to *production*')),
      );
      const result = await slack.waitFor('the failure in its thread', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === progress.ts));
      expect(text(result)).toBe('The approval request was not posted. :x: I cannot post in <#C0RELEASES> (not_in_channel): invite @mod to <#C0RELEASES> (`/invite @mod`), or use /mod in a channel it is in.');
      expect(
        text(
          slack
            .of('chat.update')
            .filter((c) => c.ts === progress.ts)
            .at(-1)!,
        ),
      ).toContain('*failed*');
    } finally {
      slack.notInChannel.clear();
    }
  });

  it('/mod rollback stage reverts and redeploys the previous deployment, recorded with the Slack user', async () => {
    await app.write('stage.txt', 'changed\n');
    await app.commit('Stage change');
    let before = slack.of('chat.postMessage').length;
    await command('U0CAROL', 'deploy stage');
    const deploying = await slack.waitFor('the stage progress', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).includes('deploying branch `stage` to *stage*')),
    );
    expect(text(await slack.waitFor('the stage result', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === deploying.ts)))).toContain('*Succeeded*');

    before = slack.of('chat.postMessage').length;
    await command('U0CAROL', 'rollback stage');
    const progress = await slack.waitFor('the rollback progress', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).includes('rolling back *stage*')),
    );
    const result = await slack.waitFor('the rollback result', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === progress.ts));
    expect(text(result)).toContain('Rollback');
    expect(text(result)).toContain('*Succeeded*');
    expect(text(result)).toContain('revert commit');
    const [record] = await history(await openWorkspace(app.dir), ['stage'], 1);
    expect(record!.initiator).toBe('slack:U0CAROL (carol)');
    expect(record!.rollbackOf).toBeTruthy();
    expect(botLog).toContain('/mod rollback stage by U0CAROL (carol): ' + record!.deploymentId + ' Succeeded');

    // --to goes to the same rollback() as the CLI's: a target it does not know is its error, in the thread.
    before = slack.of('chat.postMessage').length;
    await command('U0CAROL', 'rollback stage --to no-such-deployment');
    const to = await slack.waitFor('the --to rollback progress', () =>
      slack
        .of('chat.postMessage')
        .slice(before)
        .find((c) => text(c).includes('rolling back *stage* to `no-such-deployment`')),
    );
    const refused = await slack.waitFor('the --to rollback result', () => slack.of('chat.postMessage').find((c) => c.args.thread_ts === to.ts));
    expect(text(refused)).toContain('--to no-such-deployment is neither a deployment id of stage nor a commit');
    await slack.waitFor('the --to rollback logged', () => botLog.find((l) => l.startsWith('/mod rollback stage by U0CAROL (carol): failed: --to no-such-deployment')));
    expect(botErrors).toEqual([]);
  });
});

describe('mod bot serve', () => {
  it('checks the bot token with Slack before listening: a rejected token or an unreachable Slack is a clear error', async () => {
    const options = { cwd: app.dir, port: 0, host: '127.0.0.1', signingSecret: SIGNING_SECRET, log: { info: () => {}, error: () => {} } };
    await expect(startBotServer({ ...options, env: { ...process.env, SLACK_API_URL: slack.url }, botToken: 'xoxb-revoked' })).rejects.toMatchObject({ code: 'BOT_NOT_CONFIGURED', message: 'Slack refused SLACK_BOT_TOKEN: invalid_auth' });
    await expect(startBotServer({ ...options, env: { ...process.env, SLACK_API_URL: 'http://127.0.0.1:9/api/' }, botToken: slack.token })).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
  });

  it('refuses to start without the Slack secrets, naming each and where to get it', async () => {
    const run = await runCli(['bot', 'serve', '--json'], { cwd: app.dir, env: { SLACK_BOT_TOKEN: 'xoxb-1' } });
    expect(run.exitCode).toBe(2);
    const error = run.json<{ error: { code: string; message: string; hint: string } }>().error;
    expect(error.code).toBe('BOT_NOT_CONFIGURED');
    expect(error.message).toContain('SLACK_SIGNING_SECRET');
    expect(error.message).not.toContain('SLACK_BOT_TOKEN');
    expect(error.hint).toContain('Signing Secret');
    const both = await runCli(['bot', 'serve'], { cwd: app.dir, env: {} });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN');
    expect(both.stderr).toContain('Bot User OAuth Token');
    const socket = await runCli(['bot', 'serve', '--socket-mode'], { cwd: app.dir, env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' } });
    expect(socket.exitCode).toBe(2);
    expect(socket.stderr).toContain('needs SLACK_APP_TOKEN');
    expect(socket.stderr).toContain('App-Level Tokens');
  });
});
