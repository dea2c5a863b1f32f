// How the service answers when something goes wrong: every error becomes
// `{ error: { code, message } }` with a stable code, whoever finds it. Routes
// throw HttpError for the answers they choose; schema validation failures,
// an unavailable database and Fastify's own client errors are mapped here,
// and anything else is a logged 500 that tells the caller nothing about the
// internals. Errors found before Fastify has a request (Node's HTTP parser,
// timeouts, an Expect header, CONNECT, a URL the router cannot decode) are
// answered here too, in the same shape.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { type HttpErrorCode, type HttpStatusOf, httpStatusOf } from '../error-codes.js';
import { isModError } from '../errors.js';
import { DatabaseUnavailableError, isUnavailable } from '../store/errors.js';
import { describeClientError, rawErrorResponse } from '../raw-http-errors.js';
import type { ServiceMetrics } from './metrics.js';
import { NO_NUL, NO_NUL_OR_LONE_SURROGATE } from './routes/schemas.js';

/**
 * An answer a route chose: its status, code and message go to the caller as
 * they are. The status is the registry's for the code; a route that spells it
 * out must spell out that same one.
 */
export class HttpError<C extends HttpErrorCode = HttpErrorCode> extends Error {
  readonly statusCode: number;
  readonly code: C;

  constructor(code: C, message: string);
  constructor(statusCode: HttpStatusOf<C>, code: C, message: string);
  constructor(...args: [code: C, message: string] | [statusCode: HttpStatusOf<C>, code: C, message: string]) {
    super(args.length === 2 ? args[1] : args[2]);
    if (args.length === 2) {
      this.code = args[0];
      this.statusCode = httpStatusOf(args[0]);
    } else {
      this.statusCode = args[0];
      this.code = args[1];
    }
  }
}

/** The body of every error answer. */
function errorBody(code: HttpErrorCode, message: string): { error: { code: HttpErrorCode; message: string } } {
  return { error: { code, message } };
}

/** One failed JSON-schema check, as Fastify's validator (ajv) reports it. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

type ServiceError = Error & { statusCode?: number; code?: string; validation?: ValidationIssue[] };

/** What reading a request fails with when its client hangs up (Node's "aborted" is an ECONNRESET). */
const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE']);

export interface ErrorHandlerOptions {
  metrics: ServiceMetrics;
  /** Retry-After (seconds) on a 503 for an unavailable database. */
  retryAfter: string;
}

export function createErrorHandler({ metrics, retryAfter }: ErrorHandlerOptions) {
  return function handleError(error: ServiceError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (error instanceof HttpError) return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message } });
    if (error.validation) {
      const { code, message } = describeValidation(error.validation, error.message);
      return reply.status(400).send({ error: { code, message } });
    }
    // The store reports an unreachable database as DatabaseUnavailableError.
    // A client that hangs up mid-body makes the body parser fail with
    // ECONNRESET, which is not the database's doing: it is counted apart.
    const clientGone = (request.raw.aborted || request.raw.socket?.destroyed === true) && CLIENT_GONE_CODES.has(error.code ?? '');
    if (error instanceof DatabaseUnavailableError || (!clientGone && isUnavailable(error))) {
      metrics.databaseUnavailable.inc();
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
      return reply.status(503).header('retry-after', retryAfter).send(errorBody('DATABASE_UNAVAILABLE', 'the database is unavailable; nothing was stored, retry later'));
    }
    if (clientGone) {
      metrics.requestsAborted.inc();
      request.log.info({ err: { code: error.code } }, 'client closed the connection before the answer');
      // Nobody reads it; Fastify needs an answer to finish the request.
      return reply.status(400).send(errorBody('BAD_REQUEST', 'the client closed the connection'));
    }
    if (isModError(error) && error.code === 'TEXT_TOO_LONG') return reply.status(400).send(errorBody('TEXT_TOO_LONG', error.message));
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: loggableError(error) }, 'unexpected error');
      return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.status(status).send({ error: { code: clientErrorCode(status, error.code), message: error.message } });
  };
}

