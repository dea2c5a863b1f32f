// The reviews two moderators labelled (issue 13): their label pairs counted
// by (first, second) word and the conflicts, newest first. One read shared
// by GET /v1/reviews/agreement (PostgresStore) and `mod model eval
// --agreement` (a pg client on the env's database). Both statements are
// unnamed: they run rarely and read whole tables (review_labels, the
// decided two-opinion reviews), so a cached plan buys nothing.
import type pg from 'pg';
import { labelWord } from '../moderation/agreement.js';
import type { Label } from '../moderation/labelled-data.js';
import type { SecondOpinionStats } from '../moderation/post-records.js';

/** The most conflict ids a report lists. */
export const MAX_CONFLICT_IDS = 100;

// The two labels of each decided review that needed two, in the order they were given.
const SECOND_OPINION_PAIRS = `
WITH ranked AS (
  SELECT l.post_id, l.label, l.category, row_number() OVER (PARTITION BY l.post_id ORDER BY l.decided_at, l.moderator) AS n
  FROM review_labels l JOIN reviews r ON r.post_id = l.post_id
  WHERE r.state = 'decided' AND r.opinions_needed = 2
)
SELECT f.label AS first_label, f.category AS first_category, s.label AS second_label, s.category AS second_category, count(*)::int AS n
FROM ranked f JOIN ranked s ON s.post_id = f.post_id AND s.n = 2
WHERE f.n = 1
GROUP BY 1, 2, 3, 4`;

const CONFLICTS = `
SELECT (SELECT count(*)::int FROM reviews WHERE conflict) AS count,
       COALESCE((SELECT json_agg(post_id) FROM (SELECT post_id FROM reviews WHERE conflict ORDER BY decided_at DESC, post_id DESC LIMIT ${MAX_CONFLICT_IDS}) newest), '[]'::json) AS ids`;

/** Anything that runs a parameterised query: a pg client or pool, or the store's wrapper. */
export type Queryable = { query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> };

export async function readSecondOpinionStats(db: Queryable): Promise<SecondOpinionStats> {
  const pairs = await db.query<{ first_label: Label; first_category: string | null; second_label: Label; second_category: string | null; n: number }>(SECOND_OPINION_PAIRS, []);
  const conflicts = await db.query<{ count: number; ids: string[] }>(CONFLICTS, []);
  return {
    pairs: pairs.rows.map((r) => ({ first: labelWord(r.first_label, r.first_category), second: labelWord(r.second_label, r.second_category), count: r.n })),
    conflicts: { count: conflicts.rows[0]?.count ?? 0, ids: conflicts.rows[0]?.ids ?? [] },
  };
}
