// The shadow report's reads (issue 13) on posts written by recordPosts with a
// shadow score: versions seen since a time (newest first), the grouped
// counts and the newest example ids of disagreeing groups only, the live
// versions, texts on request; posts the shadow model decided itself left
// out. Real PostgreSQL and PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import { shadowReport } from '../../src/moderation/shadow-report.js';
import type { Decision } from '../../src/moderation/thresholds.js';
import { liveVersionsSince, postTexts, shadowGroupsSince, shadowVersionsSince } from '../../src/store/shadow-report-store.js';
import { createTestStore, type Backend } from './test-database.js';

const t0 = new Date('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

function post(id: string, live: [Decision, string | null], shadow: [Decision, string | null] | null, shadowVersion = 'shadow-2'): NewPost {
  return {
    id,
    kind: null,
    userId: null,
    text: `text of ${id}`,
    decision: live[0],
    category: live[1] as NewPost['category'],
    categories: [],
    score: 0.5,
    reasons: [],
    modelVersion: 'live-1',
    shadow: shadow ? { modelVersion: shadowVersion, decision: shadow[0], category: shadow[1], score: 0.4 } : null,
  };
}

const decidedBy = (modelVersion: string, p: NewPost): NewPost => ({ ...p, modelVersion });

describe.each<Backend>(['postgres', 'pglite'])('shadow report reads on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    env = await createTestStore(backend);
    const s = env.store;
    await s.recordPosts([post('old-1', ['approve', null], ['reject', 'spam'])], at(0)); // before `since`
    await s.recordPosts([post('x-1', ['approve', null], ['approve', null], 'shadow-1')], at(10));
    await s.recordPosts([post('a-1', ['approve', null], ['approve', null]), post('a-2', ['approve', null], ['approve', null]), post('n-1', ['approve', null], null)], at(20));
    await s.recordPosts([post('d-1', ['approve', null], ['review', 'spam'])], at(21));
    await s.recordPosts([post('d-2', ['approve', null], ['review', 'spam']), post('c-1', ['reject', 'contact'], ['reject', 'scam'])], at(22));
    await s.recordPosts([post('d-3', ['approve', null], ['review', 'spam'])], at(23));
    await s.recordPosts([post('r-1', ['reject', 'contact'], ['reject', 'contact'])], at(24));
    // Decided by shadow-2 itself (a model canary whose candidate was also the shadow): compared with itself, left out everywhere.
    await s.recordPosts([decidedBy('shadow-2', post('self-1', ['approve', null], ['approve', null])), decidedBy('shadow-2', post('self-2', ['reject', 'scam'], ['reject', 'scam']))], at(22));
  });
  afterAll(async () => {
    await env?.close();
  });

  it('versions seen since a time, newest first', async () => {
    const versions = await shadowVersionsSince(env.store.pool, at(5));
    expect(versions.map((v) => [v.version, v.posts, v.first.toISOString(), v.last.toISOString()])).toEqual([
      ['shadow-2', 7, at(20).toISOString(), at(24).toISOString()],
      ['shadow-1', 1, at(10).toISOString(), at(10).toISOString()],
    ]);
    expect(await shadowVersionsSince(env.store.pool, at(30))).toEqual([]);
  });

  it("groups with counts; example ids (newest first, at most N) only where the models disagree; the report's numbers", async () => {
    const groups = await shadowGroupsSince(env.store.pool, at(5), 'shadow-2', 2);
    const byKey = Object.fromEntries(groups.map((g) => [`${g.live.decision}/${g.live.category}>${g.shadow.decision}/${g.shadow.category}`, [g.posts, g.examples.map((e) => e.postId)]]));
    expect(byKey).toEqual({
      'approve/null>approve/null': [2, []],
      'approve/null>review/spam': [3, ['d-3', 'd-2']],
      'reject/contact>reject/scam': [1, ['c-1']],
      'reject/contact>reject/contact': [1, []],
    });
    const report = shadowReport(groups, { shadowVersion: 'shadow-2', since: at(5), examples: 2 });
    expect(report.total).toBe(7);
    expect(report.agreement).toMatchObject({ sameDecision: 4, sameDecisionAndCategory: 3 });
    expect(report.matrix.approve).toEqual({ approve: 2, review: 3, reject: 0 });
    expect(report.disagreements.map((d) => [d.live, d.shadow, d.posts, d.examples])).toEqual([
      ['approve', 'review', 3, ['d-3', 'd-2']],
      ['reject', 'reject', 1, ['c-1']],
    ]);
  });

  it('leaves out the posts the shadow model decided itself: not counted, not a live version', async () => {
    const rows = (await env.store.pool.query(`SELECT count(*)::int AS n FROM posts WHERE model_version = shadow_model_version`)).rows as { n: number }[];
    expect(rows[0]!.n).toBe(2);
    expect((await shadowVersionsSince(env.store.pool, at(5)))[0]).toMatchObject({ version: 'shadow-2', posts: 7 });
    const groups = await shadowGroupsSince(env.store.pool, at(5), 'shadow-2', 5);
    expect(groups.reduce((sum, g) => sum + g.posts, 0)).toBe(7);
    expect(await liveVersionsSince(env.store.pool, at(5), 'shadow-2')).not.toContain('shadow-2');
  });

  it('live versions and texts of the examples', async () => {
    expect(await liveVersionsSince(env.store.pool, at(5), 'shadow-2')).toEqual(['live-1']);
    const texts = await postTexts(env.store.pool, ['d-3', 'c-1']);
    expect(Object.fromEntries(texts)).toEqual({ 'd-3': 'text of d-3', 'c-1': 'text of c-1' });
    expect((await postTexts(env.store.pool, [])).size).toBe(0);
  });
});
