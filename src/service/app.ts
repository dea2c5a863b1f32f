// The moderation HTTP service, built by a function that takes its
// dependencies (store, moderator, clock, logger) so tests drive it in memory
// with inject(); only main.ts (and `mod serve`) read the environment and
// listen. This file holds what applies to every route (Fastify's options,
// the hooks, the error and not-found handlers); the routes are plugins, one
// file per resource in routes/.
//
// A 200 from /v1/moderate means the post and its decision are committed.
// When the database cannot be reached, moderation answers 503 with
// Retry-After (nothing was stored) and /readyz fails; both recover by
// themselves when the pool can connect again.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAuthenticate, type ModeratorTokenLookup } from './authenticate.js';
import { answerServerLevelRequests, createClientErrorHandler, createErrorHandler, handleFrameworkError, handleNotFound, HttpError } from './http-errors.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { PostWriter, type PostRecorder } from './post-writer.js';
import { OneLinePerRequest } from './request-log.js';
import { healthRoutes, type MigrationStatusSource } from './routes/health.js';
import { labelRoutes, type LabelSource } from './routes/labels.js';
import { moderateRoutes, type ServiceModerator } from './routes/moderate.js';
import { postRoutes, type PostLookup } from './routes/posts.js';
import type { ReviewOrder } from '../moderation/post-records.js';
import { reviewRoutes, type ReviewQueue } from './routes/reviews.js';
import { statsRoutes, type StatsSource } from './routes/stats.js';
import { consolePlugin } from './console/console-plugin.js';
import type { ConsoleReviewQueue } from './console/console-review-routes.js';
import type { SessionStore } from './console/sign-in-routes.js';

export { MAX_BATCH_ITEMS, type ServiceModerator } from './routes/moderate.js';

/** What the service needs from the database (PostgresStore implements it): what each route plugin needs, and the queue depth for /metrics. */
export interface ServiceStore extends PostRecorder, PostLookup, ReviewQueue, ConsoleReviewQueue, StatsSource, LabelSource, ModeratorTokenLookup, SessionStore, MigrationStatusSource {
  pendingReviewCount(): Promise<number>;
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
  /** The review queue's REVIEW_ORDER, REVIEW_MAX_WAIT_SECONDS and REVIEW_SECOND_OPINION_SHARE (defaults: routes/reviews.ts). */
  reviewQueue?: { order?: ReviewOrder; maxWaitSeconds?: number; secondOpinionShare?: number };
  /**
   * Statements the post writer keeps in flight (default 2; at most the pool
   * size). Two keep the database busy (one commits while the next is sent);
   * more only split the same requests into smaller groups, costing a commit
   * and a round trip each (measured: bench/README.md, "Service").
   */
  writeConcurrency?: number;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs?: number;
  /** A client must send its request line and headers within this (408 after; default 10 s). */
  headersTimeoutMs?: number;
  /** ... and its whole request, body included (default 30 s). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this (default 65 s, above the ALB's 60 s idle timeout). */
  keepAliveTimeoutMs?: number;
  /** Process-level metrics (CPU, memory, event loop): on for the real service. */
  defaultMetrics?: boolean;
  /** The moderator console (console/console-plugin.ts): CONSOLE_SESSION_HOURS (default 8), CONSOLE_COOKIE_SECURE, and where its pages are (default console/ of the package). */
  console?: { sessionHours?: number; cookieSecure?: boolean; dir?: string };
}

export function buildApp(deps: AppDependencies): FastifyInstance & { metrics: ServiceMetrics } {
  const clock = deps.clock ?? (() => new Date());
  const retryAfter = String(deps.retryAfterSeconds ?? 2);
  const { store, moderator } = deps;
  const writer = new PostWriter(store, clock, { maxConcurrent: deps.writeConcurrency ?? 2 });
  const metrics = createMetrics({
    modelVersion: moderator.modelVersion,
    queueDepth: () => store.pendingReviewCount(),
    defaultMetrics: deps.defaultMetrics,
    models: moderator.loaded ? () => moderator.loaded!() : () => [{ version: moderator.modelVersion, role: 'live', source: 'bundled' }],
  });

  const headersTimeout = deps.headersTimeoutMs ?? 10_000;
  const requestTimeout = deps.requestTimeoutMs ?? 30_000;
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
    // Slow clients are cut off: Node checks these every
    // connectionsCheckingInterval and answers 408 (through the client error
    // handler below). Fastify's own defaults never time a request out.
    requestTimeout,
    keepAliveTimeout: deps.keepAliveTimeoutMs ?? 65_000,
    // requireHostHeader: Node's own refusal is an empty 400; the onRequest hook answers it in the documented shape.
    http: { headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))), requireHostHeader: false },
    // A post id may be 200 characters, up to 12 bytes each once percent-encoded.
    routerOptions: { maxParamLength: 2400 },
    clientErrorHandler: createClientErrorHandler(metrics),
    frameworkErrors: handleFrameworkError,
    // Fastify's own 503 while closing is not in the documented shape: the onRequest hook answers it.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }).decorate('metrics', metrics);
  answerServerLevelRequests(app.server);

  // The hooks and handlers below must be added before the route plugins are
  // registered: a plugin's scope copies its parent's hooks when it is
  // created, and one added to the root later would not reach its routes.
  // Routes in a plugin pay nothing per request for its scope: hooks and
  // handlers are resolved once per route, when it is added.

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
    if (closing) {
      void reply.header('retry-after', retryAfter);
      done(new HttpError('SHUTTING_DOWN', 'the service is stopping; retry (another instance answers)'));
      return;
    }
    if (request.raw.headers.host === undefined && request.raw.httpVersion === '1.1') {
      done(new HttpError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header'));
      return;
    }
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

  app.setNotFoundHandler(handleNotFound);
  app.setErrorHandler(createErrorHandler({ metrics, retryAfter }));

  // Moderators only (the review queue, the label export); moderators or viewers (a post's record, the stats).
  const authenticate = createAuthenticate(store, ['moderator']);
  const authenticateReader = createAuthenticate(store, ['moderator', 'viewer']);
  void app.register(healthRoutes, { store, moderator, metrics, revision: deps.revision, readinessTimeoutMs: deps.readinessTimeoutMs ?? 2000, retryAfter });
  void app.register(moderateRoutes, { moderator, writer, metrics, maxTextLength: deps.maxTextLength ?? 10_000 });
  void app.register(postRoutes, { store, authenticate });
  const queue = {
    clock,
    claimMs: (deps.reviewClaimSeconds ?? 600) * 1000,
    order: deps.reviewQueue?.order,
    maxWaitMs: deps.reviewQueue?.maxWaitSeconds === undefined ? undefined : deps.reviewQueue.maxWaitSeconds * 1000,
    secondOpinionShare: deps.reviewQueue?.secondOpinionShare,
  };
  void app.register(reviewRoutes, { store, authenticate, ...queue });
  void app.register(labelRoutes, { store, authenticate });
  void app.register(statsRoutes, { store, authenticate: authenticateReader, clock });
  void app.register(consolePlugin, { prefix: '/console', store, ...queue, ...deps.console });

  return app as FastifyInstance & { metrics: ServiceMetrics };
}
