// The console's undo (issue 15): a moderator takes back their own label on
// a post, in one transaction that locks the review row first (as
// decideReview does, so an undo and a label of the same post are
// serialised). Possible only when the label is the post's latest (no other
// moderator's label, e.g. a second opinion, came after it), while the claim
// it was given under (review_labels.claimed_until, migration 0005) still
// lasts, and when nobody else holds the post now. The label's row is
// deleted, so the label export, training and the agreement numbers never
// see it; the review is pending again, claimed by the moderator until that
// same time (with the other moderator's first opinion, if there was one,
// still recorded and two opinions still needed).
import type { Run } from './statement-types.js';

export type UndoResult =
  | { outcome: 'undone'; claimedUntil: Date }
  | { outcome: 'not_found' }
  /** The moderator has no label on the post. */
  | { outcome: 'not_labelled' }
  /** Another moderator labelled the post after them. */
  | { outcome: 'later_label'; by: string }
  /** The claim the label was given under has ended (or it was given without one). */
  | { outcome: 'claim_ended' }
  /** Another moderator holds the post now. */
  | { outcome: 'claimed_by_other' };

const LOCK_REVIEW = 'SELECT state, claimed_by, claimed_until FROM reviews WHERE post_id = $1 FOR UPDATE';
const LABELS = 'SELECT moderator, decided_at, claimed_until FROM review_labels WHERE post_id = $1 ORDER BY decided_at, moderator';
const DELETE_LABEL = 'DELETE FROM review_labels WHERE post_id = $1 AND moderator = $2';
const REOPEN_REVIEW = `
UPDATE reviews SET state = 'pending', label = NULL, category = NULL, decided_by = NULL, decided_at = NULL, conflict = false, claimed_by = $2, claimed_until = $3
WHERE post_id = $1`;

export async function undoReviewLabel(run: Run, postId: string, moderator: string, now: Date): Promise<UndoResult> {
  const review = (await run<{ state: string; claimed_by: string | null; claimed_until: Date | null }>('mod_undo_lock_review', LOCK_REVIEW, [postId])).rows[0];
  if (!review) return { outcome: 'not_found' };
  const labels = (await run<{ moderator: string; decided_at: Date; claimed_until: Date | null }>('mod_undo_labels', LABELS, [postId])).rows;
  const mine = labels.find((l) => l.moderator === moderator);
  if (!mine) return { outcome: 'not_labelled' };
  const later = labels.find((l) => l.moderator !== moderator && l.decided_at.getTime() >= mine.decided_at.getTime());
  if (later) return { outcome: 'later_label', by: later.moderator };
  if (mine.claimed_until === null || mine.claimed_until <= now) return { outcome: 'claim_ended' };
  if (review.claimed_by !== null && review.claimed_by !== moderator && review.claimed_until !== null && review.claimed_until > now) return { outcome: 'claimed_by_other' };
  await run('mod_undo_delete_label', DELETE_LABEL, [postId, moderator]);
  await run('mod_undo_reopen_review', REOPEN_REVIEW, [postId, moderator, mine.claimed_until]);
  return { outcome: 'undone', claimedUntil: mine.claimed_until };
}
