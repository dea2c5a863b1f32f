// The service's HTTP API in memory (inject), against real PostgreSQL (a
// schema per file) and against PGlite behind the embedded wire server: the
// same suite on both.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import type { CategoryScore } from '../../src/moderation/classifier.js';
import { parseLabelledCsv, parseLabelledJsonl } from '../../src/moderation/labelled-data.js';
import { buildApp, type ServiceModerator } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import type { ModerationRequest, ModerationResult, Moderator } from '../../src/moderation/moderator.js';
import { createTestStore, type Backend } from '../store/test-database.js';

let moderator: Moderator;
beforeAll(async () => {
  moderator = await loadModerator({ maxTextLength: 1000 });
});

// The shipped model may be binary (no category scores): this one answers
// fixed categories, so their path through the API and the store is checked
// whatever model ships.
const SCAM_SCORES: CategoryScore[] = [
  { name: 'scam', score: 0.41 },
  { name: 'offplatform_payment', score: 0.12 },
  { name: 'spam', score: 0.03 },
];
const categorisedModerator: ServiceModerator = {
  modelVersion: 'fixed-categories',
  moderate(request: ModerationRequest): ModerationResult {
    const scam = /invest/i.test(request.text);
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      decision: scam ? 'review' : 'approve',
      category: scam ? 'scam' : null,
      categories: scam ? SCAM_SCORES : [{ name: 'spam', score: 0.001 }],
      score: scam ? 0.56 : 0.001,
      reasons: scam ? [{ code: 'model.review', message: 'classifier score 0.560 (scam) is not below the approve threshold 0.100', category: 'scam' }] : [],
      modelVersion: 'fixed-categories',
    };
  },
};

class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

