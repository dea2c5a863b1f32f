// The moderation HTTP service, built by a function that takes its
// dependencies (store, moderator, clock, logger) so tests drive it in memory
// with inject(); only main.ts (and `mod serve`) read the environment and
// listen.
//
// A 200 from /v1/moderate means the post and its decision are committed.
// When the database cannot be reached, moderation answers 503 with
// Retry-After (nothing was stored) and /readyz fails; both recover by
// themselves when the pool can connect again.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ModerationRequest, ModerationResult } from '../moderation/moderator.js';
import { isUnavailable } from '../store/errors.js';
import type { ClaimedReview, Label, LabelledPost, NewPost, ReviewDecisionOutcome, StoredPost } from '../store/postgres-store.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { PostWriter, type PostRecorder } from './post-writer.js';
import { hashToken } from './tokens.js';

/** What the service needs from the database (PostgresStore implements it). */
export interface ServiceStore extends PostRecorder {
  getPost(id: string): Promise<StoredPost | null>;
  claimReviews(moderator: string, limit: number, now: Date, until: Date): Promise<ClaimedReview[]>;
  decideReview(postId: string, moderator: string, label: Label, category: string | null, now: Date): Promise<ReviewDecisionOutcome>;
  pendingReviewCount(): Promise<number>;
  labels(pageSize?: number): AsyncIterable<LabelledPost>;
  moderatorForTokenHash(tokenHash: string): Promise<string | null>;
  migrationStatus(): Promise<{ current: boolean; pending: { file: string }[]; changed: { version: string; name: string; reason: string }[] }>;
}

/** What the service needs from the classifier (src/moderation's Moderator). */
export interface ServiceModerator {
  readonly modelVersion: string;
  moderate(request: ModerationRequest): ModerationResult;
}

export interface AppDependencies {
  store: ServiceStore;
  moderator: ServiceModerator;
  clock?: () => Date;
  /** Fastify/pino logger options; false (the default) logs nothing. */
  logger?: false | { level: string; stream?: { write(line: string): void } };
  /** The commit this process runs, reported by the health checks. */
  revision?: { commit: string | null };
  maxTextLength?: number;
  bodyLimitBytes?: number;
  retryAfterSeconds?: number;
  reviewClaimSeconds?: number;
  /**
   * Statements the post writer keeps in flight (default 2; at most the pool
   * size). Two keep the database busy (one commits while the next is sent);
   * more only split the same requests into smaller groups, costing a commit
   * and a round trip each (measured: bench/README.md, "Service").
   */
  writeConcurrency?: number;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs?: number;
  /** Process-level metrics (CPU, memory, event loop): on for the real service. */
  defaultMetrics?: boolean;
}

export const MAX_BATCH_ITEMS = 100;
// PostgreSQL text cannot hold U+0000: such a string is refused with a 400
// (INVALID_CHARACTER) before it reaches the store. Identifiers must also be
// well-formed UTF-16 (an unpaired surrogate cannot be stored as itself); in a
// post's text the store replaces one by U+FFFD.
const NO_NUL = '^[^\\u0000]*$';
const NO_NUL_OR_LONE_SURROGATE = '^[^\\u0000\\p{Cs}]*$';
const MAX_REVIEW_LIMIT = 100;

interface ModerateBody {
  text: string;
  id?: string;
  kind?: 'message' | 'profile' | 'post';
  userId?: string;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    moderatorName?: string;
  }
}

