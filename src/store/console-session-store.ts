// The moderator console's data (issue 15, migration 0005): browser sessions
// and the undo of a label. A session row holds only the SHA-256 of its id and
// the hash of the token it was made from; it is live while unexpired, not
// ended (signed out) and that very token is still the name's live token, so
// revoking or rotating a token ends its sessions at their next request. The
// role is read from the token on every lookup (a changed role applies at
// once). Undo takes back a moderator's own latest label on a post while the
// claim they labelled it under is live: the label row is deleted (the label
// export, training and agreement never see it) and the review is pending
// again, claimed by them until that claim's end.
import type pg from 'pg';

export type TokenRole = 'moderator' | 'viewer';

export interface StoredConsoleSession {
  name: string;
  role: TokenRole;
  csrfToken: string;
  expiresAt: Date;
}

export interface NewConsoleSession {
  idHash: string;
  name: string;
  tokenHash: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export type UndoResult = { outcome: 'undone'; claimedUntil: Date } | { outcome: 'not_found' } | { outcome: 'not_possible'; reason: string };

/** One statement (PostgresStore's query, or one inside its transaction): `name` null is an unnamed statement. */
export type Run = <R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

const TOKEN_FOR_HASH = 'SELECT name, role FROM moderator_tokens WHERE token_hash = $1 AND revoked_at IS NULL';
// Sessions ended or expired a day ago are deleted when a new one is made: the table holds about one row per sign-in of the last day.
const PRUNE = "DELETE FROM console_sessions WHERE expires_at < $1::timestamptz - interval '1 day' OR ended_at < $1::timestamptz - interval '1 day'";
const INSERT_SESSION = 'INSERT INTO console_sessions (id_hash, moderator, token_hash, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)';
const LIVE_SESSION = `
SELECT s.moderator AS name, t.role, s.csrf_token, s.expires_at
FROM console_sessions s JOIN moderator_tokens t ON t.name = s.moderator AND t.token_hash = s.token_hash AND t.revoked_at IS NULL
WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2`;
const END_SESSION = 'UPDATE console_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL';

/** The live token with this hash: its owner and role (null when revoked or unknown). */
export async function moderatorTokenForHash(run: Run, tokenHash: string): Promise<{ name: string; role: TokenRole } | null> {
  const { rows } = await run<{ name: string; role: TokenRole }>('mod_token_role_lookup', TOKEN_FOR_HASH, [tokenHash]);
  return rows[0] ?? null;
}

export async function createConsoleSession(run: Run, session: NewConsoleSession): Promise<void> {
  await run(null, PRUNE, [session.createdAt]);
  await run('mod_insert_console_session', INSERT_SESSION, [session.idHash, session.name, session.tokenHash, session.csrfToken, session.createdAt, session.expiresAt]);
}

/** The live session with this id hash (its role is the token's now), or null. */
export async function consoleSessionForHash(run: Run, idHash: string, now: Date): Promise<StoredConsoleSession | null> {
  const { rows } = await run<{ name: string; role: TokenRole; csrf_token: string; expires_at: Date }>('mod_console_session', LIVE_SESSION, [idHash, now]);
  const row = rows[0];
  return row ? { name: row.name, role: row.role, csrfToken: row.csrf_token, expiresAt: row.expires_at } : null;
}

export async function endConsoleSession(run: Run, idHash: string, now: Date): Promise<void> {
  await run('mod_end_console_session', END_SESSION, [idHash, now]);
}

const LOCK_REVIEW = 'SELECT state, claimed_by, claimed_until FROM reviews WHERE post_id = $1 FOR UPDATE';
const LABELS_NEWEST_FIRST = 'SELECT moderator, claimed_until FROM review_labels WHERE post_id = $1 ORDER BY decided_at DESC, moderator DESC';
const DELETE_LABEL = 'DELETE FROM review_labels WHERE post_id = $1 AND moderator = $2';
const REOPEN_REVIEW = `
UPDATE reviews SET state = 'pending', label = NULL, category = NULL, decided_by = NULL, decided_at = NULL, conflict = false, claimed_by = $2, claimed_until = $3
WHERE post_id = $1`;

/** Undoes `moderator`'s latest label on `postId` (run inside one transaction: the review row is locked first, as decideReview does). */
export async function undoLabel(run: Run, postId: string, moderator: string, now: Date): Promise<UndoResult> {
  const review = (await run<{ state: 'pending' | 'decided'; claimed_by: string | null; claimed_until: Date | null }>('mod_lock_review_undo', LOCK_REVIEW, [postId])).rows[0];
  if (!review) return { outcome: 'not_found' };
  const labels = (await run<{ moderator: string; claimed_until: Date | null }>('mod_review_labels_newest', LABELS_NEWEST_FIRST, [postId])).rows;
  const mine = labels.find((l) => l.moderator === moderator);
  if (!mine) return { outcome: 'not_possible', reason: 'you have no label on this post to undo' };
  if (labels[0]!.moderator !== moderator) return { outcome: 'not_possible', reason: 'another moderator labelled this post after you (a second opinion): your label stays' };
  if (mine.claimed_until === null || mine.claimed_until <= now) return { outcome: 'not_possible', reason: 'your claim on this post has ended: a label can only be undone within the claim it was given in' };
  if (review.state === 'pending' && review.claimed_by !== null && review.claimed_by !== moderator && review.claimed_until !== null && review.claimed_until > now) {
    return { outcome: 'not_possible', reason: 'another moderator has claimed this post for a second opinion since you labelled it' };
  }
  await run('mod_delete_label', DELETE_LABEL, [postId, moderator]);
  await run('mod_reopen_review', REOPEN_REVIEW, [postId, moderator, mine.claimed_until]);
  return { outcome: 'undone', claimedUntil: mine.claimed_until };
}
