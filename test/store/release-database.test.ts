// The model canary's read of the env's database (issue 13): the posts each
// model decided since the canary began, counted in SQL by model, decision
// and category; posts before the window and of other models left out. Real
// PostgreSQL and PGlite, posts written by recordPosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import { openReleaseDatabase } from '../../src/store/release-database.js';
import { createTestStore, type Backend } from './test-database.js';

const t0 = new Date('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

function post(id: string, modelVersion: string, decision: NewPost['decision'], category: NewPost['category'] = null): NewPost {
  return { id, kind: null, userId: null, text: `text of ${id}`, decision, category, categories: [], score: 0.5, reasons: [], modelVersion };
}

describe.each<Backend>(['postgres', 'pglite'])('release database on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    env = await createTestStore(backend);
    await env.store.recordPosts([post('before', 'live-1', 'reject', 'scam')], at(0));
    await env.store.recordPosts([post('a', 'live-1', 'approve'), post('b', 'live-1', 'approve'), post('c', 'live-1', 'reject', 'scam'), post('d', 'cand-2', 'reject', 'scam'), post('e', 'cand-2', 'reject', 'scam'), post('f', 'other-3', 'approve')], at(10));
  }, 60_000);
  afterAll(async () => env?.close());

  it("counts the window's posts by model, decision and category", async () => {
    const db = await openReleaseDatabase(env.db.url);
    try {
      const rows = await db.decisionsSince(at(5), ['live-1', 'cand-2']);
      const key = (r: { modelVersion: string; decision: string; category: string | null }) => `${r.modelVersion} ${r.decision} ${r.category}`;
      expect(Object.fromEntries(rows.map((r) => [key(r), r.count]))).toEqual({ 'live-1 approve null': 2, 'live-1 reject scam': 1, 'cand-2 reject scam': 2 });
      expect(await db.decisionsSince(at(11), ['live-1', 'cand-2'])).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
