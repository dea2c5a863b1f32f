// POST /github/webhooks: the review bot driven by GitHub's webhooks (issue 16).
// The raw body is kept (this plugin's own content-type parser) and verified
// with @octokit/webhooks against GITHUB_WEBHOOK_SECRET (X-Hub-Signature-256)
// before anything is parsed or run. On pull_request (opened, synchronize,
// reopened, ready_for_review) and pull_request_review (submitted, except the
// bot's own reviews) it runs the review `mod review-pr` runs
// (reviewPullRequest) and posts it through the PullRequests port. A PR whose
// base branch no environment deploys is skipped; a redelivery (the same
// X-GitHub-Delivery) posts nothing again. GitHub waits 10 s for an answer: a
// review still running after `answerWithinMs` goes on in the background (202),
// its failure recorded in the bot's log.
import { setTimeout as delay } from 'node:timers/promises';
import { Webhooks, type EmitterWebhookEvent } from '@octokit/webhooks';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Workspace } from '../delivery/workspace.js';
import { isModError } from '../errors.js';
import type { BotContext } from './bot-context.js';
import { fileSeenDeliveries, type SeenDeliveries } from './seen-deliveries.js';

export interface GitHubWebhookRoutesOptions {
  /** GITHUB_WEBHOOK_SECRET (the webhook's "Secret" on GitHub); unset: every delivery is refused (503) saying so. */
  secret: string | undefined;
  ctx: Pick<BotContext, 'openWorkspace' | 'log'>;
  /** The bot's own GitHub login (MOD_BOT_GITHUB_LOGIN): its reviews start no review (no loop). */
  botLogin?: string;
  /** Answer GitHub after this long at most, reviewing on in the background (GitHub gives up at 10 s). Default 5 s. */
  answerWithinMs?: number;
  /** Where handled delivery ids are kept; default .mod/bot/github-deliveries.json of the workspace. */
  seen?: SeenDeliveries;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const PULL_REQUEST_ACTIONS = ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'] as const;
/** How the bot's own reviews begin (src/delivery/gates/review-pull-request.ts checklist()). */
const OWN_REVIEW_HEADING = '### mod release gates for';

export const githubWebhookRoutes: FastifyPluginAsync<GitHubWebhookRoutesOptions> = async (app: FastifyInstance, options) => {
  const answerWithinMs = options.answerWithinMs ?? 5000;
  let seen = options.seen;
  const seenOf = (ws: Workspace) => (seen ??= fileSeenDeliveries(ws.paths.githubDeliveries()));

  // This plugin's own parsers (encapsulated): the body stays the exact bytes GitHub signed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/github/webhooks', { bodyLimit: 25 * 1024 * 1024 }, async (request, reply) => {
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' && value ? value : undefined;
    };
    if (!options.secret) {
      return reply.code(503).send({ ok: false, error: 'not_configured', message: "GITHUB_WEBHOOK_SECRET is not set: start the bot with it set to the webhook's Secret (GitHub: Settings, Webhooks)" });
    }
    const signature = header('x-hub-signature-256');
    if (!signature) {
      return reply.code(401).send({ ok: false, error: 'missing_signature', message: 'the X-Hub-Signature-256 header is missing: give the GitHub webhook a Secret, the same as GITHUB_WEBHOOK_SECRET' });
    }
    const name = header('x-github-event');
    const id = header('x-github-delivery');
    if (!name || !id) return reply.code(400).send({ ok: false, error: 'invalid_request', message: 'the X-GitHub-Event or X-GitHub-Delivery header is missing: this URL takes GitHub webhook deliveries only' });
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return reply.code(415).send({ ok: false, error: 'unsupported_content_type', message: `content-type "${request.headers['content-type'] ?? ''}": set the webhook's Content type to application/json on GitHub` });
    }

    // One Webhooks per delivery: its handlers hand this request its answer.
    const webhooks = new Webhooks({ secret: options.secret });
    let answer: Promise<Answer> | undefined;
    webhooks.on('ping', () => {
      answer = Promise.resolve({ status: 200, body: { ok: true, message: 'pong' } });
    });
    webhooks.on([...PULL_REQUEST_ACTIONS], (event) => {
      answer = onPullRequest(event);
    });
    webhooks.on('pull_request_review.submitted', (event) => {
      answer = onReview(event);
    });
    try {
      await webhooks.verifyAndReceive({ id, name: name as never, payload: typeof request.body === 'string' ? request.body : '', signature });
    } catch (error) {
      const inner = error instanceof AggregateError ? (error.errors[0] as Error | undefined) : undefined;
      const message = inner?.message ?? (error as Error).message;
      if (/signature does not match/.test(message)) {
        request.log.warn({ delivery: id }, 'refused a GitHub delivery with a bad signature');
        return reply.code(401).send({ ok: false, error: 'invalid_signature', message: "the X-Hub-Signature-256 signature does not match the body: the webhook's Secret on GitHub must equal GITHUB_WEBHOOK_SECRET" });
      }
      return reply.code(400).send({ ok: false, error: 'invalid_body', message: `${message}: the delivery's body is not a GitHub event` });
    }
    const action = (JSON.parse(request.body as string) as { action?: unknown }).action;
    const result = (await answer) ?? { status: 202, body: { ok: true, skipped: true, reason: `${name}${typeof action === 'string' ? `.${action}` : ''} events are not acted on` } };
    return reply.code(result.status).send({ delivery: id, ...result.body });

    async function onPullRequest(event: EmitterWebhookEvent<(typeof PULL_REQUEST_ACTIONS)[number]>): Promise<Answer> {
      const pr = event.payload.pull_request;
      if (pr.draft) return skipped(`#${pr.number} is a draft: it is reviewed when marked ready for review`);
      return review(event.id, event.payload.repository.full_name, pr.number, pr.base.ref);
    }

    async function onReview(event: EmitterWebhookEvent<'pull_request_review.submitted'>): Promise<Answer> {
      const { review: submitted, pull_request: pr } = event.payload;
      const login = submitted.user?.login ?? '';
      if ((options.botLogin && login.toLowerCase() === options.botLogin.toLowerCase()) || (submitted.body ?? '').startsWith(OWN_REVIEW_HEADING)) {
        return skipped(`the review on #${pr.number} is the bot's own (${login})`);
      }
      return review(event.id, event.payload.repository.full_name, pr.number, pr.base.ref);
    }
  });

  function skipped(reason: string): Answer {
    return { status: 202, body: { ok: true, skipped: true, reason } };
  }

  async function review(id: string, repository: string, number: number, baseRef: string): Promise<Answer> {
    const ws = await options.ctx.openWorkspace();
    const configured = ws.config.github.repository;
    if (configured && configured.toLowerCase() !== repository.toLowerCase()) return skipped(`the delivery is about ${repository}; this bot serves ${configured} (github.repository)`);
    if (!Object.values(ws.config.environments).some((e) => e.branch === baseRef)) return skipped(`#${number} targets ${baseRef}, which no environment deploys`);
    const seen = seenOf(ws);
    if (!(await seen.claim(id))) return { status: 200, body: { ok: true, message: 'already handled' } };

    const work = (async (): Promise<Answer> => {
      try {
        const { reviewPullRequest } = await import('../delivery/gates/review-pull-request.js');
        const result = await reviewPullRequest(ws, number, { post: true });
        if (result.skipped) return skipped(result.reason ?? `#${number} is not reviewed`);
        options.ctx.log.info(`posted ${result.event} on #${number} for ${result.environment}${result.reviewUrl ? `: ${result.reviewUrl}` : ''}`);
        return { status: 200, body: { ok: true, pullRequest: number, environment: result.environment, event: result.event, reviewUrl: result.reviewUrl, gates: result.gates } };
      } catch (error) {
        // Not handled after all: a redelivery retries.
        await seen.forget(id).catch(() => undefined);
        options.ctx.log.error(`the review of #${number} (GitHub delivery ${id}) failed`, error);
        const e = error as Error & { code?: string; hint?: string };
        return { status: 502, body: { ok: false, error: isModError(error) ? e.code : 'review_failed', message: `the review of #${number} failed: ${e.message}`, hint: e.hint } };
      }
    })();
    const timer = new AbortController();
    const inTime = await Promise.race([work, delay(answerWithinMs, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort();
    return inTime ?? { status: 202, body: { ok: true, accepted: true, message: `reviewing #${number} in the background: the review is posted when it is done, a failure is in the bot's log` } };
  }
};
