// The dashboard's reads (issue 15) on real PostgreSQL with about two months
// of rows: a day's window walks the indexes (posts_created_at,
// review_labels_decided_at, reviews_pending, service_events_at and
// service_events_instance_at; agreement through review_labels_decided_at), never a sequential scan of posts, labels,
// reviews or events. PostgreSQL only: PGlite's planner is the same code,
// and the embedded database holds one developer's data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_STATEMENTS, readDashboardCounts } from '../../src/store/dashboard-stats-store.js';
import { createTestStore } from './test-database.js';

// The index each statement must walk.
const USES: Record<keyof typeof DASHBOARD_STATEMENTS, RegExp> = {
  POSTS_BY_HOUR: /Index (Only )?Scan using posts_created_at on posts|Bitmap Index Scan on posts_created_at/,
  LABELS_BY_HOUR: /Index (Only )?Scan using review_labels_decided_at|Bitmap Index Scan on review_labels_decided_at/,
  QUEUE: /Index (Only )?Scan using reviews_pending on reviews|Bitmap Index Scan on reviews_pending\b/,
  EVENTS_IN_WINDOW: /Index (Only )?Scan (Backward )?using service_events_at|Bitmap Index Scan on service_events_at/,
  EVENTS_BEFORE: /Index Scan (Backward )?using service_events_instance_at/,
  // Agreement: the window's labels (review_labels_decided_at), not the whole table.
  PAIRS_IN_WINDOW: /Index (Only )?Scan using review_labels_decided_at|Bitmap Index Scan on review_labels_decided_at/,
  CONFLICTS_IN_WINDOW: /Index (Only )?Scan using review_labels_decided_at|Bitmap Index Scan on review_labels_decided_at/,
};

describe('dashboard read plans on postgres', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    env = await createTestStore('postgres');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('plans every read of a day in two months of rows as index scans (no sequential scan of posts, labels or events)', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    // 6000 posts and labels, and 3000 events, one every 15 minutes over about two months.
    await env.db.admin(
      `INSERT INTO posts (id, text, decision, score, reasons, model_version, created_at)
       SELECT 'plan-' || i, 'text', CASE WHEN i % 3 = 0 THEN 'review' ELSE 'approve' END, 0.5, '[]', 'v1', $1::timestamptz + i * interval '15 minutes' FROM generate_series(1, 6000) i`,
      [start],
    );
    await env.db.admin(
      `INSERT INTO reviews (post_id, enqueued_at, state, label, decided_by, decided_at) SELECT 'plan-' || i, $1::timestamptz + i * interval '15 minutes', 'decided', 'ok', 'x', $1::timestamptz + i * interval '15 minutes' FROM generate_series(3, 6000, 3) i`,
      [start],
    );
    await env.db.admin(`INSERT INTO review_labels (post_id, moderator, label, decided_at) SELECT 'plan-' || i, 'x', 'ok', $1::timestamptz + i * interval '15 minutes' FROM generate_series(3, 6000, 3) i`, [start]);
    await env.db.admin(`INSERT INTO service_events (at, instance, revision, model_version, event) SELECT $1::timestamptz + i * interval '30 minutes', 'i-' || (i % 4), 'r' || (i / 100), 'm1', 'start' FROM generate_series(1, 3000) i`, [start]);
    for (const table of ['posts', 'reviews', 'review_labels', 'service_events']) await env.db.admin(`ANALYZE ${table}`);
    const from = new Date('2026-02-10T00:00:00Z');
    const to = new Date('2026-02-11T00:00:00Z');
    const ts = (d: Date) => `'${d.toISOString()}'::timestamptz`;
    for (const [name, text] of Object.entries(DASHBOARD_STATEMENTS)) {
      const sql = text.replaceAll('$1', ts(from)).replaceAll('$2', ts(to));
      const plan = (await env.db.admin(`EXPLAIN ${sql}`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(plan, `${name}\n${plan}`).not.toMatch(/Seq Scan on (posts|review_labels|service_events|reviews)\b/);
      expect(plan, `${name}\n${plan}`).toMatch(USES[name as keyof typeof USES]);
    }
    const counts = await readDashboardCounts(env.store.pool, { from, to });
    expect(counts.posts.reduce((n, r) => n + r.count, 0)).toBe(96);
    expect(counts.labels.reduce((n, r) => n + r.count, 0)).toBe(32);
  });
});
