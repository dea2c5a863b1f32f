// The console's claim (issue 15): a moderator's page holds at most one
// batch. A claim from the console renews the posts the page still shows
// (`held`, unlabelled), releases every other pending post the moderator
// holds (posts dropped by a filter change or left on a closed page, so they
// are free for everyone at once instead of after the claim's end), and
// claims new ones only up to the limit: one moderator never holds more
// than `limit` posts. Everything runs in one transaction (PostgresStore
// .reclaimReviews), so nobody sees a post half released.
import type { Run } from './statement-types.js';

const RELEASE = "UPDATE reviews SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1 AND state = 'pending' AND post_id = ANY($2::text[]) AND ($3::timestamptz IS NULL OR claimed_until <= $3) RETURNING post_id";
const RELEASE_ALL_BUT = "UPDATE reviews SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1 AND state = 'pending' AND NOT (post_id = ANY($2::text[]))";
const RENEW = `
UPDATE reviews r SET claimed_until = $3
WHERE claimed_by = $1 AND state = 'pending' AND post_id = ANY($2::text[])
  AND NOT EXISTS (SELECT 1 FROM review_labels l WHERE l.post_id = r.post_id AND l.moderator = $1)
RETURNING post_id`;

/**
 * Frees `ids` where `moderator` holds them and they are still pending; with
 * `claimedUntil`, only the claims ending no later than it (a page's release
 * that arrives after a newer claim of the same posts, e.g. a reload's, leaves
 * that claim alone). Answers the ids freed.
 */
export async function releaseClaims(run: Run, moderator: string, ids: readonly string[], claimedUntil: Date | null = null): Promise<string[]> {
  const { rows } = await run<{ post_id: string }>('mod_release_claims', RELEASE, [moderator, ids, claimedUntil]);
  return rows.map((r) => r.post_id);
}

/** Frees every pending post `moderator` holds except `held`, then renews `held` until `until`; answers the ids renewed. */
export async function keepOnlyHeld(run: Run, moderator: string, held: readonly string[], until: Date): Promise<string[]> {
  await run('mod_release_claims_but', RELEASE_ALL_BUT, [moderator, held]);
  const { rows } = await run<{ post_id: string }>('mod_renew_claims', RENEW, [moderator, held, until]);
  return rows.map((r) => r.post_id);
}
