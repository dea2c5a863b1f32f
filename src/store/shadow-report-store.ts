// What `mod model shadow-report` reads from an environment's database (issue
// 13): the posts a shadow model scored since a time (posts.shadow_*, migration
// 0003), counted per (live decision, live category, shadow decision, shadow
// category) with the newest few post ids of each group. A post the shadow
// model decided itself (model_version = shadow_model_version: a model canary
// whose candidate was also the shadow, stored before the service stopped
// scoring those) compares the model with itself: every query leaves it out.
// Every query walks posts_created_at (created_at >= since); no other index
// is needed.
import type pg from 'pg';
import type { ShadowGroup, ShadowVersionSeen } from '../moderation/shadow-report.js';
import type { Decision } from '../moderation/thresholds.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

const VERSIONS_SINCE = `
SELECT shadow_model_version AS version, count(*)::int AS posts, min(created_at) AS first, max(created_at) AS last
FROM posts
WHERE created_at >= $1 AND shadow_model_version IS NOT NULL AND model_version IS DISTINCT FROM shadow_model_version
GROUP BY shadow_model_version
ORDER BY max(created_at) DESC, shadow_model_version`;

const GROUPS_SINCE = `
SELECT decision, category, shadow_decision, shadow_category, count(*)::int AS posts,
       -- ids only for groups where the models disagree (every row of a group agrees alike)
       (array_agg(id ORDER BY created_at DESC, id) FILTER (WHERE decision IS DISTINCT FROM shadow_decision OR category IS DISTINCT FROM shadow_category))[1:$3] AS example_ids,
       (array_agg(created_at ORDER BY created_at DESC, id) FILTER (WHERE decision IS DISTINCT FROM shadow_decision OR category IS DISTINCT FROM shadow_category))[1:$3] AS example_times
FROM posts
WHERE created_at >= $1 AND shadow_model_version = $2 AND shadow_decision IS NOT NULL AND model_version IS DISTINCT FROM shadow_model_version
GROUP BY decision, category, shadow_decision, shadow_category`;

const LIVE_VERSIONS = `
SELECT DISTINCT model_version FROM posts
WHERE created_at >= $1 AND shadow_model_version = $2 AND model_version IS DISTINCT FROM shadow_model_version
ORDER BY model_version`;

const TEXTS = 'SELECT id, text FROM posts WHERE id = ANY($1::text[])';

/** The shadow versions that scored posts since `since`, newest first. */
export async function shadowVersionsSince(client: Queryable, since: Date): Promise<ShadowVersionSeen[]> {
  const { rows } = await client.query<{ version: string; posts: number; first: Date; last: Date }>(VERSIONS_SINCE, [since]);
  return rows.map((r) => ({ version: r.version, posts: r.posts, first: r.first, last: r.last }));
}

/** The posts `version` shadowed since `since`, grouped; at most `examples` newest ids per group. */
export async function shadowGroupsSince(client: Queryable, since: Date, version: string, examples: number): Promise<ShadowGroup[]> {
  const { rows } = await client.query<{ decision: Decision; category: string | null; shadow_decision: Decision; shadow_category: string | null; posts: number; example_ids: string[] | null; example_times: Date[] | null }>(GROUPS_SINCE, [since, version, examples]);
  return rows.map((r) => ({
    live: { decision: r.decision, category: r.category },
    shadow: { decision: r.shadow_decision, category: r.shadow_category },
    posts: r.posts,
    examples: (r.example_ids ?? []).map((postId, i) => ({ postId, createdAt: new Date(r.example_times?.[i] ?? 0) })),
  }));
}

/** The live model versions that decided the posts `version` shadowed since `since`. */
export async function liveVersionsSince(client: Queryable, since: Date, version: string): Promise<string[]> {
  const { rows } = await client.query<{ model_version: string }>(LIVE_VERSIONS, [since, version]);
  return rows.map((r) => r.model_version);
}

/** The texts of the given posts (only for --show-text). */
export async function postTexts(client: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<{ id: string; text: string }>(TEXTS, [ids]);
  return new Map(rows.map((r) => [r.id, r.text]));
}
