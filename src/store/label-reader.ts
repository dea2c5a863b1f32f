// The moderators' labels of an environment's database, for `mod model train
// --from-db` (issue 13): every decided review in decision order, a page at a
// time over reviews_decided (keyset pagination), with the review's
// `conflict` flag (migration 0004: two moderators disagreed). Conflicting
// reviews are not trained on: they are left out and counted.
import type pg from 'pg';
import type { Label } from '../moderation/labelled-data.js';
import type { LabelledPost } from '../moderation/post-records.js';
import type { ModeratorLabel } from '../moderation/training-labels.js';

const LABELS_PAGE = `
SELECT r.post_id, p.text, r.label, r.category, r.decided_by, r.decided_at, r.conflict
FROM reviews r JOIN posts p ON p.id = r.post_id
WHERE r.state = 'decided' AND (r.decided_at, r.post_id) > ($1::timestamptz, $2::text)
ORDER BY r.decided_at, r.post_id
LIMIT $3`;

export interface DatabaseLabels {
  /** Decided, non-conflicting labels, oldest decision first. */
  labels: ModeratorLabel[];
  /** Decided reviews left out because they are marked conflict. */
  conflictsExcluded: number;
}

interface LabelRow {
  post_id: string;
  text: string;
  label: Label;
  category: string | null;
  decided_by: string | null;
  decided_at: Date;
  conflict: boolean;
}

/** Runs one statement: a pg client's or pool's query, or PostgresStore's (a named statement). */
export type LabelQuery = (text: string, values: unknown[]) => Promise<{ rows: LabelRow[] }>;

/** Every decided label in decision order, a page at a time (keyset pagination: constant memory); `conflict`: two moderators disagreed. */
export async function* decidedLabels(query: LabelQuery, pageSize = 1000): AsyncGenerator<LabelledPost & { conflict: boolean }> {
  let after: { at: Date | string; id: string } = { at: '-infinity', id: '' };
  for (;;) {
    const { rows } = await query(LABELS_PAGE, [after.at, after.id, pageSize]);
    for (const r of rows) yield { postId: r.post_id, text: r.text, label: r.label, category: r.category, decidedBy: r.decided_by, decidedAt: r.decided_at, conflict: r.conflict };
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) return;
    after = { at: last.decided_at, id: last.post_id };
  }
}

/** Reads every decided label through `client` (a connected pg client or pool). */
export async function readModeratorLabels(client: Pick<pg.ClientBase, 'query'>, pageSize = 1000): Promise<DatabaseLabels> {
  const labels: ModeratorLabel[] = [];
  let conflictsExcluded = 0;
  for await (const r of decidedLabels((text, values) => client.query<LabelRow>(text, values), pageSize)) {
    if (r.conflict) conflictsExcluded++;
    else labels.push({ text: r.text, label: r.label, category: r.category, decidedBy: r.decidedBy, decidedAt: r.decidedAt });
  }
  return { labels, conflictsExcluded };
}
