// The review queue in the store (issue 13), on real PostgreSQL and PGlite:
// overdue posts first, then the smallest margins (none last), or the oldest;
// two moderators claiming at once get disjoint posts; second opinions (two
// labels, a conflict when they differ, one moderator never twice); the
// label pairs for the agreement report; the conflict flag on labels(). On
// PostgreSQL, the claim's plan on a few thousand rows uses the two indexes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import { CLAIM_REVIEWS, type PostgresStore } from '../../src/store/postgres-store.js';
import { createTestStore, type Backend } from './test-database.js';

const post = (id: string, margin: number | undefined, text = `text of ${id}`): NewPost => ({
  id,
  kind: null,
  userId: null,
  text,
  decision: 'review',
  category: 'spam',
  categories: [{ name: 'spam', score: 0.5 }],
  score: 0.5,
  reasons: [],
  modelVersion: 'v1',
  ...(margin === undefined ? {} : { margin }),
});

const t0 = new Date('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

describe.each<Backend>(['postgres', 'pglite'])('review queue on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let store: PostgresStore;

  beforeAll(async () => {
    env = await createTestStore(backend);
    store = env.store;
  });
  afterAll(async () => {
    await env?.close();
  });

  const clear = () => env.db.admin('TRUNCATE review_labels, reviews, posts');
  const now = at(600);
  const until = at(610);
  // Posts enqueued at or before minute 100 are overdue at `now`.
  const overdueBefore = at(100);

  async function seed(): Promise<void> {
    await clear();
    await store.recordPosts([post('old-sure', 0.4)], at(0)); // overdue, sure
    await store.recordPosts([post('old-none', undefined)], at(10)); // overdue, no margin
    await store.recordPosts([post('none-1', undefined)], at(200));
    await store.recordPosts([post('m-30', 0.3), post('m-01', 0.01)], at(300));
    await store.recordPosts([post('m-20', 0.2), post('none-2', undefined)], at(400));
  }

  it('serves overdue posts first (oldest first), then the smallest margins, then posts without one (oldest first)', async () => {
    await seed();
    const items = await store.claimReviews('alice', 100, now, until, { order: 'uncertain', overdueBefore });
    expect(items.map((r) => [r.postId, r.reason, r.margin])).toEqual([
      ['old-sure', 'overdue', 0.4],
      ['old-none', 'overdue', null],
      ['m-01', 'uncertain', 0.01],
      ['m-20', 'uncertain', 0.2],
      ['m-30', 'uncertain', 0.3],
      ['none-1', 'oldest', null],
      ['none-2', 'oldest', null],
    ]);
    // A limit takes the head of that order.
    await clear();
    await seed();
    expect((await store.claimReviews('bob', 3, now, until, { order: 'uncertain', overdueBefore })).map((r) => r.postId)).toEqual(['old-sure', 'old-none', 'm-01']);
    expect((await store.claimReviews('carol', 2, now, until, { order: 'uncertain', overdueBefore })).map((r) => r.postId)).toEqual(['m-20', 'm-30']);
  });

  it('order oldest: overdue first, then by age', async () => {
    await seed();
    const items = await store.claimReviews('alice', 100, now, until, { order: 'oldest', overdueBefore });
    expect(items.map((r) => [r.postId, r.reason])).toEqual([
      ['old-sure', 'overdue'],
      ['old-none', 'overdue'],
      ['none-1', 'oldest'],
      ['m-01', 'oldest'],
      ['m-30', 'oldest'],
      ['m-20', 'oldest'],
      ['none-2', 'oldest'],
    ]);
  });

  it('gives two moderators claiming at once disjoint posts, and re-serves a moderator its own claims', async () => {
    await clear();
    await store.recordPosts(
      Array.from({ length: 40 }, (_, i) => post(`c-${String(i).padStart(2, '0')}`, (i % 7) / 10)),
      at(500),
    );
    const [a, b] = await Promise.all([store.claimReviews('alice', 25, now, until, { order: 'uncertain', overdueBefore }), store.claimReviews('bob', 25, now, until, { order: 'uncertain', overdueBefore })]);
    const ids = [...a, ...b].map((r) => r.postId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(40);
    const again = await store.claimReviews('alice', 40, now, until, { order: 'uncertain', overdueBefore });
    expect(again.map((r) => r.postId).sort()).toEqual(a.map((r) => r.postId).sort());
  });

  it('second opinion: the first label leaves the review pending for another moderator; the same labels decide it, different ones decide it as a conflict', async () => {
    await clear();
    await store.recordPosts([post('two-same', 0.1), post('two-diff', 0.2), post('one', 0.3)], at(500));
    await store.claimReviews('alice', 10, now, until, { order: 'uncertain', overdueBefore });

    expect(await store.decideReview('two-same', 'alice', 'ng', 'spam', at(601), 2)).toEqual({ outcome: 'decided', state: 'pending', secondOpinion: true, conflict: false });
    expect(await store.decideReview('two-same', 'alice', 'ng', 'spam', at(602), 2)).toEqual({ outcome: 'already_labelled' });
    expect(await store.decideReview('two-diff', 'alice', 'ng', 'scam', at(603), 2)).toMatchObject({ state: 'pending' });
    // A one-opinion review is decided by its only label.
    expect(await store.decideReview('one', 'alice', 'ok', null, at(604), 1)).toEqual({ outcome: 'decided', state: 'decided', secondOpinion: false, conflict: false });
    expect(await store.decideReview('one', 'alice', 'ok', null, at(605), 1)).toEqual({ outcome: 'already_decided' });

    // alice never gets them again; bob does (the claim was released).
    expect(await store.claimReviews('alice', 10, at(606), at(700), { order: 'uncertain', overdueBefore })).toEqual([]);
    expect((await store.claimReviews('bob', 10, at(606), at(700), { order: 'uncertain', overdueBefore })).map((r) => r.postId)).toEqual(['two-same', 'two-diff']);
    expect(await store.decideReview('two-same', 'carol', 'ok', null, at(607), 1)).toEqual({ outcome: 'claimed_by_other' });
    // The share fixed at the first label holds, whatever the second caller says.
    expect(await store.decideReview('two-same', 'bob', 'ng', 'spam', at(608), 1)).toEqual({ outcome: 'decided', state: 'decided', secondOpinion: true, conflict: false });
    expect(await store.decideReview('two-diff', 'bob', 'ok', null, at(609), 2)).toEqual({ outcome: 'decided', state: 'decided', secondOpinion: true, conflict: true });
    expect(await store.decideReview('two-diff', 'carol', 'ok', null, at(610), 2)).toEqual({ outcome: 'already_decided' });
    expect(await store.decideReview('nope', 'bob', 'ok', null, at(610), 2)).toEqual({ outcome: 'not_found' });

    // The later label is the review's; the conflict is flagged on it and on labels().
    expect((await store.getPost('two-diff'))?.review).toMatchObject({ state: 'decided', label: 'ok', category: null, decidedBy: 'bob' });
    const labels = [];
    for await (const l of store.labels()) labels.push(l);
    expect(labels.map((l) => [l.postId, l.label, l.category, l.conflict])).toEqual([
      ['one', 'ok', null, false],
      ['two-same', 'ng', 'spam', false],
      ['two-diff', 'ok', null, true],
    ]);
    expect((await env.db.admin('SELECT post_id, moderator, label, category FROM review_labels ORDER BY decided_at')).rows).toEqual([
      { post_id: 'two-same', moderator: 'alice', label: 'ng', category: 'spam' },
      { post_id: 'two-diff', moderator: 'alice', label: 'ng', category: 'scam' },
      { post_id: 'one', moderator: 'alice', label: 'ok', category: null },
      { post_id: 'two-same', moderator: 'bob', label: 'ng', category: 'spam' },
      { post_id: 'two-diff', moderator: 'bob', label: 'ok', category: null },
    ]);

    const stats = await store.secondOpinionStats();
    expect([...stats.pairs].sort((x, y) => x.first.localeCompare(y.first))).toEqual([
      { first: 'scam', second: 'ok', count: 1 },
      { first: 'spam', second: 'spam', count: 1 },
    ]);
    expect(stats.conflicts).toEqual({ count: 1, ids: ['two-diff'] });
  });

  it('serialises two second labels given at the same moment: one decides, the other is refused', async () => {
    await clear();
    await store.recordPosts([post('race', 0.1)], at(500));
    await store.decideReview('race', 'alice', 'ok', null, at(601), 2);
    const results = await Promise.all([store.decideReview('race', 'bob', 'ok', null, at(602), 2), store.decideReview('race', 'carol', 'ng', 'spam', at(602), 2)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already_decided', 'decided']);
    expect(Number((await env.db.admin("SELECT count(*) AS n FROM review_labels WHERE post_id = 'race'")).rows[0].n)).toBe(2);
  });

  it.runIf(backend === 'postgres')('plans the claim as index scans on a few thousand pending reviews (reviews_pending for age, reviews_pending_margin for margin)', async () => {
    await clear();
    await env.db.admin(
      `INSERT INTO posts (id, text, decision, score, reasons, model_version, created_at)
       SELECT 'p' || i, 'text ' || i, 'review', 0.5, '[]', 'v1', $1::timestamptz + i * interval '1 second' FROM generate_series(1, 4000) i`,
      [t0],
    );
    await env.db.admin(
      `INSERT INTO reviews (post_id, enqueued_at, margin, state, label, decided_by, decided_at)
       SELECT 'p' || i, $1::timestamptz + i * interval '1 second', CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 997) / 997.0 END,
              CASE WHEN i % 4 = 0 THEN 'decided' ELSE 'pending' END, CASE WHEN i % 4 = 0 THEN 'ok' END, CASE WHEN i % 4 = 0 THEN 'x' END, CASE WHEN i % 4 = 0 THEN $1::timestamptz END
       FROM generate_series(1, 4000) i`,
      [t0],
    );
    await env.db.admin('ANALYZE posts');
    await env.db.admin('ANALYZE reviews');
    await env.db.admin('ANALYZE review_labels');
    for (const [order, text] of Object.entries(CLAIM_REVIEWS)) {
      await env.db.admin(`PREPARE claim_${order} AS ${text}`);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await env.db.admin(`SET plan_cache_mode = ${mode}`);
        await env.db.admin('BEGIN');
        const ts = (d: Date) => `'${d.toISOString()}'::timestamptz`;
        const plan = (await env.db.admin(`EXPLAIN EXECUTE claim_${order}('alice', ${ts(at(9000))}, ${ts(at(9010))}, 20, ${ts(new Date(t0.getTime() + 3000))})`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        await env.db.admin('ROLLBACK');
        expect(plan, `${order} ${mode}\n${plan}`).not.toMatch(/Seq Scan on reviews/);
        expect(plan, `${order} ${mode}\n${plan}`).toMatch(/Index Scan using reviews_pending on reviews/);
        if (order === 'uncertain') expect(plan, `${order} ${mode}\n${plan}`).toMatch(/Index Scan using reviews_pending_margin on reviews/);
      }
      await env.db.admin(`DEALLOCATE claim_${order}`);
    }
    await env.db.admin('RESET plan_cache_mode');
    const items = await store.claimReviews('alice', 20, at(9000), at(9010), { order: 'uncertain', overdueBefore: new Date(t0.getTime() + 3000) });
    expect(items.slice(0, 3).map((r) => r.reason)).toEqual(['overdue', 'overdue', 'overdue']);
    expect(items.slice(3).every((r) => r.reason === 'uncertain')).toBe(true);
  });
});