export function buildApp(deps: AppDependencies): FastifyInstance & { metrics: ServiceMetrics } {
  const clock = deps.clock ?? (() => new Date());
  const maxText = deps.maxTextLength ?? 10_000;
  const retryAfter = String(deps.retryAfterSeconds ?? 2);
  const claimMs = (deps.reviewClaimSeconds ?? 600) * 1000;
  const { store, moderator } = deps;
  const writer = new PostWriter(store, clock, { maxConcurrent: deps.writeConcurrency ?? 2 });
  const metrics = createMetrics({ modelVersion: moderator.modelVersion, queueDepth: () => store.pendingReviewCount(), defaultMetrics: deps.defaultMetrics });

  const app = Fastify({
    logger:
      deps.logger === undefined || deps.logger === false
        ? false
        : {
            level: deps.logger.level,
            ...(deps.logger.stream ? { stream: deps.logger.stream } : {}),
            // Belt and braces: no route logs headers or bodies, but a bearer
            // token or a post must never reach the log even if one does.
            redact: { paths: ['req.headers.authorization', 'headers.authorization', 'body.text', 'req.body'], censor: '[redacted]' },
          },
    logController: new OneLinePerRequest(),
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }).decorate('metrics', metrics);

  // While closing, answer in-flight requests with Connection: close so their
  // keep-alive sockets do not hold the drain open until they time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback-style hooks: these run on every request, and an async hook costs
  // a promise and a microtask each.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: ValidationIssue[] }, request, reply) => {
    if (error instanceof HttpError) return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message } });
    if (error.validation) {
      const { code, message } = describeValidation(error.validation, error.message);
      return reply.status(400).send({ error: { code, message } });
    }
    if (isUnavailable(error)) {
      metrics.databaseUnavailable.inc();
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
      return reply.status(503).header('retry-after', retryAfter).send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is unavailable; nothing was stored, retry later' } });
    }
    if (error.code === 'TEXT_TOO_LONG') return reply.status(400).send({ error: { code: 'TEXT_TOO_LONG', message: error.message } });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
    return reply.status(status).send({ error: { code: clientErrorCode(status, error.code), message: error.message } });
  });

  app.get('/healthz', async () => ({ status: 'ok', revision: deps.revision?.commit ?? null }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = { model: moderator.modelVersion };
    try {
      const status = await withTimeout(store.migrationStatus(), deps.readinessTimeoutMs ?? 2000, 'database did not answer in time');
      checks.database = 'ok';
      const edited = status.changed.filter((c) => c.reason === 'edited');
      if (status.pending.length > 0 || edited.length > 0) {
        checks.migrations = status.pending.length > 0 ? `pending: ${status.pending.map((m) => m.file).join(', ')}` : `edited: ${edited.map((c) => `${c.version}_${c.name}`).join(', ')}`;
        return reply.status(503).send({ status: 'not_ready', revision: deps.revision?.commit ?? null, checks, error: { code: 'MIGRATIONS_PENDING', message: 'database migrations are not current: run mod db migrate' } });
      }
      checks.migrations = 'current';
    } catch (error) {
      checks.database = `unavailable: ${(error as Error).message}`;
      return reply.status(503).header('retry-after', retryAfter).send({ status: 'not_ready', revision: deps.revision?.commit ?? null, checks, error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is unavailable' } });
    }
    return { status: 'ready', revision: deps.revision?.commit ?? null, checks };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const itemSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: {
      text: { type: 'string', minLength: 1, maxLength: maxText, pattern: NO_NUL },
      id: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE },
      kind: { type: 'string', enum: ['message', 'profile', 'post'] },
      userId: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE },
    },
  } as const;
  const resultSchema = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      decision: { type: 'string' },
      score: { type: 'number' },
      reasons: { type: 'array', items: { type: 'object', additionalProperties: true } },
      modelVersion: { type: 'string' },
    },
  } as const;

  function score(body: ModerateBody): NewPost {
    const id = body.id ?? randomUUID();
    const result = moderator.moderate({ text: body.text, kind: body.kind, userId: body.userId, id });
    return { id, kind: body.kind ?? null, userId: body.userId ?? null, text: body.text, decision: result.decision, score: result.score, reasons: result.reasons, modelVersion: result.modelVersion };
  }

  app.post('/v1/moderate', { schema: { body: itemSchema, response: { 200: resultSchema } } }, async (request) => {
    const post = score(request.body as ModerateBody);
    const [stored] = await writer.write([post]);
    metrics.decisions.inc({ decision: stored!.decision });
    request.log.debug({ postId: post.id, decision: stored!.decision, created: stored!.created, textLength: post.text.length }, 'moderated');
    return { id: stored!.id, decision: stored!.decision, score: stored!.score, reasons: stored!.reasons, modelVersion: stored!.modelVersion };
  });

  app.post(
    '/v1/moderate/batch',
    {
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['items'], properties: { items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: itemSchema } } },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: resultSchema } } } },
      },
    },
    async (request) => {
      const posts = (request.body as { items: ModerateBody[] }).items.map(score);
      // The same id twice in one batch is one post: the first item decides.
      const first = new Map<string, NewPost>();
      for (const post of posts) if (!first.has(post.id)) first.set(post.id, post);
      const stored = await writer.write([...first.values()]);
      const byId = new Map(stored.map((s) => [s.id, s]));
      const results = posts.map((post) => {
        const s = byId.get(post.id)!;
        return { id: s.id, decision: s.decision, score: s.score, reasons: s.reasons, modelVersion: s.modelVersion };
      });
      for (const r of results) metrics.decisions.inc({ decision: r.decision });
      request.log.debug({ items: posts.length }, 'moderated batch');
      return { results };
    },
  );

  app.get('/v1/posts/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE } } } } }, async (request) => {
    const { id } = request.params as { id: string };
    const post = await store.getPost(id);
    if (!post) throw new HttpError(404, 'POST_NOT_FOUND', `no post with id ${JSON.stringify(id)}`);
    // The text is not echoed back: the caller has it, and GET is unauthenticated.
    return {
      id: post.id,
      kind: post.kind,
      userId: post.userId,
      decision: post.decision,
      score: post.score,
      reasons: post.reasons,
      modelVersion: post.modelVersion,
      createdAt: post.createdAt.toISOString(),
      review: post.review && { state: post.review.state, label: post.review.label, category: post.review.category, decidedAt: post.review.decidedAt?.toISOString() ?? null },
    };
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      void reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'UNAUTHORIZED', 'a moderator token is required: Authorization: Bearer <token> (create one with mod service token create --name <name>)');
    }
    const name = await store.moderatorForTokenHash(hashToken(match[1]!));
    if (!name) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'UNAUTHORIZED', 'the moderator token is not valid');
    }
    request.moderatorName = name;
  }

  app.get(
    '/v1/reviews',
    { preHandler: authenticate, schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', pattern: '^[0-9]{1,3}$' } } } } },
    async (request) => {
      const raw = (request.query as { limit?: string }).limit;
      const limit = raw === undefined ? 20 : Number(raw);
      if (limit < 1 || limit > MAX_REVIEW_LIMIT) throw new HttpError(400, 'INVALID_REQUEST', `limit must be from 1 to ${MAX_REVIEW_LIMIT}`);
      const now = clock();
      const items = await store.claimReviews(request.moderatorName!, limit, now, new Date(now.getTime() + claimMs));
      return {
        moderator: request.moderatorName,
        items: items.map((r) => ({
          id: r.postId,
          text: r.text,
          kind: r.kind,
          userId: r.userId,
          decision: r.decision,
          score: r.score,
          reasons: r.reasons,
          modelVersion: r.modelVersion,
          createdAt: r.createdAt.toISOString(),
          enqueuedAt: r.enqueuedAt.toISOString(),
          claimedUntil: r.claimedUntil.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/v1/reviews/:id/decision',
    {
      preHandler: authenticate,
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE } } },
        body: { type: 'object', additionalProperties: false, required: ['label'], properties: { label: { type: 'string', enum: ['ok', 'ng'] }, category: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL_OR_LONE_SURROGATE } } },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { label, category } = request.body as { label: Label; category?: string };
      const outcome = await store.decideReview(id, request.moderatorName!, label, category ?? null, clock());
      if (outcome === 'not_found') throw new HttpError(404, 'REVIEW_NOT_FOUND', `no review for post ${JSON.stringify(id)}`);
      if (outcome === 'already_decided') throw new HttpError(409, 'ALREADY_DECIDED', `post ${JSON.stringify(id)} has already been labelled`);
      if (outcome === 'claimed_by_other') throw new HttpError(409, 'CLAIMED_BY_OTHER', `post ${JSON.stringify(id)} is claimed by another moderator`);
      return { id, label, category: category ?? null, decidedBy: request.moderatorName };
    },
  );

  app.get(
    '/v1/labels/export',
    { preHandler: authenticate, schema: { querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'jsonl'] } } } } },
    async (request, reply) => {
      const format = (request.query as { format?: 'csv' | 'jsonl' }).format ?? 'csv';
      // Read the first page before answering, so an unavailable database is a
      // 503 and not a truncated 200.
      const iterator = store.labels()[Symbol.asyncIterator]();
      const first = await iterator.next();
      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield LABELS_CSV_HEADER;
        for (let item = first; !item.done; item = await iterator.next()) yield formatLabel(item.value, format);
      }
      void reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="labels.${format}"`);
      return reply.send(Readable.from(lines()));
    },
  );

  return app as FastifyInstance & { metrics: ServiceMetrics };
}

/**
 * One log line per request ("request completed", with the method and URL)
 * instead of Fastify's two ("incoming request" + "request completed"): each
 * line is a synchronous write. The load balancer's health probe, every second
 * per target, is logged at debug unless it fails; errors are logged as
 * Fastify does.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    const line = { req: { method: request.method, url: request.url }, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode < 400 && request.routeOptions.url === '/healthz') reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}

export const LABELS_CSV_HEADER = 'text,label,category,post_id,decided_at\n';

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** One line of the label export, in the format `mod model train` reads (extra fields are ignored by it). */
export function formatLabel(item: LabelledPost, format: 'csv' | 'jsonl'): string {
  if (format === 'jsonl') return `${JSON.stringify({ text: item.text, label: item.label, category: item.category, postId: item.postId, decidedAt: item.decidedAt.toISOString() })}\n`;
  return `${[csvField(item.text), item.label, item.category === null ? '' : csvField(item.category), csvField(item.postId), item.decidedAt.toISOString()].join(',')}\n`;
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

function describeValidation(issues: ValidationIssue[], fallback: string): { code: string; message: string } {
  const issue = issues[0];
  if (!issue) return { code: 'INVALID_REQUEST', message: fallback };
  const where = issue.instancePath === '' ? 'body' : issue.instancePath.slice(1).replace(/\//g, '.');
  if (issue.keyword === 'additionalProperties') return { code: 'UNKNOWN_FIELD', message: `${where}: unknown field ${JSON.stringify(issue.params.additionalProperty)}` };
  if (issue.keyword === 'maxLength' && /(^|\/)text$/.test(issue.instancePath)) return { code: 'TEXT_TOO_LONG', message: `${where}: text is longer than ${String(issue.params.limit)} characters` };
  if (issue.keyword === 'pattern' && issue.params.pattern === NO_NUL) return { code: 'INVALID_CHARACTER', message: `${where} contains a NUL character (U+0000), which cannot be stored` };
  if (issue.keyword === 'pattern' && issue.params.pattern === NO_NUL_OR_LONE_SURROGATE) return { code: 'INVALID_CHARACTER', message: `${where} contains a NUL character (U+0000) or an unpaired surrogate, which cannot be stored` };
  if (issue.keyword === 'maxItems') return { code: 'TOO_MANY_ITEMS', message: `${where}: at most ${String(issue.params.limit)} items per batch` };
  if (issue.keyword === 'required') return { code: 'INVALID_REQUEST', message: `${where}: missing field ${JSON.stringify(issue.params.missingProperty)}` };
  return { code: 'INVALID_REQUEST', message: `${where} ${issue.message ?? 'is invalid'}` };
}

function clientErrorCode(status: number, code: string | undefined): string {
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === undefined) return 'INVALID_JSON';
  if (status === 400) return 'BAD_REQUEST';
  return code.startsWith('FST_') ? 'BAD_REQUEST' : code;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
