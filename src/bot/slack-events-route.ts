// POST /slack/events: the one URL Slack's Events API, slash commands and
// interactivity are configured with. The raw body is kept to verify Slack's
// signature (v0:timestamp:body, HMAC-SHA256 with the signing secret; older
// than 5 minutes is a replay, and so is a signature seen in the last 5
// minutes, unless Slack marks it a retry) before anything is parsed or run; the
// url_verification handshake is answered here; everything else goes to Bolt
// through the FastifyReceiver. Slack sends commands and interactivity as
// application/x-www-form-urlencoded (interactivity as a JSON `payload` field)
// and events as JSON.
import { verifySlackRequest } from '@slack/bolt';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { FastifyReceiver } from './fastify-receiver.js';

export interface SlackEventsRouteOptions {
  signingSecret: string;
  receiver: FastifyReceiver;
}

/** How long a signature is remembered: Slack refuses timestamps older than this anyway (verifySlackRequest). */
const REPLAY_WINDOW_MS = 5 * 60_000 + 60_000;

export const slackEventsRoute: FastifyPluginAsync<SlackEventsRouteOptions> = async (app: FastifyInstance, options) => {
  // Signatures of the requests taken on, with when they may be forgotten (a captured request replayed within the window is refused).
  const seen = new Map<string, number>();
  // This plugin's own parsers (encapsulated): the body stays the exact string Slack signed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/slack/events', async (request, reply) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    const signature = request.headers['x-slack-signature'];
    const timestamp = Number(request.headers['x-slack-request-timestamp']);
    try {
      if (typeof signature !== 'string' || !Number.isFinite(timestamp)) throw new Error('the x-slack-signature or x-slack-request-timestamp header is missing');
      verifySlackRequest({ signingSecret: options.signingSecret, body: raw, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
      const now = Date.now();
      for (const [key, until] of seen) if (until < now) seen.delete(key);
      if (seen.has(signature) && request.headers['x-slack-retry-num'] === undefined) throw new Error('a replayed request: this signature was already used');
      seen.set(signature, now + REPLAY_WINDOW_MS);
    } catch (error) {
      request.log.warn({ reason: (error as Error).message }, 'refused an unverified Slack request');
      const reason = (error as Error).message;
      // A stale timestamp or a replay is no fault of the secret: the clock, or a resent request.
      const advice = /stale|replayed/i.test(reason) ? "timestamp too old or replayed (check this machine's clock; do not resend a captured request: send a fresh one)" : 'check SLACK_SIGNING_SECRET (Slack app settings, Basic Information, Signing Secret)';
      return reply.code(401).send({ ok: false, error: 'invalid_signature', message: `${reason}; ${advice}` });
    }

    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(String(request.headers['content-type'] ?? ''), raw);
    } catch (error) {
      return reply.code(400).send({ ok: false, error: 'invalid_body', message: (error as Error).message });
    }
    if (body.type === 'url_verification') return reply.send({ challenge: body.challenge });

    const retryNum = request.headers['x-slack-retry-num'];
    const retryReason = request.headers['x-slack-retry-reason'];
    const answer = await options.receiver.dispatch(body, { retryNum: retryNum === undefined ? undefined : Number(retryNum), retryReason: typeof retryReason === 'string' ? retryReason : undefined }, (error) =>
      request.log.error({ err: error }, 'the Slack app failed on a request'),
    );
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  });
};

/** A Slack request body as Bolt expects it: the form's fields, interactivity's JSON payload, or the event's JSON. */
export function parseSlackBody(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(raw);
    const payload = form.get('payload');
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(form);
  }
  if (contentType.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  throw new Error(`unexpected content-type "${contentType}": Slack sends application/json or application/x-www-form-urlencoded`);
}
