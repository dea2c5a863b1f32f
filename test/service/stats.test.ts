// GET /v1/stats (issue 15) through the real app (inject) on real PostgreSQL
// and PGlite: a bearer token is needed (a moderator's or a viewer's); the
// console's GET /console/api/stats answers the same JSON to a session; hours
// is checked; posts moderated
// through the API and labelled through the review queue are counted in
// their UTC hour, with the rates, the labels and the queue; agreement is
// null until two moderators labelled one post, then GET
// /v1/reviews/agreement's body for the reviews decided in the window (that
// route is all time); the service events give the timeline and
// its changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModerationRequest, ModerationResult } from '../../src/moderation/moderator.js';
import { buildApp, type ServiceModerator } from '../../src/service/app.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import { createTestStore, type Backend } from '../store/test-database.js';

// The text says the decision: "approve ...", "review ..." or "reject ..."; review and reject are spam.
const wordModerator: ServiceModerator = {
  modelVersion: 'words-1',
  moderate(request: ModerationRequest): ModerationResult {
    const decision = (/^(approve|review|reject)/.exec(request.text)?.[1] ?? 'approve') as ModerationResult['decision'];
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      decision,
      category: decision === 'approve' ? null : 'spam',
      categories: decision === 'approve' ? [] : [{ name: 'spam', score: 0.8 }],
      score: decision === 'approve' ? 0.1 : 0.8,
      reasons: [],
      modelVersion: 'words-1',
      margin: 0.2,
    };
  },
};

interface Stats {
  schemaVersion: number;
  generatedAt: string;
  from: string;
  to: string;
  hourly: { hour: string; decisions: { approve: number; review: number; reject: number }; categories: Record<string, number>; reviewRate: number | null; autoApproveRate: number | null; labelled: number }[];
  queue: { depth: number; oldestEnqueuedAt: string | null; oldestAgeSeconds: number | null };
  agreement: Record<string, unknown> | null;
  timeline: { at: string; instance: string; revision: string | null; model: string; event: string }[];
  changes: { at: string; kind: string; from: string | null; to: string | null }[];
}

