// Issue 17, items 8, 9 and 10, as the reporters ran them: over HTTP on
// loopback against real PostgreSQL. Everything stored is storable (a lone
// surrogate inside a rule's span no longer fails the post, nor its batch),
// a failing post's text stays out of the error log, an unauthenticated read
// of a post gets its decision only, and an id names one post.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Category } from '../../src/moderation/categories.js';
import { buildApp, type ServiceModerator } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import { createTestStore } from '../store/test-database.js';

class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/** A parsed JSON answer, as loosely typed as inject()'s json() in the other suites. */
type Json = ReturnType<typeof JSON.parse>;

async function listen(app: ReturnType<typeof buildApp>): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('posts over HTTP on PostgreSQL (issue 17.8, 17.9, 17.10)', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  let base: string;
  const logs = new LogCapture();
  const token = generateToken();

  beforeAll(async () => {
    env = await createTestStore('postgres');
    await env.store.saveModeratorToken('reader', hashToken(token), new Date());
    app = buildApp({ store: env.store, moderator: await loadModerator({ maxTextLength: 1000 }), logger: { level: 'info', stream: logs }, maxTextLength: 1000 });
    base = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const send = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const read = async (id: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/v1/posts/${encodeURIComponent(id)}`, { headers });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const rows = async (ids: string[]) => (await env.db.admin('SELECT id, text, reasons FROM posts WHERE id = ANY($1) ORDER BY id', [ids])).rows as { id: string; text: string; reasons: { span?: { text: string }; message: string }[] }[];

  // A link rule's span runs over the lone half of an emoji (the text was cut in the middle of one).
  const CUT_LINK = 'see http://example.com/\ud83dabc now';

  it('issue 17.8: stores a lone surrogate inside a matched span as U+FFFD, in the text and in the reasons alike', async () => {
    const res = await send('/v1/moderate', { id: 'sur-span', text: CUT_LINK });
    expect(res.status).toBe(200);
    const span = res.body.reasons.find((r: { span?: unknown }) => r.span).span;
    expect(span.text).toBe('http://example.com/\ufffdabc');
    const [row] = await rows(['sur-span']);
    expect(row!.text).toBe('see http://example.com/\ufffdabc now');
    expect(row!.reasons.find((r) => r.span)!.span!.text).toBe('http://example.com/\ufffdabc');
    expect(JSON.stringify(row!.reasons)).not.toMatch(/\\ud83d/i);
    // The answer is what was stored: a retry reads it back the same.
    const again = await send('/v1/moderate', { id: 'sur-span', text: CUT_LINK });
    expect(again).toEqual(res);
  });

  it('issue 17.8: a batch with such an item stores every item', async () => {
    const res = await send('/v1/moderate/batch', {
      items: [
        { id: 'sb-1', text: 'good morning' },
        { id: 'sb-2', text: CUT_LINK },
        { id: 'sb-3', text: 'see you at the station' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { id: string; decision?: string }) => [r.id, typeof r.decision])).toEqual([
      ['sb-1', 'string'],
      ['sb-2', 'string'],
      ['sb-3', 'string'],
    ]);
    expect((await rows(['sb-1', 'sb-2', 'sb-3'])).map((r) => r.id)).toEqual(['sb-1', 'sb-2', 'sb-3']);
  });

  it('issue 17.8: a batch item the moderator cannot take is refused up front, naming the item, and nothing of the batch is stored', async () => {
    // 600 emoji are 600 characters for the schema but 1,200 UTF-16 units for the moderator's limit of 1,000.
    const res = await send('/v1/moderate/batch', {
      items: [
        { id: 'tl-1', text: 'fine' },
        { id: 'tl-2', text: '😀'.repeat(600) },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'TEXT_TOO_LONG', message: expect.stringMatching(/^items\.1\.text: /) });
    expect(await rows(['tl-1', 'tl-2'])).toEqual([]);
  });

  it('issue 17.8: a post the database refuses is a 500 whose log line quotes nothing of the post', async () => {
    // A model that names a category the database does not know: PostgreSQL's
    // check violation details the failing row, text included.
    const unknownCategory: ServiceModerator = {
      modelVersion: 'broken',
      moderate: () => ({ decision: 'reject', category: 'rude' as Category, categories: [], score: 0.99, reasons: [{ code: 'model.reject', message: 'rude' }], modelVersion: 'broken' }),
    };
    const brokenLogs = new LogCapture();
    const broken = buildApp({ store: env.store, moderator: unknownCategory, logger: { level: 'info', stream: brokenLogs } });
    const brokenBase = await listen(broken);
    try {
      const res = await fetch(`${brokenBase}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'refused-1', text: 'my secret words 4417', userId: 'user-4417' }) });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    } finally {
      await broken.close();
    }
    const logged = brokenLogs.lines.map((l) => JSON.parse(l) as { msg: string; err?: { code?: string; constraint?: string } });
    expect(logged.find((l) => l.msg === 'unexpected error')?.err).toMatchObject({ code: '23514', constraint: 'posts_category_known' });
    expect(brokenLogs.lines.join('\n')).not.toMatch(/secret words|4417/);
  });

  it('issue 17.9: without a token a post read answers its decision only; a moderator token reads the whole post; a bad token is refused', async () => {
    const sent = await send('/v1/moderate', { id: 'private-1', text: 'call me on 090-1234-5678', userId: 'user-42', kind: 'message' });
    expect(sent.status).toBe(200);

    const anonymous = await read('private-1');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ id: 'private-1', decision: sent.body.decision, category: sent.body.category, modelVersion: sent.body.modelVersion, createdAt: expect.any(String), review: anonymous.body.review });
    expect(JSON.stringify(anonymous.body)).not.toMatch(/user-42|090|1234|5678/);
    expect(anonymous.headers.get('cache-control')).toContain('private');

    const moderator = await read('private-1', { authorization: `Bearer ${token}` });
    expect(moderator.status).toBe(200);
    expect(moderator.body).toMatchObject({ id: 'private-1', text: 'call me on 090-1234-5678', userId: 'user-42', kind: 'message', reasons: sent.body.reasons, score: sent.body.score });

    for (const authorization of ['Bearer modtok_not-a-token', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const refused = await read('private-1', { authorization });
      expect([refused.status, refused.body.error.code], authorization).toEqual([401, 'UNAUTHORIZED']);
    }
    // An unknown id is the same 404 for everyone.
    expect((await read('nobody-wrote-this')).body.error.code).toBe('POST_NOT_FOUND');
  });

  it('issue 17.10: the same id with another text, kind or user is 409 ID_CONFLICT and changes nothing; the same request again is idempotent', async () => {
    const first = await send('/v1/moderate', { id: 'idem-1', text: 'hello there', userId: 'u-1', kind: 'post' });
    expect(first.status).toBe(200);
    for (const other of [{ text: 'LINE交換しよ！ID教えて', userId: 'u-1', kind: 'post' }, { text: 'hello there', userId: 'u-2', kind: 'post' }, { text: 'hello there', userId: 'u-1', kind: 'message' }, { text: 'hello there' }]) {
      const res = await send('/v1/moderate', { id: 'idem-1', ...other });
      expect([res.status, res.body.error?.code], JSON.stringify(other)).toEqual([409, 'ID_CONFLICT']);
      expect(res.body.error.message).toContain('idem-1');
    }
    const again = await send('/v1/moderate', { id: 'idem-1', text: 'hello there', userId: 'u-1', kind: 'post' });
    expect(again).toEqual(first);
    expect((await env.db.admin("SELECT text, user_id, kind FROM posts WHERE id = 'idem-1'")).rows).toEqual([{ text: 'hello there', user_id: 'u-1', kind: 'post' }]);

    // In a batch, the conflicting item's result is the error; the others are stored and answered.
    const batch = await send('/v1/moderate/batch', {
      items: [
        { id: 'idem-2', text: 'a new post' },
        { id: 'idem-1', text: 'another text' },
        { id: 'idem-1', text: 'hello there', userId: 'u-1', kind: 'post' },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results[0]).toMatchObject({ id: 'idem-2', decision: expect.any(String) });
    expect(batch.body.results[1]).toEqual({ id: 'idem-1', error: { code: 'ID_CONFLICT', message: expect.stringContaining('idem-1') } });
    expect(batch.body.results[2]).toEqual({ id: 'idem-1', ...Object.fromEntries(Object.entries(first.body).filter(([k]) => k !== 'id')) });
    expect((await rows(['idem-2'])).length).toBe(1);
  });
});
