// Migration 0002 (post categories) on a database that already holds posts,
// (then 0003 and 0004, which the queue and recordPosts need)
// reviews and labels written before it, on real PostgreSQL and PGlite: the
// old rows read back as category null with no scores, a repeated old id
// keeps its first decision, and new rows carry their category (a word the
// policy does not know is refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLabel } from '../../src/moderation/label-format.js';
import { loadMigrations, migrate, migrationStatus, type Migration } from '../../src/store/migrations.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { createTestDatabase, type Backend, type TestDatabase } from './test-database.js';

describe.each<Backend>(['postgres', 'pglite'])('migration 0002_post_categories on %s', (backend) => {
  let db: TestDatabase;
  let store: PostgresStore;
  let migrations: Migration[];
  const at = new Date('2026-01-02T03:04:05Z');

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    migrations = await loadMigrations();
    store = PostgresStore.open({ url: db.url, migrations });
    // The schema as it was before categories, with rows written then.
    await migrate(
      store.pool,
      migrations.filter((m) => m.version === '0001'),
    );
    await db.admin(
      `INSERT INTO posts (id, kind, user_id, text, decision, score, reasons, model_version, created_at) VALUES
       ('old-review', 'message', 'u1', 'an old post to review', 'review', 0.5, '[]', 'v1', $1),
       ('old-reject', NULL, NULL, 'an old rejected post', 'reject', 0.99, '[{"code":"contact.phone","message":"a phone number"}]', 'v1', $1),
       ('old-labelled', NULL, NULL, 'an old labelled post', 'review', 0.6, '[]', 'v1', $1)`,
      [at],
    );
    await db.admin(
      `INSERT INTO reviews (post_id, enqueued_at, state, label, category, decided_by, decided_at) VALUES
       ('old-review', $1, 'pending', NULL, NULL, NULL, NULL),
       ('old-labelled', $1, 'decided', 'ng', 'spam', 'carol', $1)`,
      [at],
    );
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('applies to the old rows, which read back as category null with no scores', async () => {
    const upTo0002 = migrations.filter((m) => m.version <= '0002');
    expect((await migrationStatus(store.pool, upTo0002)).pending.map((m) => m.file)).toEqual(['0002_post_categories.sql']);
    expect((await migrate(store.pool, upTo0002)).applied.map((m) => m.file)).toEqual(['0002_post_categories.sql']);
    expect((await db.admin("SELECT category, categories FROM posts WHERE id = 'old-reject'")).rows).toEqual([{ category: null, categories: null }]);

    expect(await store.getPost('old-reject')).toMatchObject({ id: 'old-reject', decision: 'reject', category: null, categories: [], score: 0.99, review: null });
    expect(await store.getPost('old-labelled')).toMatchObject({ category: null, categories: [], review: { state: 'decided', label: 'ng', category: 'spam' } });

    // The later migrations (0003 shadow scores, 0004 review priority): the queue and recordPosts use their columns; old reviews have no margin.
    expect((await migrate(store.pool, migrations)).applied.map((m) => m.version)).toEqual(migrations.filter((m) => m.version > '0002').map((m) => m.version));
    const claimed = await store.claimReviews('alice', 10, at, new Date(at.getTime() + 60_000));
    expect(claimed.map((r) => [r.postId, r.category, r.categories, r.margin, r.reason])).toEqual([['old-review', null, [], null, 'oldest']]);

    // The old label's category is a policy word: exported as that category.
    const labels = [];
    for await (const label of store.labels()) labels.push(label);
    expect(labels).toEqual([{ postId: 'old-labelled', text: 'an old labelled post', label: 'ng', category: 'spam', decidedBy: 'carol', decidedAt: at, conflict: false }]);
    expect(formatLabel(labels[0]!, 'csv')).toBe(`"an old labelled post",spam,"spam","old-labelled",${at.toISOString()}\n`);
  });

  it('answers a repeated old id with its first decision, and stores new posts with their category', async () => {
    const recorded = await store.recordPosts(
      [
        { id: 'old-reject', kind: null, userId: null, text: 'an old rejected post', decision: 'review', category: 'scam', categories: [{ name: 'scam', score: 0.4 }], score: 0.4, reasons: [], modelVersion: 'v2' },
        { id: 'new-1', kind: null, userId: null, text: 'invest with me', decision: 'review', category: 'scam', categories: [{ name: 'scam', score: 0.4 }], score: 0.4, reasons: [], modelVersion: 'v2' },
      ],
      at,
    );
    expect(recorded).toEqual([
      { id: 'old-reject', created: false, decision: 'reject', category: null, categories: [], score: 0.99, reasons: [{ code: 'contact.phone', message: 'a phone number' }], modelVersion: 'v1' },
      { id: 'new-1', created: true, decision: 'review', category: 'scam', categories: [{ name: 'scam', score: 0.4 }], score: 0.4, reasons: [], modelVersion: 'v2' },
    ]);
    expect(await store.getPost('new-1')).toMatchObject({ category: 'scam', categories: [{ name: 'scam', score: 0.4 }], review: { state: 'pending' } });

    const refused = await db.admin(`INSERT INTO posts (id, text, decision, category, score, reasons, model_version, created_at) VALUES ('bad', 't', 'review', 'rude', 0.5, '[]', 'v2', now())`).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: '23514', constraint: 'posts_category_known' });
  });
});
