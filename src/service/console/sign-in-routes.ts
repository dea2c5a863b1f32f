// Signing in and out of the moderator console (issue 15). POST
// /console/sign-in exchanges a moderator's (or viewer's) bearer token, sent
// as the form field `token` (or JSON {"token"}), for a session: a 256-bit
// random id in the `mod_session` cookie (HttpOnly, SameSite=Strict,
// Path=/console, Secure over TLS), stored only as its SHA-256, living
// CONSOLE_SESSION_HOURS and no longer than its token (session-auth.ts).
// A form sign-in is answered 303 to /console; a JSON one 200 with the
// session (as GET /console/api/session). A wrong token is the sign-in page
// again, 401, saying so (the token is never echoed).
//
// The sign-in form has no session yet, so no CSRF token: it is protected by
// the browser's own statement of where the POST comes from instead. A
// sign-in is refused when Sec-Fetch-Site (sent by current browsers) says
// anything but same-origin or none (typed by the person), or when Origin
// names another host than the request's Host. Origin "null" is what the
// console's own form sends (its Referrer-Policy no-referrer makes browsers
// say so, and send no Referer either), but a sandboxed frame on another site
// sends it too: it is accepted only with Sec-Fetch-Site: same-origin, so a
// browser without Fetch Metadata (Safari before 16.4) cannot be signed in to
// someone else's account from another site (login CSRF); such a browser
// signs in with a JSON POST or after updating. A request without Origin (curl,
// scripts) is let through. Signing in again ends the session the browser
// had (its mod_session cookie), so one browser holds one session. The session
// cookie is SameSite=Strict besides, so a session opened from another site
// is not sent along with that site's requests. Sign-out needs the session's
// CSRF token like every other POST.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-errors.js';
import { hashToken } from '../tokens.js';
import type { ModeratorTokenLookup, TokenRole } from '../authenticate.js';
import { requireSession, SESSION_COOKIE, sessionIdHash, SIGN_IN_PATH } from './session-auth.js';

/** What sign-in, sign-out and the session check need from the database (PostgresStore implements it). */
export interface SessionStore extends ModeratorTokenLookup {
  createConsoleSession(session: { idHash: string; tokenHash: string; name: string; csrfToken: string; createdAt: Date; expiresAt: Date }): Promise<void>;
  consoleSessionForHash(idHash: string, now: Date): Promise<{ name: string; role: TokenRole; csrfToken: string; expiresAt: Date } | null>;
  endConsoleSession(idHash: string, now: Date): Promise<void>;
}

export interface SignInRouteOptions {
  store: SessionStore;
  clock: () => Date;
  /** console/, where sign-in.html is. */
  dir: string;
  sessionHours: number;
  cookieSecure: boolean;
}

const MESSAGE_SLOT = '<!-- sign-in-message -->';
const FALLBACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>Sign in - mod console</title></head>
<body><main><h1>Sign in</h1><form method="post" action="/console/sign-in">${MESSAGE_SLOT}<label for="token">Moderator token</label> <input id="token" name="token" type="password" autocomplete="off" required /> <button type="submit">Sign in</button></form></main></body></html>
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Whether the request came over TLS: directly, through the load balancer (x-forwarded-proto), or CONSOLE_COOKIE_SECURE says to assume so. */
function overTls(request: FastifyRequest, forced: boolean): boolean {
  if (forced || request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

const NULL_ORIGIN = 'Origin: null without Sec-Fetch-Site: same-origin';

/** A cross-site form post: Sec-Fetch-Site not same-origin, or an Origin whose host is not the one asked; what it came from. */
function foreignOrigin(request: FastifyRequest): string | null {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  if (origin === 'null') return site === 'same-origin' ? null : NULL_ORIGIN;
  // Both as URLs, so a default port written out (http://host:80) compares equal to none.
  try {
    const from = new URL(origin);
    return from.host === new URL(`${from.protocol}//${request.headers.host ?? ''}`).host ? null : origin;
  } catch {
    return origin;
  }
}

const wantsJson = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');

export const signInRoutes: FastifyPluginAsync<SignInRouteOptions> = async (app, options) => {
  const { store, clock, dir } = options;

  const signInPage = async (reply: FastifyReply, status: number, message?: string) => {
    const html = await readFile(path.join(dir, 'sign-in.html'), 'utf8').catch(() => FALLBACK_PAGE);
    const slot = message === undefined ? '' : `<p class="form-error" id="sign-in-message" role="alert">${escapeHtml(message)}</p>`;
    return reply.status(status).type('text/html; charset=utf-8').send(html.replace(MESSAGE_SLOT, slot));
  };

  app.get('/sign-in', async (_request, reply) => signInPage(reply, 200));

  app.post('/sign-in', async (request, reply) => {
    const json = wantsJson(request);
    const refuse = (status: 400 | 401 | 403, code: 'INVALID_REQUEST' | 'UNAUTHORIZED' | 'CSRF_REJECTED', message: string) => {
      if (json) throw new HttpError(code, message);
      return signInPage(reply, status, message);
    };
    const foreign = foreignOrigin(request);
    if (foreign === NULL_ORIGIN)
      return refuse(
        403,
        'CSRF_REJECTED',
        `this browser does not say where the sign-in came from (${NULL_ORIGIN}): it may have been sent from another site, so it is refused. Sign in from /console/sign-in with a current browser (Chrome, Edge, Firefox, Safari 16.4 or later)`,
      );
    if (foreign !== null) return refuse(403, 'CSRF_REJECTED', `the sign-in was sent from another site (${foreign.slice(0, 100)}), not this console: open /console/sign-in here and sign in from it`);
    const body = request.body;
    const token = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).token : undefined;
    if (typeof token !== 'string' || token.trim() === '') return refuse(400, 'INVALID_REQUEST', 'enter your moderator token (mod service token create --name <name> makes one)');
    const tokenHash = hashToken(token.trim());
    const owner = await store.moderatorTokenForHash(tokenHash);
    if (!owner) return refuse(401, 'UNAUTHORIZED', 'that token is not valid here: it was revoked, replaced, or made for another environment. Ask for a new one (mod service token create --env <env> --name <name>)');

    const id = randomBytes(32).toString('base64url');
    const now = clock();
    const expiresAt = new Date(now.getTime() + options.sessionHours * 3_600_000);
    const csrfToken = randomBytes(32).toString('base64url');
    // The browser's previous session (if any) ends: a sign-in replaces it.
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) await store.endConsoleSession(sessionIdHash(previous), now);
    await store.createConsoleSession({ idHash: sessionIdHash(id), tokenHash, name: owner.name, csrfToken, createdAt: now, expiresAt });
    void reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: '/console', secure: overTls(request, options.cookieSecure), maxAge: options.sessionHours * 3600, expires: expiresAt });
    if (json) return { name: owner.name, role: owner.role, csrfToken, expiresAt: expiresAt.toISOString() };
    return reply.redirect('/console', 303);
  });

  app.post('/sign-out', { preHandler: requireSession(['moderator', 'viewer']) }, async (request, reply) => {
    await store.endConsoleSession(request.consoleSession!.id, clock());
    void reply.clearCookie(SESSION_COOKIE, { path: '/console', httpOnly: true, sameSite: 'strict', secure: overTls(request, options.cookieSecure) });
    return reply.redirect(SIGN_IN_PATH, 303);
  });
};
