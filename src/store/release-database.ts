// The env's database as a model release reads it (issue 13): the posts each
// model decided since a model canary began, for the canary judge. One
// short-lived connection per release; the query walks posts_created_at.
import type { DecisionRow, ReleaseDatabase } from '../delivery/model/model-store.js';

// Counted in SQL: a canary window at production rates holds millions of posts, a few dozen groups.
const DECISIONS_SINCE = `
SELECT model_version, decision, category, count(*)::int AS n FROM posts
WHERE created_at >= $1 AND model_version = ANY($2::text[])
GROUP BY model_version, decision, category`;

export async function openReleaseDatabase(databaseUrl: string): Promise<ReleaseDatabase> {
  const { default: Pg } = await import('pg');
  const client = new Pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  return {
    async decisionsSince(since, versions) {
      const { rows } = await client.query<{ model_version: string; decision: DecisionRow['decision']; category: string | null; n: number }>(DECISIONS_SINCE, [since, versions]);
      return rows.map((r) => ({ modelVersion: r.model_version, decision: r.decision, category: r.category, count: r.n }));
    },
    close: () => client.end(),
  };
}