/**
 * What of an unexpected error may go to the log: its type, code and stack
 * frames, never data. A PostgreSQL error's message, detail and "where" quote
 * the values it refused (a check violation's detail is the whole row, post
 * text included), so of those only the code, the routine and the constraint
 * are kept; other errors keep their message (written by code, not users).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as Error & { code?: unknown; severity?: unknown; routine?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
  const fromDatabase = typeof fields.severity === 'string' && typeof fields.code === 'string';
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (fromDatabase) return { type: error.name, code: fields.code, routine: fields.routine, constraint: fields.constraint, table: fields.table, column: fields.column, stack: frames.join('\n') };
  return { type: error.name, code: fields.code, message: error.message, stack: frames.join('\n') };
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}

/** The code and message for a request that failed its route's schema; only the first issue is reported. */
export function describeValidation(issues: ValidationIssue[], fallback: string): { code: HttpErrorCode; message: string } {
  const issue = issues[0];
  if (!issue) return { code: 'INVALID_REQUEST', message: fallback };
  const where = issue.instancePath === '' ? 'body' : issue.instancePath.slice(1).replace(/\//g, '.');
  if (issue.keyword === 'additionalProperties') return { code: 'UNKNOWN_FIELD', message: `${where}: unknown field ${JSON.stringify(issue.params.additionalProperty)}` };
  if (issue.keyword === 'maxLength' && /(^|\/)text$/.test(issue.instancePath)) return { code: 'TEXT_TOO_LONG', message: `${where}: text is longer than ${String(issue.params.limit)} characters` };
  if (issue.keyword === 'pattern' && issue.params.pattern === NO_NUL) return { code: 'INVALID_CHARACTER', message: `${where} contains a NUL character (U+0000), which cannot be stored` };
  if (issue.keyword === 'pattern' && issue.params.pattern === NO_NUL_OR_LONE_SURROGATE) return { code: 'INVALID_CHARACTER', message: `${where} contains a NUL character (U+0000) or an unpaired surrogate, which cannot be stored` };
  if (issue.keyword === 'maxItems') return { code: 'TOO_MANY_ITEMS', message: `${where}: at most ${String(issue.params.limit)} items per batch` };
  if (issue.keyword === 'required') return { code: 'INVALID_REQUEST', message: `${where}: missing field ${JSON.stringify(issue.params.missingProperty)}` };
  // Say what is accepted (the review label, the categories, kind), not ajv's "must be equal to one of the allowed values".
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues))
    return {
      code: 'INVALID_REQUEST',
      message: `${where} must be one of ${issue.params.allowedValues
        .filter((v) => v !== null)
        .map((v) => JSON.stringify(v))
        .join(', ')}`,
    };
  return { code: 'INVALID_REQUEST', message: `${where} ${issue.message ?? 'is invalid'}` };
}

/**
 * The code for a 4xx that Fastify raised itself (body too large, wrong content
 * type, bad JSON...): a registry code, except that a non-Fastify code on a 4xx
 * (a plugin's own) passes through as it is.
 */
export function clientErrorCode(status: number, code: string | undefined): string {
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === undefined) return 'INVALID_JSON';
  if (status === 400) return 'BAD_REQUEST';
  return code.startsWith('FST_') ? 'BAD_REQUEST' : code;
}

export { answerServerLevelRequests, describeClientError, rawErrorResponse } from '../raw-http-errors.js';

type ServerSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Node's HTTP server's "clientError" (Fastify's clientErrorHandler): a
 * request that is not valid HTTP, or too slow. Answered in the documented
 * shape when nothing of an answer was written on the connection yet (as Node
 * itself does), then the connection is closed. Logged without the request's
 * bytes (Fastify's default logs them, Authorization header and body included).
 */
export function createClientErrorHandler(metrics: ServiceMetrics) {
  // Fastify calls it with `this` bound to the instance.
  return function handleClientError(this: { log: FastifyBaseLogger }, error: Error & { code?: string; reason?: string }, socket: ServerSocket): void {
    // The client hung up mid-request (ECONNRESET) or the socket is gone: nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      metrics.clientErrors.inc({ reason: 'reset' });
      socket.destroy();
      return;
    }
    // More bytes after a "Connection: close" request that was answered already.
    if (error.code === 'HPE_CLOSED_CONNECTION') {
      socket.destroy();
      return;
    }
    const answer = describeClientError(error);
    metrics.clientErrors.inc({ reason: answer.reason });
    this.log.debug({ code: error.code, reason: error.reason, status: answer.status }, 'client error');
    const inFlight = socket._httpMessage;
    if (socket.writable && (!inFlight || !inFlight.headersSent)) socket.write(rawErrorResponse(answer.status, answer.code, answer.message));
    socket.destroy();
  };
}

/**
 * Fastify's frameworkErrors: a URL the router cannot decode (bad
 * percent-encoding, a path parameter over maxParamLength), or a failing
 * route constraint. Without it Fastify answers in its own shape.
 */
export function handleFrameworkError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(400).send(errorBody('INVALID_REQUEST', 'a path parameter is longer than the route accepts'));
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(errorBody('BAD_REQUEST', 'the URL is not valid: a percent-encoded byte sequence is not UTF-8'));
    return;
  }
  request.log.error({ err: loggableError(error) }, 'unexpected framework error');
  void reply.status(500).send(errorBody('INTERNAL', 'internal error'));
}
