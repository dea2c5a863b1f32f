// The moderator console's sign-in, sessions and pages through the real app
// (inject) on real PostgreSQL (issue 15): a token becomes a session cookie
// (HttpOnly, SameSite=Strict, Path=/console, Secure over TLS) whose id is
// stored only hashed; the session ends when it expires, is signed out, or
// its token is revoked or replaced; the sign-in refuses cross-site posts;
// pages redirect to the sign-in without a session and are refused to the
// wrong role; every console answer has the security headers and no-store,
// while the JSON API's answers are unchanged and never take the cookie;
// viewer tokens are refused by the review queue and label export.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { sessionIdHash } from '../../src/service/console/session-auth.js';
import { createTestStore } from '../store/test-database.js';
import { consoleCall, createToken, signIn, textModerator } from './console-support.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('console sessions on postgres', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let now = new Date('2026-05-01T09:00:00Z');
  const clock = () => now;
  let app: ReturnType<typeof buildApp>;
  let secureApp: ReturnType<typeof buildApp>;
  let bare: ReturnType<typeof buildApp>;
  let bareDir: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestStore('postgres');
    app = buildApp({ store: env.store, moderator: textModerator, clock });
    secureApp = buildApp({ store: env.store, moderator: textModerator, clock, console: { cookieSecure: true, sessionHours: 2 } });
    // A console directory with no pages but a dotfile and a nested file: what is served from it and what is not.
    bareDir = await mkdtemp(path.join(tmpdir(), 'mod-console-'));
    await writeFile(path.join(bareDir, '.env'), 'SECRET=1');
    await writeFile(path.join(bareDir, 'app.js'), 'export {};');
    bare = buildApp({ store: env.store, moderator: textModerator, clock, console: { dir: bareDir } });
    await Promise.all([app.ready(), secureApp.ready(), bare.ready()]);
    tokens.alice = await createToken(env.store, 'alice', 'moderator', now);
    tokens.sato = await createToken(env.store, 'sato', 'viewer', now);
  });
  afterAll(async () => {
    for (const a of [app, secureApp, bare]) await a?.close();
    await env?.close();
    if (bareDir) await rm(bareDir, { recursive: true, force: true });
  });

  it('sends pages to the sign-in without a session, and the API answers 401 in the JSON shape', async () => {
    for (const url of ['/console', '/console/', '/console/queue', '/console/dashboard']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe('/console/sign-in');
    }
    const api = await app.inject({ method: 'GET', url: '/console/api/session' });
    expect(api.statusCode).toBe(401);
    expect(api.json().error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('/console/sign-in') });
    const page = await app.inject({ method: 'GET', url: '/console/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('name="token"');
    expect(page.body).not.toContain('sign-in-message');
  });

  it('signs in with the form: 303 to /console, the cookie HttpOnly, SameSite=Strict, Path=/console, its id stored only hashed', async () => {
    const res = await app.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload: form({ token: tokens.alice! }) });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/console');
    const cookie = res.cookies.find((c) => c.name === 'mod_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', maxAge: 8 * 3600 });
    expect(cookie.secure).toBeUndefined();
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { rows } = await env.db.admin('SELECT id_hash, moderator, expires_at FROM console_sessions WHERE moderator = $1', ['alice']);
    expect(rows.map((r) => r.id_hash)).toContain(createHash('sha256').update(cookie.value).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(cookie.value);
    // The landing page by role.
    const landing = await app.inject({ method: 'GET', url: '/console', cookies: { mod_session: cookie.value } });
    expect(landing.headers.location).toBe('/console/queue');
    const session = await app.inject({ method: 'GET', url: '/console/api/session', cookies: { mod_session: cookie.value } });
    expect(session.json()).toEqual({ name: 'alice', role: 'moderator', csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: new Date(now.getTime() + 8 * 3_600_000).toISOString() });
  });

  it('marks the cookie Secure behind TLS (x-forwarded-proto) or with CONSOLE_COOKIE_SECURE, and lives CONSOLE_SESSION_HOURS', async () => {
    const proxied = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { ...FORM, 'x-forwarded-proto': 'https' }, payload: form({ token: tokens.alice! }) });
    expect(proxied.cookies.find((c) => c.name === 'mod_session')?.secure).toBe(true);
    const forced = await secureApp.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload: form({ token: tokens.alice! }) });
    expect(forced.cookies.find((c) => c.name === 'mod_session')).toMatchObject({ secure: true, maxAge: 2 * 3600 });
  });

  it('refuses a wrong or empty token with the sign-in page again (never echoing it), and a cross-site post', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload: form({ token: 'modtok_guess-<b>' }) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toContain('text/html');
    expect(wrong.body).toMatch(/role="alert">that token is not valid here/);
    expect(wrong.body).not.toContain('guess');
    expect(wrong.cookies).toEqual([]);
    const empty = await app.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload: form({ token: ' ' }) });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('enter your moderator token');
    const json = await app.inject({ method: 'POST', url: '/console/sign-in', payload: { token: 'nope' } });
    expect(json.statusCode).toBe(401);
    expect(json.json().error.code).toBe('UNAUTHORIZED');
    // Origin null (a sandboxed frame) without Fetch Metadata's same-origin: a browser that cannot say where the form came from.
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'null' }, { origin: 'null' }]) {
      const res = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { ...FORM, ...headers }, payload: form({ token: tokens.alice! }) });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.body).toMatch(headers.origin === 'null' && !('sec-fetch-site' in headers) ? /may have been sent from another site.*current browser/ : /sent from another site/);
      expect(res.cookies).toEqual([]);
    }
    // The console's own form: same origin (Origin null under Referrer-Policy no-referrer, or its own host).
    for (const headers of [
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      { origin: 'http://localhost:80', host: 'localhost:80' },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { ...FORM, ...headers }, payload: form({ token: tokens.alice! }) });
      expect(res.statusCode, JSON.stringify(headers)).toBe(303);
    }
  });

  it('gives a viewer the dashboard only: the queue page is 403, the landing page the dashboard', async () => {
    const viewer = await signIn(app, tokens.sato!);
    expect(viewer.role).toBe('viewer');
    const headers = { cookie: viewer.cookie };
    expect((await app.inject({ method: 'GET', url: '/console', headers })).headers.location).toBe('/console/dashboard');
    const queue = await app.inject({ method: 'GET', url: '/console/queue', headers });
    expect(queue.statusCode).toBe(403);
    expect(queue.body).toContain('Go to the dashboard');
    expect(queue.body).not.toContain('queue.js');
    const dashboard = await app.inject({ method: 'GET', url: '/console/dashboard', headers });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('/console/assets/dashboard.js');
  });

  it('ends a session when it expires, when its token is revoked or replaced, and at sign-out (which needs the CSRF token)', async () => {
    const check = (cookie: string) => app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie } });
    const bob = await createToken(env.store, 'bob', 'moderator', now);
    // Signing in again from the same browser (its cookie sent along) ends the session it had.
    const replaced = await signIn(app, bob);
    const again = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { cookie: replaced.cookie }, payload: { token: bob } });
    expect(again.statusCode, again.body).toBe(200);
    expect((await check(replaced.cookie)).statusCode).toBe(401);
    const first = await signIn(app, bob);
    const second = await signIn(app, bob);
    expect((await check(first.cookie)).statusCode).toBe(200);

    // Sign-out without the CSRF token is refused and ends nothing; with the form field it ends that session only.
    const refused = await app.inject({ method: 'POST', url: '/console/sign-out', headers: { ...FORM, cookie: first.cookie }, payload: '' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('CSRF_REJECTED');
    expect((await check(first.cookie)).statusCode).toBe(200);
    const out = await app.inject({ method: 'POST', url: '/console/sign-out', headers: { ...FORM, cookie: first.cookie }, payload: form({ _csrf: first.csrf }) });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/console/sign-in');
    expect(out.cookies.find((c) => c.name === 'mod_session')).toMatchObject({ value: '', path: '/console' });
    expect((await check(first.cookie)).statusCode).toBe(401);
    expect((await check(second.cookie)).statusCode).toBe(200);
    // The signed-out row expires at the sign-out, so pruning reads console_sessions_expires_at alone.
    const ended = (await env.db.admin('SELECT expires_at, ended_at FROM console_sessions WHERE id_hash = $1', [sessionIdHash(first.cookie.split('=')[1]!)])).rows[0];
    expect([ended.expires_at.toISOString(), ended.ended_at.toISOString()]).toEqual([now.toISOString(), now.toISOString()]);

    // Replacing the token (token create again) ends its sessions; so does revoking it.
    const rotated = await createToken(env.store, 'bob', 'moderator', now);
    expect((await check(second.cookie)).statusCode).toBe(401);
    const third = await signIn(app, rotated);
    await env.store.revokeModeratorToken('bob', now);
    expect((await check(third.cookie)).statusCode).toBe(401);
    const page = await app.inject({ method: 'GET', url: '/console/queue', headers: { cookie: third.cookie } });
    expect(page.headers.location).toBe('/console/sign-in');

    // Expiry: 8 hours by default.
    const carol = await signIn(app, await createToken(env.store, 'carol', 'moderator', now));
    now = new Date(now.getTime() + 8 * 3_600_000 - 1000);
    expect((await check(carol.cookie)).statusCode).toBe(200);
    now = new Date(now.getTime() + 1000);
    expect((await check(carol.cookie)).statusCode).toBe(401);
    // A role change applies at the next request.
    const dana = await signIn(app, await createToken(env.store, 'dana', 'moderator', now));
    await env.db.admin("UPDATE moderator_tokens SET role = 'viewer' WHERE name = 'dana'");
    expect((await consoleCall(app, dana, 'GET', '/console/api/reviews')).statusCode).toBe(403);
  });

  it('puts the security headers and no-store on every console answer, and leaves the JSON API as it was', async () => {
    const alice = await signIn(app, tokens.alice!);
    for (const url of ['/console/sign-in', '/console/queue', '/console/api/session', '/console/assets/console.css', '/console/assets/vendor/uplot.esm.js', '/console/nothing-here']) {
      const res = await app.inject({ method: 'GET', url, headers: { cookie: alice.cookie } });
      const csp = String(res.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) expect(csp, url).toContain(directive);
      expect(csp, url).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      if (!url.includes('vendor')) expect(res.headers['cache-control'], url).toBe('no-store');
    }
    for (const [method, url] of [
      ['GET', '/healthz'],
      ['POST', '/v1/moderate'],
      ['GET', '/v1/reviews'],
    ] as const) {
      const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: { text: 'approve hello' } } : {}) });
      expect(res.headers['content-security-policy'], url).toBeUndefined();
      expect(res.headers['x-content-type-options'], url).toBeUndefined();
    }
    // The cookie is no bearer token.
    expect((await app.inject({ method: 'GET', url: '/v1/reviews', headers: { cookie: alice.cookie } })).statusCode).toBe(401);
  });

  it('serves console/ files under /console/assets/ without listings, dotfiles or escapes; a missing page is 404', async () => {
    const alice = await signIn(bare, tokens.alice!);
    expect((await bare.inject({ method: 'GET', url: '/console/assets/app.js' })).statusCode).toBe(200);
    // A directory is never listed.
    const listing = await bare.inject({ method: 'GET', url: '/console/assets/' });
    expect([403, 404]).toContain(listing.statusCode);
    expect(listing.body).not.toContain('app.js');
    for (const url of ['/console/assets/.env', '/console/assets/%2e%2e/package.json', '/console/assets/../package.json', '/console/assets/nope.js']) {
      const res = await bare.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('SECRET');
    }
    const page = await bare.inject({ method: 'GET', url: '/console/queue', headers: { cookie: alice.cookie } });
    expect(page.statusCode).toBe(404);
    expect(page.json().error.code).toBe('NOT_FOUND');
    // Without console/sign-in.html, a plain built-in form still signs in.
    const signInPage = await bare.inject({ method: 'GET', url: '/console/sign-in' });
    expect(signInPage.statusCode).toBe(200);
    expect(signInPage.body).toContain('name="token"');
  });

  it('works over real HTTP on loopback: form sign-in, the page, a labelled post with the CSRF header, sign-out', async () => {
    const served = buildApp({ store: env.store, moderator: textModerator, clock });
    try {
      await served.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(served.server.address() as { port: number }).port}`;
      const signInRes = await fetch(`${base}/console/sign-in`, { method: 'POST', redirect: 'manual', headers: { ...FORM, origin: base }, body: form({ token: tokens.alice! }) });
      expect(signInRes.status).toBe(303);
      const cookie = signInRes.headers
        .getSetCookie()
        .find((c) => c.startsWith('mod_session='))!
        .split(';')[0]!;
      const page = await fetch(`${base}/console/queue`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const { csrfToken } = (await (await fetch(`${base}/console/api/session`, { headers: { cookie } })).json()) as { csrfToken: string };
      await fetch(`${base}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'http-1', text: 'review spam' }) });
      const claimed = (await (await fetch(`${base}/console/api/reviews`, { headers: { cookie } })).json()) as { items: { id: string }[] };
      expect(claimed.items.map((i) => i.id)).toContain('http-1');
      const decided = await fetch(`${base}/console/api/reviews/http-1/decision`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'spam' }) });
      expect(decided.status, await decided.clone().text()).toBe(200);
      const out = await fetch(`${base}/console/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, ...FORM }, body: form({ _csrf: csrfToken }) });
      expect(out.status).toBe(303);
      expect((await fetch(`${base}/console/api/session`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await served.close();
    }
  });

  it('refuses viewer tokens on the review queue and the label export (403 FORBIDDEN), not on the stats or a post', async () => {
    const viewer = { authorization: `Bearer ${tokens.sato}` };
    const posted = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id: 'v1', text: 'review spam' } });
    expect(posted.statusCode).toBe(200);
    for (const [method, url] of [
      ['GET', '/v1/reviews'],
      ['GET', '/v1/reviews/agreement'],
      ['POST', '/v1/reviews/v1/decision'],
      ['GET', '/v1/labels/export'],
      // A post's full record (text, user id) is for moderators: viewers see aggregates only.
      ['GET', '/v1/posts/v1'],
    ] as const) {
      const res = await app.inject({ method, url, headers: viewer, ...(method === 'POST' ? { payload: { label: 'ok' } } : {}) });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('viewer token cannot') });
    }
    expect((await app.inject({ method: 'GET', url: '/v1/stats', headers: viewer })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/posts/v1', headers: { authorization: `Bearer ${tokens.alice}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/reviews', headers: { authorization: `Bearer ${tokens.alice}` } })).statusCode).toBe(200);
  });
});
