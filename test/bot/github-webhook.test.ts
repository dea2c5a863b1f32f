// POST /github/webhooks over loopback: the githubWebhookRoutes plugin on its
// own Fastify server, deliveries signed with GitHub's scheme (HMAC-SHA256 of
// the raw body, X-Hub-Signature-256), a real git repository with its
// mod.config.yml, and the GitHub stand-in receiving the reviews over HTTP.
import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubWebhookRoutes, type GitHubWebhookRoutesOptions } from '../../src/bot/github-webhook-routes.js';
import { openWorkspace } from '../../src/delivery/workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';
import { GitHubStandIn } from '../support/github-stand-in.js';

const SECRET = 'webhook-secret-for-tests';
const github = new GitHubStandIn('acme', 'shop');
const logged: { level: 'info' | 'error'; message: string; error?: unknown }[] = [];
let repo: TempRepository;
const servers: FastifyInstance[] = [];

async function serve(options: Partial<GitHubWebhookRoutesOptions> = {}): Promise<string> {
  const app = Fastify();
  await app.register(githubWebhookRoutes, {
    secret: SECRET,
    ctx: {
      openWorkspace: () => openWorkspace(repo.dir, { GITHUB_TOKEN: 'ghp_test' }),
      log: { info: (message) => logged.push({ level: 'info', message }), error: (message, error) => logged.push({ level: 'error', message, error }) },
    },
    ...options,
  });
  servers.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function deliver(url: string, event: string, payload: unknown, options: { id?: string; secret?: string; signature?: string | null } = {}) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': options.id ?? randomUUID(), 'user-agent': 'GitHub-Hookshot/abc123' };
  const signature = options.signature === undefined ? sign(body, options.secret) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${url}/github/webhooks`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The parts of GitHub's pull_request payload the bot reads, with GitHub's names, and some it does not. */
function pullRequestEvent(action: string, number: number, base = 'master') {
  const pull = github.pulls.get(number)!;
  return {
    action,
    number,
    pull_request: {
      number,
      id: 1000 + number,
      state: 'open',
      draft: false,
      title: pull?.title ?? `Feature ${number}`,
      body: pull?.body ?? null,
      user: { login: pull?.author ?? 'alice', type: 'User' },
      head: { ref: `feature/${number}`, sha: pull?.headSha ?? 'f'.repeat(40) },
      base: { ref: base, sha: '0'.repeat(40) },
      html_url: `https://github.example/acme/shop/pull/${number}`,
    },
    repository: { id: 1, name: 'shop', full_name: 'acme/shop', owner: { login: 'acme' } },
    sender: { login: pull?.author ?? 'alice', type: 'User' },
  };
}