describe.each<Backend>(['postgres', 'pglite'])('GET /v1/stats on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  let now = new Date('2026-07-01T09:10:00Z');
  const tokens: Record<string, string> = {};
  const auth = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
  const stats = async (query = '', name = 'alice'): Promise<Stats> => {
    const res = await app.inject({ method: 'GET', url: `/v1/stats${query}`, headers: auth(name) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json() as Stats;
  };
  const moderate = async (id: string, text: string) => {
    const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { id, text } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const claim = async (name: string) => {
    const res = await app.inject({ method: 'GET', url: '/v1/reviews?limit=100', headers: auth(name) });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: { id: string }[] }).items.map((i) => i.id);
  };
  const decide = async (name: string, id: string, label: string) => {
    const res = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/decision`, headers: auth(name), payload: { label } });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    env = await createTestStore(backend);
    // Every review needs two opinions, so that agreement can be measured.
    app = buildApp({ store: env.store, moderator: wordModerator, clock: () => now, reviewQueue: { secondOpinionShare: 1 } });
    await app.ready();
    for (const name of ['alice', 'bob']) {
      tokens[name] = generateToken();
      await env.store.saveModeratorToken(name, hashToken(tokens[name]!), now);
    }
    tokens.sato = generateToken();
    await env.store.saveModeratorToken('sato', hashToken(tokens.sato), now, 'viewer');
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('needs a valid bearer token', async () => {
    const none = await app.inject({ method: 'GET', url: '/v1/stats' });
    expect([none.statusCode, none.json().error.code, none.headers['www-authenticate']]).toEqual([401, 'UNAUTHORIZED', 'Bearer']);
    const wrong = await app.inject({ method: 'GET', url: '/v1/stats', headers: { authorization: `Bearer ${generateToken()}` } });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it("takes a viewer's token (support staff), which the review queue refuses", async () => {
    expect((await stats('', 'sato')).hourly).toHaveLength(24);
    const queue = await app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('sato') });
    expect([queue.statusCode, queue.json().error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('answers the same JSON at /console/api/stats to a signed-in session (moderator or viewer), and 401 without one', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/console/api/stats' });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
    for (const name of ['alice', 'sato']) {
      const signIn = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${tokens[name]}` });
      expect(signIn.statusCode, signIn.body).toBe(303);
      const cookie = signIn.cookies.find((c) => c.name === 'mod_session')!;
      const viaConsole = await app.inject({ method: 'GET', url: '/console/api/stats?hours=3', cookies: { mod_session: cookie.value } });
      expect(viaConsole.statusCode, viaConsole.body).toBe(200);
      expect(viaConsole.json()).toEqual(await stats('?hours=3'));
      const bad = await app.inject({ method: 'GET', url: '/console/api/stats?hours=999', cookies: { mod_session: cookie.value } });
      expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_REQUEST']);
    }
    // A bearer token is not a console session, and the session cookie is not a bearer token.
    const bearer = await app.inject({ method: 'GET', url: '/console/api/stats', headers: auth('alice') });
    expect(bearer.statusCode).toBe(401);
  });

  it('refuses hours outside 1..720 and unknown parameters, saying what to send', async () => {
    for (const query of ['?hours=0', '?hours=721', '?hours=abc', '?hours=2.5']) {
      const res = await app.inject({ method: 'GET', url: `/v1/stats${query}`, headers: auth('alice') });
      expect([res.statusCode, res.json().error.code], query).toEqual([400, 'INVALID_REQUEST']);
      expect(res.json().error.message, query).toMatch(/whole number from 1 to 720: send e\.g\. \?hours=24/);
    }
    const unknown = await app.inject({ method: 'GET', url: '/v1/stats?days=2', headers: auth('alice') });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'UNKNOWN_FIELD']);
    expect(unknown.json().error.message).toMatch(/days/);
  });

  it('answers an empty database with every hour of the window at zero', async () => {
    const body = await stats();
    expect(body).toMatchObject({ schemaVersion: 1, generatedAt: now.toISOString(), from: '2026-06-30T10:00:00.000Z', to: '2026-07-01T10:00:00.000Z', queue: { depth: 0, oldestEnqueuedAt: null, oldestAgeSeconds: null }, agreement: null, timeline: [], changes: [] });
    expect(body.hourly).toHaveLength(24);
    expect(body.hourly.every((h) => h.decisions.approve + h.decisions.review + h.decisions.reject === 0 && h.labelled === 0 && h.reviewRate === null)).toBe(true);
    expect((await stats('?hours=720')).hourly).toHaveLength(720);
  });

  it('counts what the API moderated and the queue labelled, per UTC hour, and the queue as it is', async () => {
    await moderate('a-1', 'approve this');
    await moderate('a-2', 'approve that');
    await moderate('r-1', 'review me');
    await moderate('x-1', 'reject me');
    now = new Date('2026-07-01T10:20:00Z');
    await moderate('r-2', 'review me too');
    await moderate('a-3', 'approve another');
    expect((await claim('alice')).sort()).toEqual(['r-1', 'r-2']);
    await decide('alice', 'r-1', 'spam');
    await decide('alice', 'r-2', 'ok');
    now = new Date('2026-07-01T10:40:00Z');
    const body = await stats('?hours=2');
    expect([body.from, body.to]).toEqual(['2026-07-01T09:00:00.000Z', '2026-07-01T11:00:00.000Z']);
    const [h9, h10] = body.hourly;
    expect(h9).toMatchObject({ hour: '2026-07-01T09:00:00.000Z', decisions: { approve: 2, review: 1, reject: 1 }, reviewRate: 0.25, autoApproveRate: 0.5, labelled: 0 });
    expect(h9!.categories).toMatchObject({ spam: 2, contact: 0 });
    expect(h10).toMatchObject({ hour: '2026-07-01T10:00:00.000Z', decisions: { approve: 1, review: 1, reject: 0 }, reviewRate: 0.5, autoApproveRate: 0.5, labelled: 2 });
    // Both reviews wait for a second opinion: pending, the oldest since 09:10.
    expect(body.queue).toEqual({ depth: 2, oldestEnqueuedAt: '2026-07-01T09:10:00.000Z', oldestAgeSeconds: 90 * 60 });
    expect(body.agreement).toBeNull();
    // The window is the last hours: a 1-hour one does not see 09:00.
    expect((await stats('?hours=1')).hourly.map((h) => h.decisions)).toEqual([{ approve: 1, review: 1, reject: 0 }]);
  });

  it('gives agreement as GET /v1/reviews/agreement does for the reviews decided in the window, once two moderators labelled a post', async () => {
    expect((await claim('bob')).sort()).toEqual(['r-1', 'r-2']);
    await decide('bob', 'r-1', 'spam');
    await decide('bob', 'r-2', 'scam');
    const agreement = await app.inject({ method: 'GET', url: '/v1/reviews/agreement', headers: auth('alice') });
    expect(agreement.statusCode).toBe(200);
    const body = await stats('?hours=2');
    expect(body.agreement).toEqual(agreement.json());
    expect(body.agreement).toMatchObject({ pairs: 2, agreed: 1, observedAgreement: 0.5, conflicts: { count: 1, ids: ['r-2'] } });
    expect(body.hourly[1]!.labelled).toBe(4);
    expect(body.queue).toEqual({ depth: 0, oldestEnqueuedAt: null, oldestAgeSeconds: null });
    // The dashboard's agreement is the window's: a review decided before it counts in /v1/reviews/agreement (all time) only.
    const shift = (sign: '+' | '-') => env.db.admin(`UPDATE review_labels SET decided_at = decided_at ${sign} interval '3 days' WHERE post_id = 'r-2'; UPDATE reviews SET decided_at = decided_at ${sign} interval '3 days' WHERE post_id = 'r-2'`);
    await shift('-');
    try {
      const windowed = await stats('?hours=2');
      expect(windowed.agreement).toMatchObject({ pairs: 1, agreed: 1, observedAgreement: 1, conflicts: { count: 0, ids: [] } });
      const allTime = await app.inject({ method: 'GET', url: '/v1/reviews/agreement', headers: auth('alice') });
      expect(allTime.json()).toEqual(agreement.json());
      expect((await stats('?hours=120')).agreement).toEqual(agreement.json());
    } finally {
      await shift('+');
    }
  });

  it('draws the timeline from the service events and marks where the revision or model changed', async () => {
    await env.store.recordServiceEvent({ at: new Date('2026-07-01T08:00:00Z'), instance: 'i-1', revision: 'aaa', model: 'words-1', event: 'start' });
    await env.store.recordServiceEvent({ at: new Date('2026-07-01T09:30:00Z'), instance: 'i-1', revision: 'bbb', model: 'words-1', event: 'start' });
    await env.store.recordServiceEvent({ at: new Date('2026-07-01T09:31:00Z'), instance: 'i-2', revision: 'bbb', model: 'words-1', event: 'start' });
    await env.store.recordServiceEvent({ at: new Date('2026-07-01T10:05:00Z'), instance: 'i-2', revision: 'bbb', model: 'words-2', event: 'model-swap' });
    await env.store.recordServiceEvent({ at: new Date('2026-07-01T10:05:01Z'), instance: 'i-1', revision: 'bbb', model: 'words-2', event: 'model-swap' });
    const body = await stats('?hours=2');
    expect(body.timeline).toEqual([
      { at: '2026-07-01T09:30:00.000Z', instance: 'i-1', revision: 'bbb', model: 'words-1', event: 'start' },
      { at: '2026-07-01T09:31:00.000Z', instance: 'i-2', revision: 'bbb', model: 'words-1', event: 'start' },
      { at: '2026-07-01T10:05:00.000Z', instance: 'i-2', revision: 'bbb', model: 'words-2', event: 'model-swap' },
      { at: '2026-07-01T10:05:01.000Z', instance: 'i-1', revision: 'bbb', model: 'words-2', event: 'model-swap' },
    ]);
    expect(body.changes).toEqual([
      { at: '2026-07-01T09:30:00.000Z', kind: 'revision', from: 'aaa', to: 'bbb' },
      { at: '2026-07-01T10:05:00.000Z', kind: 'model', from: 'words-1', to: 'words-2' },
    ]);
  });
});
