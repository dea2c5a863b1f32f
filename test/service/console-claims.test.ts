// The console's claim holds one batch per moderator (issue 15, review H1/M2)
// through the real app (inject) on real PostgreSQL and PGlite: a filter
// change frees the posts the page dropped (another moderator gets them at
// once), a re-claim renews the posts still shown and adds new ones only up
// to the limit, and POST /console/api/reviews/release (CSRF-protected)
// frees a moderator's own pending posts only.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { createTestStore, type Backend } from '../store/test-database.js';
import { consoleCall, createToken, signIn, textModerator, type Signed } from './console-support.js';

describe.each<Backend>(['postgres', 'pglite'])('console claims on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let now = new Date('2026-04-01T00:00:00Z');
  const clock = () => now;
  let app: ReturnType<typeof buildApp>;
  const who: Record<string, Signed> = {};
  let nextId = 1;

  const moderate = async (text: string) => {
    const id = `c${String(nextId++).padStart(3, '0')}`;
    const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id, text } });
    expect(res.statusCode, res.body).toBe(200);
    return id;
  };
  const claim = async (as: Signed, query = '') => {
    const res = await consoleCall(app, as, 'GET', `/console/api/reviews${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { claimedUntil: string; renewed: string[]; items: { id: string }[] };
  };
  const heldBy = async (name: string) => (await env.db.admin('SELECT post_id FROM reviews WHERE claimed_by = $1 AND state = $2 ORDER BY post_id', [name, 'pending'])).rows.map((r: { post_id: string }) => r.post_id);

  beforeAll(async () => {
    env = await createTestStore(backend);
    app = buildApp({ store: env.store, moderator: textModerator, clock, reviewClaimSeconds: 600, reviewQueue: { maxWaitSeconds: 3600, secondOpinionShare: 0 }, console: { sessionHours: 720 } });
    await app.ready();
    for (const name of ['alice', 'bob']) who[name] = await signIn(app, await createToken(env.store, name, 'moderator', now));
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });
  beforeEach(async () => {
    await env.db.admin('DELETE FROM review_labels; DELETE FROM reviews; DELETE FROM posts');
    now = new Date(now.getTime() + 3_600_000);
  });

  it('frees the posts a filter change dropped: another moderator claims them at once', async () => {
    const spam = [await moderate('review spam m0.10'), await moderate('review spam m0.20')];
    const scam = [await moderate('review scam m0.30')];
    expect((await claim(who.alice!, '?category=spam')).items.map((i) => i.id).sort()).toEqual(spam);
    // alice switches to scam (the page sends no held posts): her spam claims end in the same transaction.
    expect((await claim(who.alice!, '?category=scam')).items.map((i) => i.id)).toEqual(scam);
    expect(await heldBy('alice')).toEqual(scam);
    expect((await claim(who.bob!, '?category=spam')).items.map((i) => i.id).sort()).toEqual(spam);
  });

  it('renews the held posts on a re-claim and claims only the difference up to the limit', async () => {
    // Three posts with large margins, then better-ranked ones arrive: a re-claim must not grow past the limit.
    const first = [await moderate('review spam m0.40'), await moderate('review spam m0.41'), await moderate('review spam m0.42')];
    const one = await claim(who.alice!, '?limit=3');
    expect(one.items.map((i) => i.id).sort()).toEqual(first);
    const better = [await moderate('review spam m0.01'), await moderate('review spam m0.02'), await moderate('review spam m0.03')];
    now = new Date(now.getTime() + 60_000);
    // The page labelled nothing and holds all three: they are renewed, nothing new comes.
    const held = first.map((id) => `&held=${id}`).join('');
    const two = await claim(who.alice!, `?limit=3${held}`);
    expect(two.renewed.sort()).toEqual(first);
    expect(two.items).toEqual([]);
    expect(two.claimedUntil).toBe(new Date(now.getTime() + 600_000).toISOString());
    const { rows } = await env.db.admin('SELECT claimed_until FROM reviews WHERE post_id = ANY($1::text[])', [first]);
    expect(rows.map((r: { claimed_until: Date }) => r.claimed_until.toISOString())).toEqual(first.map(() => two.claimedUntil));
    // One labelled: the page holds two, one new post (the best-ranked) fills the batch; the others stay free.
    expect((await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${first[0]}/decision`, { label: 'ok' })).statusCode).toBe(200);
    const three = await claim(who.alice!, `?limit=3&held=${first[1]}&held=${first[2]}`);
    expect(three.renewed.sort()).toEqual([first[1], first[2]]);
    expect(three.items.map((i) => i.id)).toEqual([better[0]]);
    expect(await heldBy('alice')).toEqual([first[1], first[2], better[0]].sort());
    expect((await claim(who.bob!, '?limit=10')).items.map((i) => i.id).sort()).toEqual([better[1], better[2]]);
  });

  it('does not renew a held post that another moderator took after the claim ended, nor one already labelled', async () => {
    const [a, b] = [await moderate('review spam m0.10'), await moderate('review spam m0.20')];
    await claim(who.alice!, '?limit=2');
    now = new Date(now.getTime() + 601_000);
    expect((await claim(who.bob!, '?limit=1')).items.map((i) => i.id)).toEqual([a]);
    const again = await claim(who.alice!, `?limit=2&held=${a}&held=${b}`);
    expect(again.renewed).toEqual([b]);
    expect(again.items).toEqual([]);
    expect(await heldBy('bob')).toEqual([a]);
  });

  it('releases only its own pending posts, and needs the CSRF token', async () => {
    const [a, b, c] = [await moderate('review spam m0.10'), await moderate('review spam m0.20'), await moderate('review spam m0.30')];
    await claim(who.alice!, '?limit=2');
    await claim(who.bob!, '?limit=1');
    const refused = await app.inject({ method: 'POST', url: '/console/api/reviews/release', headers: { cookie: who.alice!.cookie }, payload: { ids: [a] } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('CSRF_REJECTED');
    expect(await heldBy('alice')).toEqual([a, b]);
    const res = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/release', { ids: [a, c, 'no-such-post'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ released: [a] });
    expect(await heldBy('alice')).toEqual([b]);
    expect(await heldBy('bob')).toEqual([c]);
    // A release for an older claim (a page left after a reload claimed the post again) leaves the newer claim alone.
    const old = new Date(now.getTime() + 600_000).toISOString();
    now = new Date(now.getTime() + 60_000);
    expect((await claim(who.alice!, `?limit=2&held=${b}`)).renewed).toEqual([b]);
    const stale = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/release', { ids: [b], claimedUntil: old });
    expect(stale.json()).toEqual({ released: [] });
    expect(await heldBy('alice')).toContain(b);
    const empty = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/release', { ids: [] });
    expect(empty.statusCode).toBe(400);
  });
});
