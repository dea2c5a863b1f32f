// The review queue through the real app (inject) on real PostgreSQL and
// PGlite (issue 13): posts moderated with a margin are served overdue first,
// then smallest margin first (or oldest first: REVIEW_ORDER, ?order=); two
// moderators claiming at once get disjoint posts; second opinions go to
// pending, then decided or conflict; the same moderator twice is refused;
// GET /v1/reviews/agreement counts the pairs; the label export leaves
// conflicts out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModerationRequest, ModerationResult } from '../../src/moderation/moderator.js';
import { buildApp, type ServiceModerator } from '../../src/service/app.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import { createTestStore, type Backend } from '../store/test-database.js';

// Every post goes to review; its margin is the number in its text ("m0.25"), none without one.
const marginModerator: ServiceModerator = {
  modelVersion: 'margins',
  moderate(request: ModerationRequest): ModerationResult {
    const m = /m(\d\.\d+)/.exec(request.text);
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      decision: 'review',
      category: 'spam',
      categories: [{ name: 'spam', score: 0.5 }],
      score: 0.5,
      reasons: [],
      modelVersion: 'margins',
      ...(m ? { margin: Number(m[1]) } : {}),
    };
  },
};

describe.each<Backend>(['postgres', 'pglite'])('review queue API on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let now = new Date('2026-04-01T00:00:00Z');
  const clock = () => now;
  const apps: ReturnType<typeof buildApp>[] = [];
  const tokens: Record<string, string> = {};
  const make = async (reviewQueue: Parameters<typeof buildApp>[0]['reviewQueue']) => {
    const app = buildApp({ store: env.store, moderator: marginModerator, clock, reviewClaimSeconds: 600, reviewQueue });
    await app.ready();
    apps.push(app);
    return app;
  };
  let uncertain: ReturnType<typeof buildApp>;
  let oldest: ReturnType<typeof buildApp>;
  let twoOpinions: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    env = await createTestStore(backend);
    // One hour before a post is overdue; no second opinions but where a test asks for them.
    uncertain = await make({ maxWaitSeconds: 3600, secondOpinionShare: 0 });
    oldest = await make({ order: 'oldest', maxWaitSeconds: 3600, secondOpinionShare: 0 });
    twoOpinions = await make({ secondOpinionShare: 1 });
    for (const name of ['alice', 'bob', 'carol']) {
      tokens[name] = generateToken();
      await env.store.saveModeratorToken(name, hashToken(tokens[name]!), now);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await env?.close();
  });

  const auth = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
  const minutes = (n: number) => {
    now = new Date(now.getTime() + n * 60_000);
  };
  async function moderate(app: ReturnType<typeof buildApp>, id: string, text: string) {
    const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id, text } });
    expect(res.statusCode, res.body).toBe(200);
  }
  async function claim(app: ReturnType<typeof buildApp>, name: string, query = '') {
    const res = await app.inject({ method: 'GET', url: `/v1/reviews${query}`, headers: auth(name) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as { id: string; margin: number | null; reason: string }[];
  }
  const decide = (app: ReturnType<typeof buildApp>, name: string, id: string, payload: object) => app.inject({ method: 'POST', url: `/v1/reviews/${id}/decision`, headers: auth(name), payload });

  async function seed(): Promise<void> {
    await env.db.admin('TRUNCATE review_labels, reviews, posts');
    await moderate(uncertain, 'q-overdue', 'sure enough m0.90'); // waits 2 hours at claim time: overdue
    minutes(70);
    await moderate(uncertain, 'q-none', 'no margin here');
    minutes(20);
    await moderate(uncertain, 'q-30', 'm0.30');
    await moderate(uncertain, 'q-05', 'm0.05');
    minutes(30);
    await moderate(uncertain, 'q-12', 'm0.12');
  }

  it('serves the overdue post first, then the smallest margins, posts without one last; each item says its margin and why', async () => {
    await seed();
    const items = await claim(uncertain, 'alice');
    expect(items.map((i) => [i.id, i.reason, i.margin])).toEqual([
      ['q-overdue', 'overdue', 0.9],
      ['q-05', 'uncertain', 0.05],
      ['q-12', 'uncertain', 0.12],
      ['q-30', 'uncertain', 0.3],
      ['q-none', 'oldest', null],
    ]);
  });

  it('order=oldest serves by age after the overdue ones, per request or by REVIEW_ORDER, and ?order=uncertain overrides REVIEW_ORDER', async () => {
    await seed();
    const byAge = ['q-overdue', 'q-none', 'q-05', 'q-30', 'q-12']; // q-05 and q-30 came at once: by id
    const bobs = await claim(uncertain, 'bob', '?order=oldest');
    expect(bobs.map((i) => [i.id, i.reason])).toEqual(byAge.map((id, n) => [id, n === 0 ? 'overdue' : 'oldest']));
    await seed();
    expect((await claim(oldest, 'bob')).map((i) => i.id)).toEqual(byAge);
    await seed();
    expect((await claim(oldest, 'bob', '?order=uncertain')).map((i) => i.id)).toEqual(['q-overdue', 'q-05', 'q-12', 'q-30', 'q-none']);
    const bad = await uncertain.inject({ method: 'GET', url: '/v1/reviews?order=newest', headers: auth('bob') });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('gives two moderators claiming at once disjoint posts', async () => {
    await env.db.admin('TRUNCATE review_labels, reviews, posts');
    for (let i = 0; i < 30; i++) await moderate(uncertain, `cc-${i}`, `m0.${String(i % 9).padStart(2, '0')}1`);
    const [a, b] = await Promise.all([claim(uncertain, 'alice', '?limit=20'), claim(uncertain, 'bob', '?limit=20')]);
    const ids = [...a, ...b].map((i) => i.id);
    expect(ids.length).toBe(30);
    expect(new Set(ids).size).toBe(30);
  });

  it('second opinions: the first label leaves the post pending for another moderator, who decides it (a conflict when they differ); the same moderator twice is a 409', async () => {
    await env.db.admin('TRUNCATE review_labels, reviews, posts');
    for (const id of ['s-agree', 's-differ', 's-ok', 's-scam']) await moderate(twoOpinions, id, `${id} m0.20`);
    expect((await claim(twoOpinions, 'alice')).length).toBe(4);

    const first = await decide(twoOpinions, 'alice', 's-agree', { label: 'spam' });
    expect(first.json()).toEqual({ id: 's-agree', label: 'ng', category: 'spam', decidedBy: 'alice', state: 'pending', secondOpinion: true });
    const twice = await decide(twoOpinions, 'alice', 's-agree', { label: 'spam' });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'ALREADY_LABELLED']);
    expect(twice.json().error.message).toMatch(/already labelled post "s-agree".*second opinion/);
    for (const [id, label] of [
      ['s-differ', 'ok'],
      ['s-ok', 'ok'],
      ['s-scam', 'scam'],
    ] as const)
      expect((await decide(twoOpinions, 'alice', id, { label })).json().state).toBe('pending');

    // alice is never served them again; bob is (the claims were released).
    expect(await claim(twoOpinions, 'alice')).toEqual([]);
    expect((await claim(twoOpinions, 'bob')).map((i) => i.id).sort()).toEqual(['s-agree', 's-differ', 's-ok', 's-scam']);
    const taken = await decide(twoOpinions, 'carol', 's-agree', { label: 'spam' });
    expect([taken.statusCode, taken.json().error.code]).toEqual([409, 'CLAIMED_BY_OTHER']);

    expect((await decide(twoOpinions, 'bob', 's-agree', { label: 'ng', category: 'spam' })).json()).toEqual({ id: 's-agree', label: 'ng', category: 'spam', decidedBy: 'bob', state: 'decided', secondOpinion: true });
    expect((await decide(twoOpinions, 'bob', 's-differ', { label: 'spam' })).json()).toEqual({ id: 's-differ', label: 'ng', category: 'spam', decidedBy: 'bob', state: 'decided', secondOpinion: true, conflict: true });
    minutes(1);
    expect((await decide(twoOpinions, 'bob', 's-ok', { label: 'ok' })).json()).toMatchObject({ state: 'decided' });
    expect((await decide(twoOpinions, 'bob', 's-scam', { label: 'scam' })).json()).toMatchObject({ state: 'decided' });
    const late = await decide(twoOpinions, 'carol', 's-ok', { label: 'ok' });
    expect([late.statusCode, late.json().error.code]).toEqual([409, 'ALREADY_DECIDED']);
    const none = await decide(twoOpinions, 'carol', 'nope', { label: 'ok' });
    expect([none.statusCode, none.json().error.code]).toEqual([404, 'REVIEW_NOT_FOUND']);
    // The post shows the later label.
    expect((await twoOpinions.inject({ method: 'GET', url: '/v1/posts/s-differ' })).json().review).toMatchObject({ state: 'decided', label: 'ng', category: 'spam' });

    // Agreement over the 4 pairs: spam/spam, ok/spam, ok/ok, scam/scam.
    const agreement = await twoOpinions.inject({ method: 'GET', url: '/v1/reviews/agreement', headers: auth('carol') });
    expect(agreement.statusCode).toBe(200);
    // po = 3/4; first: spam 1, ok 2, scam 1; second: spam 2, ok 1, scam 1; pe = (1·2 + 2·1 + 1·1) / 16 = 0.3125; kappa = 0.4375 / 0.6875.
    expect(agreement.json()).toEqual({
      pairs: 4,
      agreed: 3,
      observedAgreement: 0.75,
      kappa: 0.636364,
      byCategory: {
        spam: { pairs: 2, agreed: 1, specificAgreement: 0.666667 },
        ok: { pairs: 2, agreed: 1, specificAgreement: 0.666667 },
        scam: { pairs: 1, agreed: 1, specificAgreement: 1 },
      },
      conflicts: { count: 1, ids: ['s-differ'] },
    });
    expect((await twoOpinions.inject({ method: 'GET', url: '/v1/reviews/agreement' })).statusCode).toBe(401);

    // The export leaves the conflict out (it is not trained on until someone looks again).
    const csv = (await twoOpinions.inject({ method: 'GET', url: '/v1/labels/export', headers: auth('carol') })).body;
    expect(csv).toContain('s-agree');
    expect(csv).toContain('s-ok');
    expect(csv).not.toContain('s-differ');
  });
});
