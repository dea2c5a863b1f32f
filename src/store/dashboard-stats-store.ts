// The dashboard's counts (issue 15) and the service events they draw the
// revision / model timeline from (migration 0006). Every read is bounded by
// the window [from, to) and walks an index: posts through posts_created_at,
// labels through review_labels_decided_at, the queue through reviews_pending
// (a partial index: pending reviews only), the events through
// service_events_at and, for what ran before the window, one index probe
// per instance on service_events_instance_at; agreement covers the reviews
// whose second label was given in the window (found through
// review_labels_decided_at, their labels by primary key). Nothing reads posts
// or labels outside the window (GET /v1/reviews/agreement is the all-time
// figure). Hours are counted in UTC by epoch arithmetic, whatever the
// session's TimeZone. The statements are unnamed: the dashboard polls them
// rarely, and a plan made for its window is a better plan.
import { labelWord } from '../moderation/agreement.js';
import type { DashboardCounts, ServiceEvent } from '../moderation/dashboard-stats.js';
import type { Label } from '../moderation/labelled-data.js';
import type { SecondOpinionStats } from '../moderation/post-records.js';
import { MAX_CONFLICT_IDS, type Queryable } from './second-opinion-stats.js';
import type { Decision } from '../moderation/thresholds.js';

/** The most service events a window lists (the newest): a crash-looping fleet must not make the answer unbounded. */
export const MAX_TIMELINE_EVENTS = 1000;

const HOUR = 'floor(extract(epoch FROM $COLUMN) / 3600)::bigint * 3600';

const POSTS_BY_HOUR = `
SELECT ${HOUR.replace('$COLUMN', 'created_at')} AS hour, decision, category, count(*)::int AS n
FROM posts
WHERE created_at >= $1 AND created_at < $2
GROUP BY 1, 2, 3`;

const LABELS_BY_HOUR = `
SELECT ${HOUR.replace('$COLUMN', 'decided_at')} AS hour, count(*)::int AS n
FROM review_labels
WHERE decided_at >= $1 AND decided_at < $2
GROUP BY 1`;

const QUEUE = `SELECT count(*)::int AS depth, min(enqueued_at) AS oldest FROM reviews WHERE state = 'pending'`;

const EVENT_COLUMNS = 'id, at, instance, revision, model_version, event';

const EVENTS_IN_WINDOW = `
SELECT ${EVENT_COLUMNS} FROM service_events
WHERE at >= $1 AND at < $2
ORDER BY at DESC, id DESC
LIMIT ${MAX_TIMELINE_EVENTS}`;

// The last event before the window of each instance seen in it, and the last event before it of any instance.
const EVENTS_BEFORE = `
SELECT last.* FROM (SELECT DISTINCT instance FROM service_events WHERE at >= $1 AND at < $2) seen
CROSS JOIN LATERAL (
  SELECT ${EVENT_COLUMNS} FROM service_events e WHERE e.instance = seen.instance AND e.at < $1 ORDER BY e.at DESC, e.id DESC LIMIT 1
) last
UNION ALL
(SELECT ${EVENT_COLUMNS} FROM service_events WHERE at < $1 ORDER BY at DESC, id DESC LIMIT 1)`;

const INSERT_EVENT = 'INSERT INTO service_events (at, instance, revision, model_version, release_id, event) VALUES ($1, $2, $3, $4, $5, $6)';

interface EventRow {
  id: string;
  at: Date;
  instance: string;
  revision: string | null;
  model_version: string;
  event: ServiceEvent['event'];
}

const toEvent = (r: EventRow): ServiceEvent => ({ at: r.at, instance: r.instance, revision: r.revision, model: r.model_version, event: r.event });
const oldestFirst = (a: EventRow, b: EventRow) => a.at.getTime() - b.at.getTime() || Number(a.id) - Number(b.id);

