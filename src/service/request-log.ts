// The service's request log: what Fastify writes for each request it serves.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

// Query parameters whose values are logged as they are: the ones the routes
// take, none of them secret. Any other value (a token a client put in the
// URL, `?token=...`, `?access_token=...`) is logged as [redacted].
const LOGGED_QUERY_VALUES = new Set(['limit', 'format', 'order']);

// A parameter name worth keeping (token, access_token, limit...); anything
// longer or stranger may itself be a secret (`?modtok_...`).
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** The URL for the log: the path, and the query with every value but the routes' own replaced by [redacted]. */
export function loggableUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const pairs = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const shownName = PLAIN_NAME.test(name) ? name : '[redacted]';
      if (equals === -1) return LOGGED_QUERY_VALUES.has(name) ? name : '[redacted]';
      return LOGGED_QUERY_VALUES.has(name) && pair.length - equals <= 16 ? pair : `${shownName}=[redacted]`;
    });
  return `${url.slice(0, query)}?${pairs.join('&')}`;
}

/**
 * One log line per request ("request completed", with the method and URL)
 * instead of Fastify's two ("incoming request" + "request completed"): each
 * line is a synchronous write. The load balancer's health probe, every second
 * per target, is logged at debug unless it fails. A response that failed to
 * go out (the client went away) is logged with its error's code only.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: { method: request.method, url: loggableUrl(request.url) }, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.info({ ...line, err: { code: (error as { code?: string }).code } }, 'response not delivered');
    else if (reply.statusCode < 400 && request.routeOptions.url === '/healthz') reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
