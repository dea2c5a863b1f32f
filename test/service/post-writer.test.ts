// Group commit against real PostgreSQL: requests that arrive together share
// one statement (categories included), and a post the database refuses for
// its data fails only its own request, not the others that shared the
// statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostWriter } from '../../src/service/post-writer.js';
import type { NewPost, PostgresStore, RecordedDecision } from '../../src/store/postgres-store.js';
import { createTestStore } from '../store/test-database.js';

const post = (id: string, text = 'hello'): NewPost => ({ id, kind: null, userId: null, text, decision: 'approve', category: null, categories: [], score: 0.01, reasons: [], modelVersion: 'test' });

describe('PostWriter on PostgreSQL', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  const statements: number[] = [];
  let store: PostgresStore;

  beforeAll(async () => {
    env = await createTestStore('postgres');
    // Counts the posts of each statement the writer sends (the real store does the work).
    store = Object.assign(Object.create(env.store) as PostgresStore, {
      recordPosts: (posts: NewPost[], at: Date): Promise<RecordedDecision[]> => {
        statements.push(posts.length);
        return env.store.recordPosts(posts, at);
      },
    });
  });
  afterAll(async () => {
    await env?.close();
  });
  const stored = async (ids: string[]) => (await env.db.admin('SELECT id FROM posts WHERE id = ANY($1) ORDER BY id', [ids])).rows.map((r) => r.id as string);

  it('writes requests that arrive in the same turn in one statement', async () => {
    statements.length = 0;
    const writer = new PostWriter(store, () => new Date(), { maxConcurrent: 1 });
    const results = await Promise.all(['g-1', 'g-2', 'g-3'].map((id) => writer.write([post(id)])));
    expect(results.map((r) => r[0]!.created)).toEqual([true, true, true]);
    expect(statements).toEqual([3]);
    expect(await stored(['g-1', 'g-2', 'g-3'])).toEqual(['g-1', 'g-2', 'g-3']);
  });

  it("stores each post's category and scores, and gives a repeated id the first one's, in one statement or later", async () => {
    statements.length = 0;
    const writer = new PostWriter(store, () => new Date(), { maxConcurrent: 1 });
    const scam: NewPost = {
      ...post('k-1', 'invest now'),
      decision: 'reject',
      category: 'scam',
      categories: [
        { name: 'scam', score: 0.9 },
        { name: 'spam', score: 0.05 },
      ],
      score: 0.95,
    };
    const [first, other, repeat] = await Promise.all([writer.write([scam]), writer.write([post('k-2')]), writer.write([{ ...scam }])]);
    expect(statements).toEqual([2]);
    const firstDecision = { id: 'k-1', decision: 'reject', category: 'scam', categories: scam.categories, score: 0.95, reasons: [], modelVersion: 'test' };
    expect(first).toEqual([{ ...firstDecision, created: true }]);
    expect(repeat).toEqual([{ ...firstDecision, created: false }]);
    expect(other).toEqual([{ id: 'k-2', decision: 'approve', category: null, categories: [], score: 0.01, reasons: [], modelVersion: 'test', created: true }]);
    // Read back from the table this time (the id existed before the statement).
    expect(await writer.write([{ ...scam }])).toEqual([{ ...firstDecision, created: false }]);
    expect((await env.db.admin("SELECT id, category, categories FROM posts WHERE id IN ('k-1', 'k-2') ORDER BY id")).rows).toEqual([
      { id: 'k-1', category: 'scam', categories: scam.categories },
      { id: 'k-2', category: null, categories: [] },
    ]);
  });

  it('stores the others when the database refuses one post of a shared statement (a NUL in its text)', async () => {
    statements.length = 0;
    const writer = new PostWriter(store, () => new Date(), { maxConcurrent: 1 });
    const outcomes = await Promise.allSettled([writer.write([post('n-1')]), writer.write([post('n-bad', 'a\u0000b')]), writer.write([post('n-2')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // PostgreSQL's words for it: "unsupported Unicode escape sequence" (json) or "invalid byte sequence ... 0x00" (text).
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/unsupported Unicode escape|0x00/);
    // One shared statement failed, then each request was written on its own.
    expect(statements).toEqual([3, 1, 1, 1]);
    expect(await stored(['n-1', 'n-2', 'n-bad'])).toEqual(['n-1', 'n-2']);
  });

  it('issue 17.10: tells a repeated request from another post under the same id, in one statement or later', async () => {
    statements.length = 0;
    const writer = new PostWriter(store, () => new Date(), { maxConcurrent: 1 });
    const [a, sameAsA, b] = await Promise.all([writer.write([post('x-1', 'first text')]), writer.write([post('x-1', 'first text')]), writer.write([post('x-1', 'second text')])]);
    // The other text waits for a statement of its own, where the store compares it with the stored post.
    expect(statements).toEqual([1, 1]);
    const decision = { id: 'x-1', decision: 'approve', category: null, categories: [], score: 0.01, reasons: [], modelVersion: 'test' };
    expect([a, sameAsA, b]).toEqual([[{ ...decision, created: true }], [{ ...decision, created: false }], [{ ...decision, created: false, conflict: true }]]);
    expect(await writer.write([post('x-1', 'first text')])).toEqual([{ ...decision, created: false }]);
    expect(await writer.write([{ ...post('x-1', 'first text'), userId: 'someone else' }])).toEqual([{ ...decision, created: false, conflict: true }]);
    expect((await env.db.admin("SELECT text FROM posts WHERE id = 'x-1'")).rows).toEqual([{ text: 'first text' }]);
  });
});