function reviewEvent(number: number, user: { login: string; type: string }, body: string) {
  return { ...pullRequestEvent('submitted', number), review: { id: 55, user, body, state: 'approved', commit_id: github.pulls.get(number)!.headSha, submitted_at: '2026-11-20T02:00:00Z', html_url: 'https://github.example/r/55' }, sender: user };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let url: string;

beforeAll(async () => {
  await github.start();
  repo = await TempRepository.create('master');
  await repo.commit('Configure', {
    '.gitignore': '.mod/\n',
    'mod.config.yml': `app: shop
github:
  repository: acme/shop
  baseUrl: ${github.baseUrl}
environments:
  stage:
    branch: stage
  production:
    branch: master
    gates:
      ticket: {}
      peer-review: {}
`,
  });
  github.addPull({ number: 11, title: 'Feature 11', body: 'Implements SHOP-11.', author: 'alice', base: 'master', headSha: 'a'.repeat(40) }, []);
  github.reviews.set(11, [{ user: 'bob', state: 'APPROVED', commitId: 'a'.repeat(40), submittedAt: '2026-11-20T00:00:00Z' }]);
  github.addPull({ number: 12, title: 'Feature 12', body: 'No ticket here.', author: 'carol', base: 'master', headSha: 'c'.repeat(40) }, []);
  // Generous: on a loaded machine a review may take seconds; the background path has its own test.
  url = await serve({ answerWithinMs: 60_000 });
});
afterAll(async () => {
  for (const app of servers) await app.close();
  await github.stop();
  await repo?.dispose();
});

describe('POST /github/webhooks', () => {
  it('reviews a pull request on a signed pull_request delivery and posts the review through the GitHub API', async () => {
    const before = github.posted.length;
    const answer = await deliver(url, 'pull_request', pullRequestEvent('opened', 11));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, pullRequest: 11, environment: 'production', event: 'APPROVE', reviewUrl: 'https://github.example/review/99' });
    expect(github.posted.slice(before)).toEqual([{ number: 11, event: 'APPROVE', body: expect.stringContaining('### mod release gates for `production` (#11 → `master`)') }]);
    expect(github.posted.at(-1)!.body).toContain('**peer-review**');

    const failing = await deliver(url, 'pull_request', pullRequestEvent('synchronize', 12));
    expect(failing.body).toMatchObject({ event: 'REQUEST_CHANGES' });
    expect(github.posted.at(-1)).toMatchObject({ number: 12, event: 'REQUEST_CHANGES', body: expect.stringContaining('- [ ] **ticket**') });
  });

  it('answers a redelivery (the same X-GitHub-Delivery) with 200 "already handled" and posts nothing again, even after a restart', async () => {
    const id = randomUUID();
    const first = await deliver(url, 'pull_request', pullRequestEvent('reopened', 11), { id });
    expect(first.status).toBe(200);
    const posted = github.posted.length;
    const again = await deliver(url, 'pull_request', pullRequestEvent('reopened', 11), { id });
    expect(again).toEqual({ status: 200, body: { delivery: id, ok: true, message: 'already handled' } });
    // A new bot process (a new plugin instance) reads the handled ids from the state.
    const restarted = await serve();
    expect((await deliver(restarted, 'pull_request', pullRequestEvent('reopened', 11), { id })).body).toMatchObject({ message: 'already handled' });
    expect(github.posted.length).toBe(posted);
    const state = JSON.parse(await readFile(path.join(repo.dir, '.mod', 'bot', 'github-deliveries.json'), 'utf8')) as { deliveries: { id: string }[] };
    expect(state.deliveries.map((d) => d.id)).toContain(id);
  });

  it('refuses a forged or missing signature with 401 and runs nothing', async () => {
    const requests = github.requests.length;
    const posted = github.posted.length;
    const forged = await deliver(url, 'pull_request', pullRequestEvent('opened', 11), { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ ok: false, error: 'invalid_signature', message: expect.stringContaining('GITHUB_WEBHOOK_SECRET') });
    const missing = await deliver(url, 'pull_request', pullRequestEvent('opened', 11), { signature: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: 'missing_signature' });
    // A signature of another body (the payload changed on the way) is refused too.
    const tampered = await deliver(url, 'pull_request', pullRequestEvent('opened', 12), { signature: sign(JSON.stringify(pullRequestEvent('opened', 11))) });
    expect(tampered.status).toBe(401);
    expect(github.requests.length).toBe(requests);
    expect(github.posted.length).toBe(posted);
  });

  it('skips a pull request whose base branch no environment deploys (202 with the reason), asking GitHub nothing', async () => {
    const requests = github.requests.length;
    const answer = await deliver(url, 'pull_request', pullRequestEvent('opened', 11, 'feature/experiment'));
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ ok: true, skipped: true, reason: '#11 targets feature/experiment, which no environment deploys' });
    expect(github.requests.length).toBe(requests);
  });

  it("re-reviews on a submitted review by a person, and not on the bot's own review (no loop)", async () => {
    const posted = github.posted.length;
    const human = await deliver(url, 'pull_request_review', reviewEvent(12, { login: 'bob', type: 'User' }, 'Looks good'));
    expect(human.status).toBe(200);
    expect(github.posted.length).toBe(posted + 1);

    const own = await deliver(url, 'pull_request_review', reviewEvent(12, { login: 'github-actions[bot]', type: 'Bot' }, github.posted.at(-1)!.body));
    expect(own.status).toBe(202);
    expect(own.body).toMatchObject({ skipped: true, reason: expect.stringContaining("the bot's own") });
    const named = await serve({ botLogin: 'mod-bot' });
    const byLogin = await deliver(named, 'pull_request_review', reviewEvent(12, { login: 'Mod-Bot', type: 'User' }, 'a comment of the bot'));
    expect(byLogin.body).toMatchObject({ skipped: true });
    expect(github.posted.length).toBe(posted + 1);
  });

  it("never counts the bot's own APPROVE as a peer review when it posts as a user (GET /user, or MOD_BOT_GITHUB_LOGIN)", async () => {
    const head = 'd'.repeat(40);
    github.addPull({ number: 13, title: 'Feature 13', body: 'Implements SHOP-13.', author: 'alice', base: 'master', headSha: head }, []);
    // Bob approved, the bot (a machine user's token) approved after him, then Bob asked for changes.
    github.reviews.set(13, [
      { user: 'bob', state: 'APPROVED', commitId: head, submittedAt: '2026-11-20T00:00:00Z' },
      { user: 'mod-bot', state: 'APPROVED', commitId: head, submittedAt: '2026-11-20T00:01:00Z' },
      { user: 'bob', state: 'CHANGES_REQUESTED', commitId: head, submittedAt: '2026-11-20T00:02:00Z' },
    ]);
    github.botLogin = 'mod-bot';
    try {
      const answer = await deliver(url, 'pull_request_review', reviewEvent(13, { login: 'bob', type: 'User' }, 'Please fix'));
      expect(answer.body).toMatchObject({ event: 'REQUEST_CHANGES', gates: expect.arrayContaining([expect.objectContaining({ name: 'peer-review', status: 'fail', reason: '#13: no approval by someone other than alice' })]) });
    } finally {
      github.botLogin = 'github-actions[bot]';
    }
    // GET /user tells nothing for an app's token: MOD_BOT_GITHUB_LOGIN names the login instead.
    const named = Fastify();
    await named.register(githubWebhookRoutes, { secret: SECRET, ctx: { openWorkspace: () => openWorkspace(repo.dir, { GITHUB_TOKEN: 'ghp_test', MOD_BOT_GITHUB_LOGIN: 'Mod-Bot' }), log: { info: () => {}, error: () => {} } } });
    servers.push(named);
    const again = await deliver(await named.listen({ port: 0, host: '127.0.0.1' }), 'pull_request_review', reviewEvent(13, { login: 'bob', type: 'User' }, 'Please fix'));
    expect(again.body).toMatchObject({ event: 'REQUEST_CHANGES' });
  });

  it('acts on nothing else: other events and actions are acknowledged (202), a ping with 200', async () => {
    const posted = github.posted.length;
    expect((await deliver(url, 'pull_request', pullRequestEvent('closed', 11))).body).toMatchObject({ skipped: true, reason: 'pull_request.closed events are not acted on' });
    expect((await deliver(url, 'ping', { zen: 'Keep it logically awesome.', hook_id: 1 })).body).toMatchObject({ ok: true, message: 'pong' });
    const draft = pullRequestEvent('opened', 11);
    draft.pull_request.draft = true;
    expect((await deliver(url, 'pull_request', draft)).body).toMatchObject({ skipped: true, reason: expect.stringContaining('draft') });
    expect(github.posted.length).toBe(posted);
  });

  it('accepts a slow review with 202 and posts it in the background; a failure is logged and a redelivery retries', async () => {
    const background = await serve({ answerWithinMs: 0 });
    const posted = github.posted.length;
    const accepted = await deliver(background, 'pull_request', pullRequestEvent('synchronize', 11));
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ ok: true, accepted: true });
    await waitFor('the background review', () => github.posted.length === posted + 1);
    expect(github.posted.at(-1)).toMatchObject({ number: 11, event: 'APPROVE' });

    github.failWith = 502;
    const id = randomUUID();
    try {
      expect((await deliver(background, 'pull_request', pullRequestEvent('synchronize', 12), { id })).status).toBe(202);
      await waitFor('the failure in the log', () => logged.some((l) => l.level === 'error' && l.message.includes(id)));
    } finally {
      github.failWith = undefined;
    }
    const retried = await deliver(url, 'pull_request', pullRequestEvent('synchronize', 12), { id });
    expect(retried.status).toBe(200);
    expect(github.posted.at(-1)).toMatchObject({ number: 12, event: 'REQUEST_CHANGES' });
  });

  it('answers a GitHub error met in time with 502 and the cause', async () => {
    github.failWith = 503;
    try {
      const answer = await deliver(url, 'pull_request', pullRequestEvent('opened', 11));
      expect(answer.status).toBe(502);
      expect(answer.body).toMatchObject({ ok: false, error: 'GITHUB_UNAVAILABLE', message: expect.stringContaining('#11') });
    } finally {
      github.failWith = undefined;
    }
  });

  it('refuses every delivery with 503 saying so when GITHUB_WEBHOOK_SECRET is not set', async () => {
    const unconfigured = await serve({ secret: undefined });
    const answer = await deliver(unconfigured, 'pull_request', pullRequestEvent('opened', 11));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'not_configured', message: expect.stringContaining('GITHUB_WEBHOOK_SECRET') });
  });
});
