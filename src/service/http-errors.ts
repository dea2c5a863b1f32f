// How the service answers when something goes wrong: every error becomes
// `{ error: { code, message } }` with a stable code. Routes throw HttpError
// for the answers they choose; schema validation failures, an unavailable
// database and Fastify's own client errors are mapped here, and anything
// else is a logged 500 that tells the caller nothing about the internals.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type HttpErrorCode, type HttpStatusOf, httpStatusOf } from '../error-codes.js';
import { isUnavailable } from '../store/errors.js';
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
    if (isUnavailable(error)) {
      metrics.databaseUnavailable.inc();
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
      return reply.status(503).header('retry-after', retryAfter).send(errorBody('DATABASE_UNAVAILABLE', 'the database is unavailable; nothing was stored, retry later'));
    }
    if (error.code === 'TEXT_TOO_LONG') return reply.status(400).send(errorBody('TEXT_TOO_LONG', error.message));
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.status(status).send({ error: { code: clientErrorCode(status, error.code), message: error.message } });
  };
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
