// The moderator console's session check (issue 15), for every console route
// that needs a signed-in person. Use it as a route's preHandler inside the
// console plugin (console-plugin.ts, prefix /console), which provides the
// session lookup:
//
//   app.get('/api/things', { preHandler: requireSession(['moderator', 'viewer']) }, handler);
//   // in the handler: request.consoleSession!.name / .role / .csrfToken
//
// requireSession(roles):
// - no live session (no `mod_session` cookie, unknown, expired, signed out,
//   or its token revoked or rotated): 401 UNAUTHORIZED in the JSON error
//   shape for /console/api/*; a page (anything else) is redirected (303) to
//   /console/sign-in;
// - a role not in `roles`: 403 FORBIDDEN (JSON for the API, a short HTML
//   page linking to the dashboard for a page);
// - on every method but GET/HEAD/OPTIONS: the request must carry the
//   session's CSRF token in the `x-csrf-token` header (fetch) or the `_csrf`
//   form field; missing or wrong: 403 CSRF_REJECTED, nothing done.
//
// CSRF, the choice: a per-session random token (256 bits, made at sign-in,
// stored with the session, served by GET /console/api/session) compared in
// constant time (SHA-256 of both, then timingSafeEqual, so lengths never
// leak either). @fastify/csrf-protection was not used: its tokens are tied
// to a secret it keeps in a cookie or its own session plugin, and the
// console's sessions are server-side rows already; a synchroniser token in
// that row is the same defence with one moving part less. The session
// cookie is also SameSite=Strict, so a cross-site request does not carry it
// in the first place; the token is the second, independent layer.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HttpError } from '../http-errors.js';
import type { TokenRole } from '../authenticate.js';

export interface ConsoleSession {
  /** SHA-256 of the cookie's session id (what the database keys it by). */
  id: string;
  name: string;
  role: TokenRole;
  csrfToken: string;
  expiresAt: Date;
}

/** Finds the live session for a request's cookie value (the console plugin provides it). */
export type ConsoleSessionResolver = (request: FastifyRequest) => Promise<ConsoleSession | null>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession: who is signed in. */
    consoleSession?: ConsoleSession;
  }
  interface FastifyInstance {
    /** Decorated by the console plugin: requireSession's lookup. */
    consoleSessions?: ConsoleSessionResolver;
  }
}

export const SESSION_COOKIE = 'mod_session';
export const SIGN_IN_PATH = '/console/sign-in';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An API route (JSON answers) rather than a page. */
export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/console/api/');
}

/** What the database keys a session by: the SHA-256 (hex) of the cookie's random id. */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Whether `given` is the session's CSRF token, in constant time. */
export function csrfMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The CSRF token a request carries: the x-csrf-token header, else a `_csrf` body field. */
function csrfOf(request: FastifyRequest): unknown {
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  const body = request.body;
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)._csrf : undefined;
}

const FORBIDDEN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>Not for your role - mod console</title><link rel="stylesheet" href="/console/assets/console.css" /></head>
<body><main class="sign-in"><h1>Not for your role</h1><p>This page is for moderators. Your token's role cannot open it.</p><p><a href="/console/dashboard">Go to the dashboard</a></p></main></body></html>
`;

function refuseRole(request: FastifyRequest, reply: FastifyReply, session: ConsoleSession): FastifyReply {
  if (isApiRequest(request) || !SAFE_METHODS.has(request.method)) {
    throw new HttpError('FORBIDDEN', `a ${session.role} cannot do this in the console (only moderators claim and label reviews); ask for a moderator token: mod service token create --name ${session.name} --role moderator`);
  }
  return reply.status(403).type('text/html; charset=utf-8').send(FORBIDDEN_PAGE);
}

/** The preHandler for routes of the console that need a signed-in person of one of `roles`. */
export function requireSession(roles: readonly TokenRole[]): preHandlerAsyncHookHandler {
  return async function consoleSessionCheck(request, reply) {
    const resolve = request.server.consoleSessions;
    if (!resolve) throw new Error('requireSession is used outside the console plugin (console-plugin.ts decorates the session lookup)');
    const session = await resolve(request);
    if (!session) {
      if (isApiRequest(request)) throw new HttpError('UNAUTHORIZED', 'no console session: sign in at /console/sign-in with your moderator token (your session may have expired, been signed out, or its token revoked)');
      return reply.redirect(SIGN_IN_PATH, 303);
    }
    if (!roles.includes(session.role)) {
      return refuseRole(request, reply, session);
    }
    if (!SAFE_METHODS.has(request.method) && !csrfMatches(csrfOf(request), session.csrfToken)) {
      throw new HttpError('CSRF_REJECTED', "the request lacks this session's CSRF token: send it as the x-csrf-token header (or the _csrf form field); GET /console/api/session gives it. Reload the page if it was open before you signed in again");
    }
    request.consoleSession = session;
  };
}