describe.each<Backend>(['postgres', 'pglite'])('service API on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  /** The same store behind categorisedModerator. */
  let categorised: ReturnType<typeof buildApp>;
  const logs = new LogCapture();
  let now = new Date('2026-01-01T00:00:00Z');
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestStore(backend);
    app = buildApp({ store: env.store, moderator, clock: () => now, logger: { level: 'info', stream: logs }, maxTextLength: 1000, bodyLimitBytes: 64 * 1024, reviewClaimSeconds: 60 });
    await app.ready();
    categorised = buildApp({ store: env.store, moderator: categorisedModerator, clock: () => now });
    await categorised.ready();
    for (const name of ['alice', 'bob']) {
      tokens[name] = generateToken();
      await env.store.saveModeratorToken(name, hashToken(tokens[name]!), now);
    }
  });
  afterAll(async () => {
    await app?.close();
    await categorised?.close();
    await env?.close();
  });

  const moderate = (body: unknown) => app.inject({ method: 'POST', url: '/v1/moderate', payload: body as object });
  const count = async (table: string) => Number((await env.db.admin(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('decides, stores the post and its decision, answers a repeated request its first decision, and refuses another text under the id', async () => {
    const first = await moderate({ text: 'LINE交換しよ！ID教えて', id: 'p-1', kind: 'message', userId: 'u1' });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({ id: 'p-1', decision: 'reject', category: 'contact', modelVersion: moderator.modelVersion });
    expect(body.categories).toEqual(moderator.moderate({ text: 'LINE交換しよ！ID教えて' }).categories);
    expect(body.reasons.map((r: { code: string }) => r.code)).toContain('contact.exchange-phrase');
    expect(first.headers['x-request-id']).toBeTruthy();

    const again = await moderate({ text: 'LINE交換しよ！ID教えて', id: 'p-1', kind: 'message', userId: 'u1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(body);
    // Issue 17.10: another text (or kind, or user) under a stored id is a conflict, not the first decision.
    for (const other of [{ text: 'こんにちは、よろしくお願いします', kind: 'message', userId: 'u1' }, { text: 'LINE交換しよ！ID教えて', kind: 'message', userId: 'u2' }, { text: 'LINE交換しよ！ID教えて' }]) {
      const refused = await moderate({ ...other, id: 'p-1' });
      expect([refused.statusCode, refused.json().error.code], JSON.stringify(other)).toEqual([409, 'ID_CONFLICT']);
    }
    const rows = (await env.db.admin("SELECT text, kind, user_id, decision, category, categories FROM posts WHERE id = 'p-1'")).rows;
    expect(rows).toEqual([{ text: 'LINE交換しよ！ID教えて', kind: 'message', user_id: 'u1', decision: 'reject', category: 'contact', categories: body.categories }]);

    const got = await app.inject({ method: 'GET', url: '/v1/posts/p-1', headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: 'p-1', text: 'LINE交換しよ！ID教えて', decision: 'reject', category: 'contact', categories: body.categories, kind: 'message', userId: 'u1', review: null });
    // Without a token: the decision only (issue 17.9).
    expect((await app.inject({ method: 'GET', url: '/v1/posts/p-1' })).json()).toEqual({ id: 'p-1', decision: 'reject', category: 'contact', modelVersion: moderator.modelVersion, createdAt: now.toISOString(), review: null });
    expect((await app.inject({ method: 'GET', url: '/v1/posts/nope' })).json().error.code).toBe('POST_NOT_FOUND');
  });

  it('answers, stores and shows category scores, and an approved post has no category', async () => {
    const scam = await categorised.inject({ method: 'POST', url: '/v1/moderate', payload: { text: 'invest in my coin, 30% a month', id: 'c-1' } });
    expect(scam.statusCode).toBe(200);
    expect(scam.json()).toEqual({ id: 'c-1', decision: 'review', category: 'scam', categories: SCAM_SCORES, score: 0.56, reasons: [expect.objectContaining({ code: 'model.review', category: 'scam' })], modelVersion: 'fixed-categories' });
    const fine = (await categorised.inject({ method: 'POST', url: '/v1/moderate', payload: { text: 'see you at the station', id: 'c-2' } })).json();
    expect(fine).toMatchObject({ decision: 'approve', category: null, categories: [{ name: 'spam', score: 0.001 }] });
    // A repeated request answers the first decision, category and scores included.
    const repeat = await categorised.inject({ method: 'POST', url: '/v1/moderate', payload: { text: 'invest in my coin, 30% a month', id: 'c-1' } });
    expect(repeat.json()).toEqual(scam.json());
    const batch = (
      await categorised.inject({
        method: 'POST',
        url: '/v1/moderate/batch',
        payload: {
          items: [
            { text: 'see you at the station', id: 'c-2' },
            { text: 'invest now', id: 'c-3' },
            { text: 'invest in my coin, 30% a month', id: 'c-1' },
          ],
        },
      })
    ).json();
    expect(batch.results).toEqual([fine, { ...scam.json(), id: 'c-3' }, scam.json()]);

    const asModerator = { authorization: `Bearer ${tokens.alice}` };
    const shown = (await app.inject({ method: 'GET', url: '/v1/posts/c-1', headers: asModerator })).json();
    expect(shown).toMatchObject({ id: 'c-1', decision: 'review', category: 'scam', categories: SCAM_SCORES, review: { state: 'pending', label: null, category: null } });
    expect((await app.inject({ method: 'GET', url: '/v1/posts/c-2', headers: asModerator })).json()).toMatchObject({ decision: 'approve', category: null, categories: [{ name: 'spam', score: 0.001 }], review: null });
    expect((await env.db.admin("SELECT category, categories FROM posts WHERE id = 'c-3'")).rows).toEqual([{ category: 'scam', categories: SCAM_SCORES }]);

    const metrics = (await categorised.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^mod_decisions_by_category_total\{decision="review",category="scam"\} 4$/m);
    expect(metrics).toMatch(/^mod_decisions_by_category_total\{decision="approve",category="none"\} 2$/m);
    expect(metrics).toMatch(/^mod_decisions_total\{decision="review"\} 4$/m);
    expect(metrics).toMatch(/^mod_decisions_total\{decision="approve"\} 2$/m);
  });

  it('gives a post without an id a fresh one, stores concurrent repeats of one id once, and refuses the other texts sent with it', async () => {
    const a = (await moderate({ text: 'hello' })).json();
    const b = (await moderate({ text: 'hello' })).json();
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.id).not.toBe(a.id);
    const before = await count('posts');
    const answers = await Promise.all(Array.from({ length: 20 }, () => moderate({ text: 'hello there', id: 'race-1' })));
    expect(new Set(answers.map((r) => r.statusCode))).toEqual(new Set([200]));
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    expect(await count('posts')).toBe(before + 1);
    // Two texts race for one id (issue 17.10): one is stored, every request with it gets its decision, the others 409.
    const texts = ['call me 090-1234-5678', 'hello there'];
    const raced = await Promise.all(Array.from({ length: 20 }, (_, i) => moderate({ text: texts[i % 2], id: 'race-2' })));
    const storedText = (await env.db.admin("SELECT text FROM posts WHERE id = 'race-2'")).rows[0].text as string;
    expect(raced.map((r) => r.statusCode)).toEqual(Array.from({ length: 20 }, (_, i) => (texts[i % 2] === storedText ? 200 : 409)));
    expect(new Set(raced.filter((r) => r.statusCode === 409).map((r) => r.json().error.code))).toEqual(new Set(['ID_CONFLICT']));
    expect(await count('posts')).toBe(before + 2);
  });

  it('moderates a batch in order, storing each id once, and answers an id taken by another text with an error in its place', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/moderate/batch',
      payload: {
        items: [
          { text: 'おはよう', id: 'b-1' },
          { text: 'call me 090-1234-5678', id: 'b-2' },
          { text: 'おはよう', id: 'b-1' },
          { text: 'LINE交換しよ！ID教えて', id: 'p-1', kind: 'message', userId: 'u1' },
          { text: 'again', id: 'b-1' },
          { text: 'not the text of p-1', id: 'p-1' },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results;
    expect(results.map((r: { id: string }) => r.id)).toEqual(['b-1', 'b-2', 'b-1', 'p-1', 'b-1', 'p-1']);
    expect(results[2]).toEqual(results[0]);
    // Issue 17.10: another text under an id, earlier in the batch or stored before, is that item's error; the others are stored.
    for (const i of [4, 5]) expect(results[i], `item ${i}`).toEqual({ id: i === 4 ? 'b-1' : 'p-1', error: { code: 'ID_CONFLICT', message: expect.stringContaining('an id names one post') } });
    expect(results[1].reasons.map((r: { code: string }) => r.code)).toContain('contact.phone');
    expect(results[3]).toMatchObject({ decision: 'reject', category: 'contact' });
    expect(results[1].category).toBe('contact');
    expect(results[0]).toMatchObject({ category: moderator.moderate({ text: 'おはよう' }).category, categories: moderator.moderate({ text: 'おはよう' }).categories });
    expect(Number((await env.db.admin("SELECT count(*) AS n FROM posts WHERE id IN ('b-1','b-2','p-1')")).rows[0].n)).toBe(3);
    const tooMany = await app.inject({ method: 'POST', url: '/v1/moderate/batch', payload: { items: Array.from({ length: 101 }, () => ({ text: 'x' })) } });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.code).toBe('TOO_MANY_ITEMS');
  });

  it('refuses bad input with a clear code and stores nothing', async () => {
    const before = await count('posts');
    const cases: [unknown, number, string][] = [
      [{ text: 'x'.repeat(1001) }, 400, 'TEXT_TOO_LONG'],
      [{ text: 'hi', colour: 'red' }, 400, 'UNKNOWN_FIELD'],
      [{ text: 42 }, 400, 'INVALID_REQUEST'],
      [{ text: 'hi', kind: 'email' }, 400, 'INVALID_REQUEST'],
      [{ id: 'x' }, 400, 'INVALID_REQUEST'],
      [{ text: '' }, 400, 'INVALID_REQUEST'],
      [{ text: 'a\u0000b' }, 400, 'INVALID_CHARACTER'],
      [{ text: 'hi', userId: 'u\u0000' }, 400, 'INVALID_CHARACTER'],
      [{ text: 'hi', id: 'p-\ud800' }, 400, 'INVALID_CHARACTER'],
    ];
    for (const [body, status, code] of cases) {
      const res = await moderate(body);
      expect([res.statusCode, res.json().error.code], JSON.stringify(body)).toEqual([status, code]);
      expect(res.json().error.message).toBeTruthy();
    }
    const badJson = await app.inject({ method: 'POST', url: '/v1/moderate', headers: { 'content-type': 'application/json' }, payload: '{"text": "hi"' });
    expect([badJson.statusCode, badJson.json().error.code]).toEqual([400, 'INVALID_JSON']);
    const huge = await app.inject({ method: 'POST', url: '/v1/moderate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(70 * 1024) }) });
    expect([huge.statusCode, huge.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const text = await app.inject({ method: 'POST', url: '/v1/moderate', headers: { 'content-type': 'application/xml' }, payload: '<text>hello</text>' });
    expect([text.statusCode, text.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const nulBatch = await app.inject({ method: 'POST', url: '/v1/moderate/batch', payload: { items: [{ text: 'fine' }, { text: 'a\u0000b' }] } });
    expect([nulBatch.statusCode, nulBatch.json().error.code]).toEqual([400, 'INVALID_CHARACTER']);
    expect(nulBatch.json().error.message).toMatch(/items\.1\.text contains a NUL character/);
    expect((await app.inject({ method: 'GET', url: '/v1/posts/a%00b' })).json().error.code).toBe('INVALID_CHARACTER');
    expect(await count('posts')).toBe(before);
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).json().error.code).toBe('NOT_FOUND');
  });

  it('stores a text cut in the middle of an emoji with U+FFFD for the lone half', async () => {
    const res = await moderate({ text: 'ありがとう\ud83d', id: 'sur-1' });
    expect(res.statusCode).toBe(200);
    expect((await env.db.admin("SELECT text FROM posts WHERE id = 'sur-1'")).rows[0].text).toBe('ありがとう\ufffd');
  });

  it('requires a valid moderator token on review routes', async () => {
    for (const authorization of [undefined, 'Bearer nope', `Basic ${tokens.alice}`]) {
      const res = await app.inject({ method: 'GET', url: '/v1/reviews', headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
    expect((await app.inject({ method: 'POST', url: '/v1/reviews/x/decision', payload: { label: 'ok' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/labels/export' })).statusCode).toBe(401);
  });

  it('refuses a revoked token at once, lists it as revoked, and gives a re-created name a working token', async () => {
    // The label export: an authenticated route that claims nothing, so later tests keep their queue.
    const exportLabels = (token: string) => app.inject({ method: 'GET', url: '/v1/labels/export', headers: { authorization: `Bearer ${token}` } });
    const leaver = generateToken();
    const createdAt = new Date(now.getTime() + 1000);
    expect(await env.store.saveModeratorToken('dave', hashToken(leaver), createdAt)).toEqual({ replaced: false });
    expect((await exportLabels(leaver)).statusCode).toBe(200);

    const revokedAt = new Date(now.getTime() + 2000);
    expect(await env.store.revokeModeratorToken('dave', revokedAt)).toEqual({ outcome: 'revoked', revokedAt });
    const refused = await exportLabels(leaver);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('UNAUTHORIZED');
    // Revoking again changes nothing (the first revocation time stays); an unknown name is reported, not created.
    expect(await env.store.revokeModeratorToken('dave', new Date(now.getTime() + 3000))).toEqual({ outcome: 'already_revoked', revokedAt });
    expect(await env.store.revokeModeratorToken('nobody', now)).toEqual({ outcome: 'not_found', revokedAt: null });
    expect(await count('moderator_tokens')).toBe(3);

    const listed = await env.store.listModeratorTokens();
    expect(listed.find((t) => t.name === 'dave')).toEqual({ name: 'dave', role: 'moderator', createdAt, revokedAt });
    expect(listed.find((t) => t.name === 'alice')).toMatchObject({ name: 'alice', revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(hashToken(leaver));

    const returning = generateToken();
    expect(await env.store.saveModeratorToken('dave', hashToken(returning), new Date(now.getTime() + 4000))).toEqual({ replaced: true });
    expect((await exportLabels(returning)).statusCode).toBe(200);
    expect((await exportLabels(leaver)).statusCode).toBe(401);
    expect((await env.store.listModeratorTokens()).find((t) => t.name === 'dave')?.revokedAt).toBeNull();
    expect((await exportLabels(tokens.alice!)).statusCode).toBe(200);
  });

  it('queues review decisions, hands each to one moderator, and exports the labels for training', async () => {
    // Insert review items directly so the test does not depend on the model's thresholds.
    const ids = Array.from({ length: 6 }, (_, i) => `r-${i}`);
    await env.store.recordPosts(
      ids.map((id, i) => ({
        id,
        kind: 'post',
        userId: null,
        text: i === 0 ? 'text, with "quotes"\nand a newline' : `review me ${i}`,
        decision: 'review' as const,
        category: i % 2 ? ('spam' as const) : null,
        categories: i % 2 ? [{ name: 'spam' as const, score: 0.5 }] : [],
        score: 0.5,
        reasons: [],
        modelVersion: 'test',
      })),
      new Date(now.getTime() + 1),
    );
    const auth = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
    // Both claim at once. With no limit, whoever ran first (under load, often the same one) took every item and
    // left the other none to check. Each may take at least half the queue and at most the earlier tests' items
    // (c-1...: older than ours, so first) plus one of ours: whichever runs first, each gets some of ours.
    const pending = Number((await env.db.admin("SELECT count(*) AS n FROM reviews WHERE state = 'pending'")).rows[0].n);
    const limit = Math.max(Math.ceil(pending / 2), pending - ids.length + 1);
    const claims = await Promise.all([app.inject({ method: 'GET', url: `/v1/reviews?limit=${limit}`, headers: auth('alice') }), app.inject({ method: 'GET', url: `/v1/reviews?limit=${limit}`, headers: auth('bob') })]);
    expect(claims[0].json().items.length + claims[1].json().items.length).toBe(pending);
    const alice = claims[0]
      .json()
      .items.map((i: { id: string }) => i.id)
      .filter((id: string) => id.startsWith('r-'));
    const bob = claims[1]
      .json()
      .items.map((i: { id: string }) => i.id)
      .filter((id: string) => id.startsWith('r-'));
    expect(alice.filter((id: string) => bob.includes(id))).toEqual([]);
    expect(new Set([...alice, ...bob])).toEqual(new Set(ids));

    const [aliceItem] = claims[0].json().items;
    expect(aliceItem).toMatchObject({ decision: 'review', claimedUntil: new Date(now.getTime() + 60_000).toISOString() });
    // Moderators see the category that held each post, and its scores.
    const claimed = new Map<string, { category: string | null; categories: unknown }>([...claims[0].json().items, ...claims[1].json().items].map((i: { id: string; category: string | null; categories: unknown }) => [i.id, i]));
    expect(claimed.get('r-1')).toMatchObject({ category: 'spam', categories: [{ name: 'spam', score: 0.5 }] });
    expect(claimed.get('r-2')).toMatchObject({ category: null, categories: [] });
    expect(claimed.get('c-1')).toMatchObject({ text: 'invest in my coin, 30% a month', category: 'scam', categories: SCAM_SCORES });
    // Bob cannot decide Alice's claimed item; Alice can, once.
    const stolen = await app.inject({ method: 'POST', url: `/v1/reviews/${alice[0]}/decision`, headers: auth('bob'), payload: { label: 'ok' } });
    expect([stolen.statusCode, stolen.json().error.code]).toEqual([409, 'CLAIMED_BY_OTHER']);
    for (const id of alice) {
      const res = await app.inject({ method: 'POST', url: `/v1/reviews/${id}/decision`, headers: auth('alice'), payload: id === 'r-0' ? { label: 'ng', category: 'spam' } : { label: 'ok' } });
      expect(res.statusCode).toBe(200);
    }
    const twice = await app.inject({ method: 'POST', url: `/v1/reviews/${alice[0]}/decision`, headers: auth('alice'), payload: { label: 'ok' } });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'ALREADY_DECIDED']);
    expect((await app.inject({ method: 'POST', url: '/v1/reviews/none/decision', headers: auth('alice'), payload: { label: 'ok' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/v1/reviews/${bob[0]}/decision`, headers: auth('bob'), payload: { label: 'maybe' } })).statusCode).toBe(400);

    // Bob's claims expire: after the claim time Alice gets them.
    now = new Date(now.getTime() + 61_000);
    const later = (await app.inject({ method: 'GET', url: '/v1/reviews?limit=100', headers: auth('alice') })).json().items.map((i: { id: string }) => i.id);
    expect(later).toEqual(expect.arrayContaining(bob));
    expect((await app.inject({ method: 'GET', url: `/v1/posts/${alice[0]}` })).json().review).toMatchObject({ state: 'decided' });

    const csv = await app.inject({ method: 'GET', url: '/v1/labels/export', headers: auth('alice') });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const fromCsv = parseLabelledCsv(csv.body);
    // Decided at the same moment, so in post id order.
    expect(fromCsv).toEqual([...alice].sort().map((id: string) => (id === 'r-0' ? { text: 'text, with "quotes"\nand a newline', label: 'ng', category: 'spam' } : { text: `review me ${id.slice(2)}`, label: 'ok', category: null })));
    const jsonl = await app.inject({ method: 'GET', url: '/v1/labels/export?format=jsonl', headers: auth('alice') });
    expect(parseLabelledJsonl(jsonl.body)).toEqual(fromCsv);
  });

  it('records each label form (ok, ng, ng with a category, a category), refuses contradictions, and exports category labels that training reads back', async () => {
    const auth = { authorization: `Bearer ${tokens.bob}` };
    const decide = (id: string, payload: object) => app.inject({ method: 'POST', url: `/v1/reviews/${id}/decision`, headers: auth, payload });
    const ids = ['d-ok', 'd-ng', 'd-ng-scam', 'd-minor', 'd-abuse-abuse'];
    await env.store.recordPosts(
      ids.map((id) => ({ id, kind: 'message', userId: null, text: `label form ${id}`, decision: 'review' as const, category: null, categories: [], score: 0.5, reasons: [], modelVersion: 'test' })),
      now,
    );
    const forms: [string, object, { label: string; category: string | null }][] = [
      ['d-ok', { label: 'ok', category: null }, { label: 'ok', category: null }], // a null category is the same as none
      ['d-ng', { label: 'ng' }, { label: 'ng', category: null }],
      ['d-ng-scam', { label: 'ng', category: 'scam' }, { label: 'ng', category: 'scam' }],
      ['d-minor', { label: 'minor' }, { label: 'ng', category: 'minor' }],
      ['d-abuse-abuse', { label: 'abuse', category: 'abuse' }, { label: 'ng', category: 'abuse' }],
    ];

    // Refusals first: each is a 400 that stores nothing and says what to send.
    const refusals: [object, string, RegExp][] = [
      [{ label: 'ok', category: 'spam' }, 'INVALID_REQUEST', /label "ok" takes no category: send \{"label":"ok"\}.*\{"label":"spam"\}/],
      [{ label: 'minor', category: 'scam' }, 'INVALID_REQUEST', /label "minor" is already a category and category "scam" names another: send \{"label":"minor"\} or \{"label":"scam"\}/],
      [{ label: 'ng', category: 'rude' }, 'INVALID_REQUEST', /^category must be one of "contact", "solicitation", "scam", "abuse", "spam", "offplatform_payment", "minor"$/],
      [{ label: 'maybe' }, 'INVALID_REQUEST', /^label must be one of "ok", "ng", "contact", .*"minor"$/],
      [{ label: 'Scam' }, 'INVALID_REQUEST', /^label must be one of/],
      [{ label: 'ng', category: '' }, 'INVALID_REQUEST', /^category must be one of/],
      [{ label: 'ng', reason: 'x' }, 'UNKNOWN_FIELD', /unknown field "reason"/],
    ];
    for (const [payload, code, message] of refusals) {
      const res = await decide('d-ok', payload);
      expect([res.statusCode, res.json().error.code], JSON.stringify(payload)).toEqual([400, code]);
      expect(res.json().error.message, JSON.stringify(payload)).toMatch(message);
    }
    expect((await env.db.admin("SELECT state FROM reviews WHERE post_id = 'd-ok'")).rows).toEqual([{ state: 'pending' }]);

    for (const [id, payload, stored] of forms) {
      const res = await decide(id, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(200);
      expect(res.json()).toEqual({ id, ...stored, decidedBy: 'bob', state: 'decided', secondOpinion: false });
      expect((await env.db.admin('SELECT state, label, category, decided_by FROM reviews WHERE post_id = $1', [id])).rows).toEqual([{ state: 'decided', ...stored, decided_by: 'bob' }]);
      expect((await app.inject({ method: 'GET', url: `/v1/posts/${id}` })).json().review).toMatchObject({ state: 'decided', ...stored });
    }

    // A label written before the API knew categories: free text, which is "ng" of no known category.
    await env.store.recordPosts([{ id: 'd-old', kind: null, userId: null, text: 'label form d-old', decision: 'review', category: null, categories: [], score: 0.5, reasons: [], modelVersion: 'test' }], now);
    await env.db.admin("UPDATE reviews SET state = 'decided', label = 'ng', category = 'rude words', decided_by = 'carol', decided_at = $1 WHERE post_id = 'd-old'", [now]);

    const auth2 = { authorization: `Bearer ${tokens.alice}` };
    const csv = (await app.inject({ method: 'GET', url: '/v1/labels/export', headers: auth2 })).body;
    expect(csv.startsWith('text,label,category,post_id,decided_at\n')).toBe(true);
    const columns = (parseCsv(csv, { columns: true }) as Record<string, string>[]).filter((r) => r.post_id!.startsWith('d-'));
    expect(columns.map((r) => [r.post_id, r.label, r.category])).toEqual([
      ['d-abuse-abuse', 'abuse', 'abuse'],
      ['d-minor', 'minor', 'minor'],
      ['d-ng', 'ng', ''],
      ['d-ng-scam', 'scam', 'scam'],
      ['d-ok', 'ok', ''],
      ['d-old', 'ng', 'rude words'],
    ]);
    const expected = [
      { text: 'label form d-abuse-abuse', label: 'ng', category: 'abuse' },
      { text: 'label form d-minor', label: 'ng', category: 'minor' },
      { text: 'label form d-ng', label: 'ng', category: null },
      { text: 'label form d-ng-scam', label: 'ng', category: 'scam' },
      { text: 'label form d-ok', label: 'ok', category: null },
      { text: 'label form d-old', label: 'ng', category: null },
    ];
    const mine = (labels: { text: string }[]) => labels.filter((l) => l.text.startsWith('label form '));
    expect(mine(parseLabelledCsv(csv))).toEqual(expected);
    const jsonl = (await app.inject({ method: 'GET', url: '/v1/labels/export?format=jsonl', headers: auth2 })).body;
    const lines = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { postId: string; label: string; category: string | null });
    expect(lines.filter((l) => l.postId === 'd-minor' || l.postId === 'd-old')).toEqual([
      { text: 'label form d-minor', label: 'minor', category: 'minor', postId: 'd-minor', decidedAt: now.toISOString() },
      { text: 'label form d-old', label: 'ng', category: 'rude words', postId: 'd-old', decidedAt: now.toISOString() },
    ]);
    expect(mine(parseLabelledJsonl(jsonl))).toEqual(expected);
  });

  it('reports readiness, metrics, and never logs tokens or post text', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toMatchObject({ database: 'ok', migrations: 'current', model: moderator.modelVersion });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/mod_http_requests_total\{method="POST",route="\/v1\/moderate",status="200"\} \d+/);
    expect(metrics).toMatch(/mod_decisions_total\{decision="reject"\} \d+/);
    expect(metrics).toMatch(/mod_decisions_by_category_total\{decision="reject",category="contact"\} \d+/);
    expect(metrics).toMatch(/mod_decisions_by_category_total\{decision="approve",category="none"\} \d+/);
    expect(metrics).toMatch(/mod_review_queue_depth \d+/);
    expect(metrics).toContain(`mod_model_info{version="${moderator.modelVersion}",role="live",source="bundled"} 1`);
    expect(metrics).toMatch(/mod_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/moderate",status="200"\}/);

    const all = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.lines.every((l) => 'reqId' in JSON.parse(l) || !('req' in JSON.parse(l)))).toBe(true);
    for (const secret of [tokens.alice!, tokens.bob!, 'LINE交換しよ', 'review me', '090-1234-5678']) expect(all).not.toContain(secret);
  });

  it('logs one line per request with its request id, and the health probe only at debug', async () => {
    const before = logs.lines.length;
    const res = await app.inject({ method: 'POST', url: '/v1/moderate', payload: { text: 'おはよう', id: 'log-1' }, headers: { 'x-request-id': 'req-log-1' } });
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const lines = logs.lines.slice(before).map((l) => JSON.parse(l) as { reqId?: string; msg: string; req?: { url: string }; res?: { statusCode: number } });
    expect(lines).toEqual([expect.objectContaining({ reqId: 'req-log-1', msg: 'request completed', req: expect.objectContaining({ url: '/v1/moderate' }), res: { statusCode: 200 } })]);
  });

  it('is not ready while a migration is pending', async () => {
    await env.db.admin("DELETE FROM schema_migrations WHERE version = '0001'");
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('MIGRATIONS_PENDING');
    } finally {
      const m = env.migrations[0]!;
      await env.db.admin('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
    }
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
