// The moderator console (issue 15): one Fastify plugin, registered by
// app.ts at prefix /console, holding everything the console serves: the
// sign-in and sign-out routes, the session JSON, the pages (HTML files of
// the top-level console/ directory, served as they are, behind the session
// check), their assets (/console/assets/* from console/, uPlot from
// node_modules), the review API (console-review-routes.ts) and the stats
// (routes/stats.ts). Its cookie and form parsers and its security headers
// (@fastify/helmet: a strict CSP, nosniff, no referrer) are registered in
// this plugin's scope only, so the JSON API's answers do not change, and
// the JSON API never reads the session cookie.
//
// Cache-Control: no-store on everything the console answers (pages and API
// hold a person's session and the posts under review; the assets are small
// and change with each deploy).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { handleNotFound, HttpError } from '../http-errors.js';
import { consoleStatsRoutes, type StatsSource } from '../routes/stats.js';
import { consoleReviewRoutes, type ConsoleReviewOptions } from './console-review-routes.js';
import { requireSession, SESSION_COOKIE, sessionIdHash } from './session-auth.js';
import { signInRoutes, type SessionStore } from './sign-in-routes.js';
import { vendorAssetRoutes } from './vendor-assets.js';

/** console/ at the package root (this file is src/service/console/ or dist/service/console/). */
export const defaultConsoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'console');

export interface ConsolePluginOptions extends Omit<ConsoleReviewOptions, 'store'> {
  store: SessionStore & ConsoleReviewOptions['store'] & StatsSource;
  /** CONSOLE_SESSION_HOURS (default 8). */
  sessionHours?: number;
  /** CONSOLE_COOKIE_SECURE: Secure cookies even when the request did not come over TLS. */
  cookieSecure?: boolean;
  /** Where the pages and assets are (default: console/ of the package). */
  dir?: string;
}

export const CONSOLE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

/** The pages: path under /console -> file in console/ and who may open it. */
const PAGES = [
  { route: '/queue', file: 'queue.html', roles: ['moderator'] as const },
  { route: '/dashboard', file: 'dashboard.html', roles: ['moderator', 'viewer'] as const },
];

/** Sends console/<file> as HTML, or 404 NOT_FOUND when it is not there (a build without that page). */
export async function sendPage(reply: FastifyReply, dir: string, file: string): Promise<FastifyReply> {
  let html: string;
  try {
    html = await readFile(path.join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new HttpError('NOT_FOUND', `the console page ${file} is not installed in ${dir}`);
    throw error;
  }
  return reply.type('text/html; charset=utf-8').send(html);
}

export const consolePlugin: FastifyPluginAsync<ConsolePluginOptions> = async (app, options) => {
  const dir = options.dir ?? defaultConsoleDir;
  const { store, clock } = options;

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    referrerPolicy: { policy: 'no-referrer' },
    // Over plain HTTP (mod serve, local instances) HSTS is meaningless; behind the ALB it is the load balancer's to send.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });
  // The console's own 404 (same shape as the API's), so that it gets the console's headers too.
  app.setNotFoundHandler(handleNotFound);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);

  app.decorate('consoleSessions', async (request) => {
    const id = request.cookies[SESSION_COOKIE];
    if (typeof id !== 'string' || id === '' || id.length > 200) return null;
    const idHash = sessionIdHash(id);
    const session = await store.consoleSessionForHash(idHash, clock());
    return session ? { id: idHash, ...session } : null;
  });

  await app.register(signInRoutes, { store, clock, dir, sessionHours: options.sessionHours ?? 8, cookieSecure: options.cookieSecure ?? false });

  app.get('/', async (request, reply) => {
    const session = await app.consoleSessions!(request);
    if (!session) return reply.redirect('/console/sign-in', 303);
    return reply.redirect(session.role === 'moderator' ? '/console/queue' : '/console/dashboard', 303);
  });
  for (const page of PAGES) {
    app.get(page.route, { preHandler: requireSession(page.roles) }, async (_request, reply) => sendPage(reply, dir, page.file));
  }
  app.get('/api/session', { preHandler: requireSession(['moderator', 'viewer']) }, async (request) => {
    const session = request.consoleSession!;
    return { name: session.name, role: session.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
  });

  await app.register(vendorAssetRoutes);
  await app.register(fastifyStatic, { root: dir, prefix: '/assets/', index: false, list: false, dotfiles: 'ignore', cacheControl: false, etag: true, lastModified: true, decorateReply: false });
  await app.register(consoleReviewRoutes, { store, clock, claimMs: options.claimMs, order: options.order, maxWaitMs: options.maxWaitMs, secondOpinionShare: options.secondOpinionShare });
  await app.register(consoleStatsRoutes, { store, clock, session: requireSession(['moderator', 'viewer']) });
};
