// The console's review API through the real app (inject) on real
// PostgreSQL and PGlite (issue 15): the claim is the /v1 queue's, narrowed in SQL by
// category and decision (two moderators never share a post, the order
// still applies among the filtered ones); a label has the /v1 refusals;
// undo takes back only the moderator's own latest label while its claim
// lasts, and the label export, the agreement numbers and a second
// moderator never see an undone label; bulk labels each post as the single
// route would; viewers are refused; every POST needs the CSRF token.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { createTestStore, type Backend } from '../store/test-database.js';
import { consoleCall, createToken, signIn, textModerator, type Signed } from './console-support.js';

describe.each<Backend>(['postgres', 'pglite'])('console review API on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let now = new Date('2026-04-01T00:00:00Z');
  const clock = () => now;
  let app: ReturnType<typeof buildApp>;
  let twoOpinions: ReturnType<typeof buildApp>;
  const who: Record<string, Signed> = {};
  const tokens: Record<string, string> = {};
  let nextId = 1;

  const moderate = async (text: string) => {
    const id = `p${String(nextId++).padStart(3, '0')}`;
    const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id, text } });
    expect(res.statusCode, res.body).toBe(200);
    return id;
  };
  const claim = async (as: Signed, query = '', on = app) => {
    const res = await consoleCall(on, as, 'GET', `/console/api/reviews${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { moderator: string; claimedUntil: string; items: { id: string; category: string | null; decision: string; claimedUntil: string; reason: string }[] };
  };
  const review = async (id: string) => (await env.db.admin('SELECT state, label, category, claimed_by, claimed_until, decided_by FROM reviews WHERE post_id = $1', [id])).rows[0];
  const exported = async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/labels/export?format=jsonl', headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    env = await createTestStore(backend);
    app = buildApp({ store: env.store, moderator: textModerator, clock, reviewClaimSeconds: 600, reviewQueue: { maxWaitSeconds: 3600, secondOpinionShare: 0 }, console: { sessionHours: 720 } });
    twoOpinions = buildApp({ store: env.store, moderator: textModerator, clock, reviewClaimSeconds: 600, reviewQueue: { maxWaitSeconds: 3600, secondOpinionShare: 1 }, console: { sessionHours: 720 } });
    await Promise.all([app.ready(), twoOpinions.ready()]);
    for (const [name, role] of [
      ['alice', 'moderator'],
      ['bob', 'moderator'],
      ['sato', 'viewer'],
    ] as const) {
      tokens[name] = await createToken(env.store, name, role, now);
      who[name] = await signIn(app, tokens[name]!);
    }
  });
  afterAll(async () => {
    await app?.close();
    await twoOpinions?.close();
    await env?.close();
  });
  beforeEach(async () => {
    // Each test starts with an empty queue, an hour later (old claims expired).
    await env.db.admin('DELETE FROM review_labels; DELETE FROM reviews; DELETE FROM posts');
    now = new Date(now.getTime() + 3_600_000);
  });

  it('claims only the filtered posts, in the queue order, and leaves the others free', async () => {
    const spam = [await moderate('review spam m0.30'), await moderate('review spam m0.10'), await moderate('review spam m0.20')];
    const scam = [await moderate('review scam m0.05'), await moderate('review scam m0.15')];
    const answer = await claim(who.alice!, '?category=spam&limit=10');
    // Smallest margin first among spam, though scam has smaller ones.
    expect(answer.items.map((i) => i.id)).toEqual([spam[1], spam[2], spam[0]]);
    expect(answer.items.every((i) => i.category === 'spam' && i.decision === 'review')).toBe(true);
    expect(answer.moderator).toBe('alice');
    expect(answer.claimedUntil).toBe(new Date(now.getTime() + 600_000).toISOString());
    expect(answer.items[0]!.claimedUntil).toBe(answer.claimedUntil);
    for (const id of scam) expect((await review(id)).claimed_by).toBeNull();
    // A decision filter nothing matches claims nothing.
    expect((await claim(who.bob!, '?decision=reject')).items).toEqual([]);
    // bob, unfiltered, gets the scam posts only (alice holds the spam ones).
    expect((await claim(who.bob!, '?limit=10')).items.map((i) => i.id)).toEqual([scam[0], scam[1]]);
    // Overdue posts still come first among the filtered ones.
    now = new Date(now.getTime() + 3 * 3_600_000);
    const fresh = await moderate('review spam m0.01');
    const again = await claim(who.bob!, '?category=spam&decision=review&limit=10');
    expect(again.items.map((i) => i.id)).toEqual([...spam.slice().sort(), fresh]);
    expect(again.items.map((i) => i.reason)).toEqual(['overdue', 'overdue', 'overdue', 'uncertain']);
  });

  it('never gives two moderators the same post when they claim with filters at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await moderate(`review ${i % 3 === 0 ? 'scam' : 'spam'} m0.${String(i).padStart(2, '0')}`));
    const [a, b] = await Promise.all([claim(who.alice!, '?category=spam&limit=15'), claim(who.bob!, '?category=spam&limit=15')]);
    const aIds = a.items.map((i) => i.id);
    const bIds = b.items.map((i) => i.id);
    expect(aIds.filter((id) => bIds.includes(id))).toEqual([]);
    expect(aIds.length + bIds.length).toBe(20);
    const { rows } = await env.db.admin("SELECT claimed_by, count(*)::int AS n FROM reviews r JOIN posts p ON p.id = r.post_id WHERE p.category = 'scam' AND claimed_by IS NOT NULL GROUP BY 1");
    expect(rows).toEqual([]);
  });

  it('refuses bad filters and limits in the documented shape', async () => {
    for (const query of ['?category=nonsense', '?decision=maybe', '?limit=0', '?limit=abc', '?colour=red']) {
      const res = await consoleCall(app, who.alice!, 'GET', `/console/api/reviews${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(['INVALID_REQUEST', 'UNKNOWN_FIELD']).toContain(res.json().error.code);
    }
  });

  it('labels with the /v1 refusals', async () => {
    const [first, second] = [await moderate('review spam m0.1'), await moderate('review spam m0.2')];
    await claim(who.alice!);
    const ok = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${first}/decision`, { label: 'spam' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ id: first, label: 'ng', category: 'spam', decidedBy: 'alice', state: 'decided' });
    const refusals = [
      [who.alice!, first, 'ALREADY_DECIDED'],
      [who.bob!, second, 'CLAIMED_BY_OTHER'],
      [who.alice!, 'no-such-post', 'REVIEW_NOT_FOUND'],
    ] as const;
    for (const [as, id, code] of refusals) {
      const res = await consoleCall(app, as, 'POST', `/console/api/reviews/${id}/decision`, { label: 'ok' });
      expect(res.json().error.code, `${as.name} ${id}`).toBe(code);
    }
    const contradictory = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${second}/decision`, { label: 'ok', category: 'spam' });
    expect(contradictory.statusCode).toBe(400);
    expect(contradictory.json().error.code).toBe('INVALID_REQUEST');
  });

  it("undoes the moderator's own latest label: pending again, claimed by them until the same time, gone from the export", async () => {
    const id = await moderate('review spam m0.1');
    const claimed = await claim(who.alice!);
    await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${id}/decision`, { label: 'ng', category: 'spam' });
    expect(await exported()).toContain(id);
    now = new Date(now.getTime() + 60_000);
    const undo = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${id}/undo`);
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json()).toEqual({ id, state: 'pending', claimedBy: 'alice', claimedUntil: claimed.claimedUntil });
    expect(await review(id)).toMatchObject({ state: 'pending', label: null, category: null, decided_by: null, claimed_by: 'alice', claimed_until: new Date(claimed.claimedUntil) });
    expect(await exported()).not.toContain(id);
    expect((await env.db.admin('SELECT count(*)::int AS n FROM review_labels WHERE post_id = $1', [id])).rows[0].n).toBe(0);
    // The post is still alice's: bob cannot take it, she can label it again (differently), and that label is exported.
    expect((await claim(who.bob!)).items).toEqual([]);
    const again = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${id}/decision`, { label: 'ok' });
    expect(again.statusCode).toBe(200);
    const lines = (await exported())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; label: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.label).toBe('ok');
  });

  it('refuses an undo with UNDO_NOT_POSSIBLE when nothing of theirs is there, the claim has ended, or a later label exists', async () => {
    const [a, b] = [await moderate('review spam m0.1'), await moderate('review spam m0.2')];
    await claim(who.alice!);
    const nothing = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${a}/undo`);
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json().error).toMatchObject({ code: 'UNDO_NOT_POSSIBLE', message: expect.stringMatching(/no label/) });
    const unknown = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/nope/undo');
    expect(unknown.json().error.code).toBe('REVIEW_NOT_FOUND');
    await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${b}/decision`, { label: 'ok' });
    now = new Date(now.getTime() + 601_000);
    const late = await consoleCall(app, who.alice!, 'POST', `/console/api/reviews/${b}/undo`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({ code: 'UNDO_NOT_POSSIBLE', message: expect.stringMatching(/claim .* has ended/) });
    expect(await review(b)).toMatchObject({ state: 'decided', label: 'ok' });

    // A second opinion recorded after alice's label: hers can no longer be undone; bob's can.
    const pair = await moderate('review spam m0.3');
    await claim(who.alice!, '', twoOpinions);
    expect((await consoleCall(twoOpinions, who.alice!, 'POST', `/console/api/reviews/${pair}/decision`, { label: 'ok' })).json()).toMatchObject({ state: 'pending', secondOpinion: true });
    expect((await claim(who.bob!, '', twoOpinions)).items.map((i) => i.id)).toEqual([pair]);
    // While bob holds it, alice's undo would take the post from him: refused.
    expect((await consoleCall(twoOpinions, who.alice!, 'POST', `/console/api/reviews/${pair}/undo`)).json().error.message).toMatch(/another moderator holds/);
    now = new Date(now.getTime() + 1000);
    expect((await consoleCall(twoOpinions, who.bob!, 'POST', `/console/api/reviews/${pair}/decision`, { label: 'spam' })).json()).toMatchObject({ state: 'decided', conflict: true });
    const aliceUndo = await consoleCall(twoOpinions, who.alice!, 'POST', `/console/api/reviews/${pair}/undo`);
    expect(aliceUndo.json().error).toMatchObject({ code: 'UNDO_NOT_POSSIBLE', message: expect.stringMatching(/bob labelled it after you/) });
    const bobUndo = await consoleCall(twoOpinions, who.bob!, 'POST', `/console/api/reviews/${pair}/undo`);
    expect(bobUndo.statusCode, bobUndo.body).toBe(200);
    // Back to one opinion (alice's), waiting for a second, held by bob; no conflict, nothing exported, no agreement pair.
    expect(await review(pair)).toMatchObject({ state: 'pending', label: null, claimed_by: 'bob' });
    expect((await env.db.admin('SELECT conflict, opinions_needed FROM reviews WHERE post_id = $1', [pair])).rows[0]).toEqual({ conflict: false, opinions_needed: 2 });
    expect(await exported()).not.toContain(pair);
    const agreement = await app.inject({ method: 'GET', url: '/v1/reviews/agreement', headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(agreement.json().conflicts).toMatchObject({ count: 0 });
  });

  it('labels in bulk: each post as the single route would, one refusal not stopping the others', async () => {
    const ids = [await moderate('review spam m0.1'), await moderate('review spam m0.2'), await moderate('review spam m0.3')];
    await claim(who.alice!, '?limit=2');
    await claim(who.bob!, '?limit=1');
    const res = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/bulk', { ids: [ids[0], ids[2], ids[1], 'ghost'], label: 'scam' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().results).toEqual([
      { id: ids[0], outcome: 'decided', state: 'decided', secondOpinion: false },
      { id: ids[2], outcome: 'CLAIMED_BY_OTHER', message: expect.stringContaining('claimed by another moderator') },
      { id: ids[1], outcome: 'decided', state: 'decided', secondOpinion: false },
      { id: 'ghost', outcome: 'REVIEW_NOT_FOUND', message: expect.any(String) },
    ]);
    expect(await review(ids[0]!)).toMatchObject({ state: 'decided', label: 'ng', category: 'scam', decided_by: 'alice' });
    expect(await review(ids[2]!)).toMatchObject({ state: 'pending', claimed_by: 'bob' });
    for (const body of [
      { ids: [], label: 'ok' },
      { ids: ['a', 'a'], label: 'ok' },
      { ids: ['a'], label: 'maybe' },
      { ids: Array.from({ length: 101 }, (_, i) => `x${i}`), label: 'ok' },
    ]) {
      const bad = await consoleCall(app, who.alice!, 'POST', '/console/api/reviews/bulk', body);
      expect(bad.statusCode, JSON.stringify(body).slice(0, 60)).toBe(400);
    }
  });

  it('refuses a viewer (403 FORBIDDEN) on every review route, and every POST without the CSRF token (403 CSRF_REJECTED)', async () => {
    const id = await moderate('review spam m0.1');
    const viewer = who.sato!;
    for (const [method, url, payload] of [
      ['GET', '/console/api/reviews', undefined],
      ['POST', `/console/api/reviews/${id}/decision`, { label: 'ok' }],
      ['POST', `/console/api/reviews/${id}/undo`, undefined],
      ['POST', '/console/api/reviews/bulk', { ids: [id], label: 'ok' }],
    ] as const) {
      const res = await consoleCall(app, viewer, method, url, payload);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    await claim(who.alice!);
    for (const headers of [{ cookie: who.alice!.cookie }, { cookie: who.alice!.cookie, 'x-csrf-token': who.bob!.csrf }, { cookie: who.alice!.cookie, 'x-csrf-token': '' }]) {
      const res = await app.inject({ method: 'POST', url: `/console/api/reviews/${id}/decision`, headers, payload: { label: 'ok' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CSRF_REJECTED');
    }
    expect(await review(id)).toMatchObject({ state: 'pending' });
    // Without a session: 401 in the JSON shape, for GET and POST alike.
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: method === 'GET' ? '/console/api/reviews' : `/console/api/reviews/${id}/decision`, ...(method === 'POST' ? { payload: { label: 'ok' } } : {}) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
  });
});
