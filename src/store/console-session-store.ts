// The moderator console's sessions (issue 15, migration 0005): signed-in
// browsers. A session row holds only the SHA-256 of its id and
// the hash of the token it was made from; it is live while unexpired, not
// ended (signed out) and that very token is still the name's live token, so
// revoking or rotating a token ends its sessions at their next request. The
// role is read from the token on every lookup (a changed role applies at
// once). Signing out sets expires_at to the sign-out time too, so pruning
// needs only console_sessions_expires_at. (The undo of a label is
// review-undo.ts; the bearer token lookup is PostgresStore's.)
import type { Run, TokenRole } from './statement-types.js';

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

// Sessions ended or expired a day ago are deleted when a new one is made (through console_sessions_expires_at: an
// ended session's expires_at is its end): the table holds about one row per sign-in of the last day.
const PRUNE = "DELETE FROM console_sessions WHERE expires_at < $1::timestamptz - interval '1 day'";
const INSERT_SESSION = 'INSERT INTO console_sessions (id_hash, moderator, token_hash, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)';
const LIVE_SESSION = `
SELECT s.moderator AS name, t.role, s.csrf_token, s.expires_at
FROM console_sessions s JOIN moderator_tokens t ON t.name = s.moderator AND t.token_hash = s.token_hash AND t.revoked_at IS NULL
WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2`;
const END_SESSION = 'UPDATE console_sessions SET ended_at = $2, expires_at = least(expires_at, $2) WHERE id_hash = $1 AND ended_at IS NULL';

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
