// The console's defences in a real browser against the real service (issue
// 15): a viewer can neither open the queue nor label (in the UI, through the
// console API with a valid CSRF token, nor through /v1 with its bearer
// token); a state-changing request without the session's CSRF token, or
// with a wrong one, is refused and changes nothing; every console response
// carries the security headers and no page breaks its CSP; the session
// cookie is HttpOnly, SameSite=Strict, scoped to /console, and Secure when
// the request came over TLS (x-forwarded-proto from the load balancer); the
// JSON API never takes the cookie instead of a bearer token.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useConsoleHarness } from '../support/console-browser.js';

/** A fetch from inside the page (same origin, the session cookie sent), answering { status, body }. */
function pageFetch(page: Page, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return page.evaluate(
    async ({ path, init }) => {
      const res = await fetch(path, { ...init, credentials: 'same-origin' });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: body as { error?: { code: string; message: string } } };
    },
    { path, init },
  );
}

async function csrfToken(page: Page): Promise<string> {
  const session = await pageFetch(page, '/console/api/session');
  expect(session.status).toBe(200);
  return (session.body as unknown as { csrfToken: string }).csrfToken;
}

describe('console security', () => {
  let reviewIds: string[] = [];
  const harness = useConsoleHarness({}, async (h) => {
    reviewIds = (await h.seedReviews(3)).map((p) => p.id);
    await h.createToken('alice');
    await h.createToken('sato', 'viewer');
  });

  it('a viewer cannot label: no queue in the UI, 403 FORBIDDEN from the console API and from /v1', async () => {
    const h = harness();
    const { context, page } = await h.newViewerContext('sato');
    // Signed in, a viewer lands on the dashboard, whose header offers no queue.
    await page.goto(h.url('/console'));
    await page.waitForURL((u) => u.pathname === '/console/dashboard');
    await page.locator('body[data-loaded]').waitFor();
    expect(await page.locator('header nav a').allInnerTexts()).toEqual(['Dashboard']);
    // The queue page itself is refused and shows no post.
    const queue = await page.goto(h.url('/console/queue'));
    expect(new URL(page.url()).pathname === '/console/queue' ? queue!.status() : 403).toBe(403);
    expect(await page.locator('.item').count()).toBe(0);
    // The API refuses a viewer's claim and label even with a valid CSRF token.
    const token = await csrfToken(page);
    const claim = await pageFetch(page, '/console/api/reviews?limit=5');
    expect(claim.status).toBe(403);
    expect(claim.body.error?.code).toBe('FORBIDDEN');
    const label = await pageFetch(page, `/console/api/reviews/${reviewIds[0]}/decision`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ label: 'ok' }) });
    expect(label.status).toBe(403);
    expect(label.body.error?.code).toBe('FORBIDDEN');
    const bulk = await pageFetch(page, '/console/api/reviews/bulk', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify({ ids: reviewIds, label: 'ok' }) });
    expect(bulk.status).toBe(403);
    // And the viewer's bearer token on the JSON API.
    const v1 = await h.getJson<{ error: { code: string; message: string } }>('/v1/reviews', h.tokens.sato!);
    expect(v1.status).toBe(403);
    expect(v1.body.error.code).toBe('FORBIDDEN');
    expect(v1.body.error.message).toMatch(/viewer/);
    // Nothing was claimed or labelled.
    const rows = await h.db.admin('SELECT count(*)::int AS claimed, (SELECT count(*)::int FROM review_labels) AS labels FROM reviews WHERE claimed_by IS NOT NULL');
    expect(rows.rows[0]).toEqual({ claimed: 0, labels: 0 });
    await context.close();
  });

  it('refuses a state-changing request without the session CSRF token, or with a wrong one', async () => {
    const h = harness();
    const { context, page } = await h.newModeratorContext('bob');
    await h.seedReviews(1);
    await page.goto(h.url('/console/dashboard'));
    const claim = await pageFetch(page, '/console/api/reviews?limit=1');
    expect(claim.status, JSON.stringify(claim.body)).toBe(200);
    const id = (claim.body as unknown as { items: { id: string }[] }).items[0]!.id;
    const decide = (headers: Record<string, string>) => pageFetch(page, `/console/api/reviews/${encodeURIComponent(id)}/decision`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ label: 'ok' }) });
    for (const headers of [{}, { 'x-csrf-token': 'not-the-token' }] as Record<string, string>[]) {
      const res = await decide(headers);
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe('CSRF_REJECTED');
    }
    // A form post without _csrf (what a cross-site form would send) is refused too, and the session survives it.
    const signOut = await pageFetch(page, '/console/sign-out', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(signOut.status).toBe(403);
    expect((await pageFetch(page, '/console/api/session')).status).toBe(200);
    // The post was not labelled: with the token, the same label is recorded.
    const ok = await decide({ 'x-csrf-token': await csrfToken(page) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await context.close();
  });

  it('sends the security headers on every console response, and no page breaks its CSP', async () => {
    const h = harness();
    const { context, page } = await h.newModeratorContext('alice');
    await h.seedReviews(1);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    for (const path of ['/console/dashboard', '/console/queue', '/console/api/session', '/console/api/stats']) {
      const res = await page.goto(h.url(path));
      expect(res!.status(), path).toBe(200);
      const headers = res!.headers();
      const csp = headers['content-security-policy'] ?? '';
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) expect(csp, `${path}: ${csp}`).toContain(directive);
      expect(headers['x-content-type-options'], path).toBe('nosniff');
      expect(headers['referrer-policy'], path).toBe('no-referrer');
      expect(headers['cache-control'], path).toContain('no-store');
      if (path === '/console/dashboard') await page.locator('body[data-loaded]').waitFor();
      if (path === '/console/queue') await page.locator('#queue .item').first().waitFor();
    }
    const signInPage = await page.goto(h.url('/console/sign-in'));
    expect(signInPage!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(violations).toEqual([]);
    // The JSON API is not the console: no console CSP there.
    const health = await fetch(h.url('/healthz'));
    expect(health.headers.get('content-security-policy')).toBeNull();
    await context.close();
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/console, Secure behind TLS; /v1 ignores it', async () => {
    const h = harness();
    const { context } = await h.newModeratorContext('alice');
    const cookie = (await context.cookies()).find((c) => c.name === 'mod_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    // Behind the load balancer the request arrives over HTTP with x-forwarded-proto: https.
    const res = await fetch(h.url('/console/sign-in'), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https', origin: h.baseUrl }, body: `token=${encodeURIComponent(h.tokens.alice!)}` });
    expect(res.status).toBe(303);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('mod_session='));
    expect(setCookie).toMatch(/;\s*Secure/i);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    // The cookie alone is no bearer token.
    const v1 = await fetch(h.url('/v1/reviews'), { headers: { cookie: `mod_session=${cookie!.value}` } });
    expect(v1.status).toBe(401);
    await context.close();
  });
});