/** The counts of the window [from, to) and the queue as it is now. */
export async function readDashboardCounts(db: Queryable, window: { from: Date; to: Date }): Promise<DashboardCounts> {
  const range = [window.from, window.to];
  const posts = await db.query<{ hour: string; decision: Decision; category: string | null; n: number }>(POSTS_BY_HOUR, range);
  const labels = await db.query<{ hour: string; n: number }>(LABELS_BY_HOUR, range);
  const queue = await db.query<{ depth: number; oldest: Date | null }>(QUEUE, []);
  const events = await db.query<EventRow>(EVENTS_IN_WINDOW, range);
  const before = await db.query<EventRow>(EVENTS_BEFORE, range);
  const hour = (epochSeconds: string) => new Date(Number(epochSeconds) * 1000);
  return {
    posts: posts.rows.map((r) => ({ hour: hour(r.hour), decision: r.decision, category: r.category, count: r.n })),
    labels: labels.rows.map((r) => ({ hour: hour(r.hour), count: r.n })),
    queue: { depth: queue.rows[0]?.depth ?? 0, oldestEnqueuedAt: queue.rows[0]?.oldest ?? null },
    events: events.rows.sort(oldestFirst).map(toEvent),
    before: before.rows.sort(oldestFirst).map(toEvent),
  };
}

// The two-opinion reviews decided in the window: a review is decided by its second label, so its decided_at is that label's.
const DECIDED_PAIRS_IN_WINDOW = `
SELECT r.post_id, r.conflict, r.decided_at FROM reviews r
WHERE r.post_id IN (SELECT post_id FROM review_labels WHERE decided_at >= $1 AND decided_at < $2)
  AND r.state = 'decided' AND r.opinions_needed = 2 AND r.decided_at >= $1 AND r.decided_at < $2`;

const PAIRS_IN_WINDOW = `
WITH decided AS (${DECIDED_PAIRS_IN_WINDOW}),
ranked AS (
  SELECT l.post_id, l.label, l.category, row_number() OVER (PARTITION BY l.post_id ORDER BY l.decided_at, l.moderator) AS n
  FROM review_labels l WHERE l.post_id IN (SELECT post_id FROM decided)
)
SELECT f.label AS first_label, f.category AS first_category, s.label AS second_label, s.category AS second_category, count(*)::int AS n
FROM ranked f JOIN ranked s ON s.post_id = f.post_id AND s.n = 2
WHERE f.n = 1
GROUP BY 1, 2, 3, 4`;

const CONFLICTS_IN_WINDOW = `
WITH decided AS (${DECIDED_PAIRS_IN_WINDOW})
SELECT (SELECT count(*)::int FROM decided WHERE conflict) AS count,
       COALESCE((SELECT json_agg(post_id) FROM (SELECT post_id FROM decided WHERE conflict ORDER BY decided_at DESC, post_id DESC LIMIT ${MAX_CONFLICT_IDS}) newest), '[]'::json) AS ids`;

/** The label pairs and conflicts of the two-opinion reviews decided in [from, to) (the dashboard's agreement: the window's, not all time). */
export async function readWindowSecondOpinions(db: Queryable, window: { from: Date; to: Date }): Promise<SecondOpinionStats> {
  const range = [window.from, window.to];
  const pairs = await db.query<{ first_label: Label; first_category: string | null; second_label: Label; second_category: string | null; n: number }>(PAIRS_IN_WINDOW, range);
  const conflicts = await db.query<{ count: number; ids: string[] }>(CONFLICTS_IN_WINDOW, range);
  return {
    pairs: pairs.rows.map((r) => ({ first: labelWord(r.first_label, r.first_category), second: labelWord(r.second_label, r.second_category), count: r.n })),
    conflicts: { count: conflicts.rows[0]?.count ?? 0, ids: conflicts.rows[0]?.ids ?? [] },
  };
}

/** One row: a service process started, or swapped its models. */
export async function recordServiceEvent(db: Queryable, event: ServiceEvent & { releaseId?: string | null }): Promise<void> {
  await db.query(INSERT_EVENT, [event.at, event.instance, event.revision, event.model, event.releaseId ?? null, event.event]);
}

/** Exported for the plan test (test/store/dashboard-stats-plan.test.ts). */
export const DASHBOARD_STATEMENTS = { POSTS_BY_HOUR, LABELS_BY_HOUR, QUEUE, EVENTS_IN_WINDOW, EVENTS_BEFORE, PAIRS_IN_WINDOW, CONFLICTS_IN_WINDOW };
