-- The moderator console (issue 15): token roles and console sessions.
--
-- moderator_tokens.role: 'moderator' (the review queue, labels, the
-- export) or 'viewer' (support staff: the dashboard and GET /v1/stats
-- only). A constant default: PostgreSQL 11+ adds the column without a
-- rewrite; the check is NOT VALID (existing rows hold the default), as in
-- 0002-0004, so it does not scan the table under the lock; new and updated
-- rows are checked. Like those, it is not VALIDATEd later: every existing
-- row holds the default, which passes. The ALTER TABLE takes moderator_tokens'
-- ACCESS EXCLUSIVE lock (every /v1 token lookup waits) only for as long as
-- the migration's transaction lasts; the runner waits at most lock_timeout
-- (5 s) to get it.
--
-- console_sessions: a signed-in browser. The cookie carries a 256-bit
-- random id; only its SHA-256 is stored (as for tokens: nothing to
-- brute-force, one indexed equality). token_hash is the token the session
-- was opened with: a session lives only while that token does (revoked or
-- rotated by `mod service token create` again, its sessions end at their
-- next request). The role is read from the token at each request, so a
-- changed role applies at once. csrf_token is the session's CSRF token,
-- sent back by the pages on every state-changing request. ended_at: signed
-- out. Expired and ended rows are deleted at the next sign-in (by
-- console_sessions_expires_at).
--
-- review_labels.claimed_until: the claim a label was given under (NULL when
-- it was given without a live claim of the labeller). The console's undo
-- needs it: a label can be taken back only while that claim lasts, and the
-- review goes back to the moderator with that same claim.

ALTER TABLE moderator_tokens
  ADD COLUMN role text NOT NULL DEFAULT 'moderator',
  ADD CONSTRAINT moderator_tokens_role_known CHECK (role IN ('moderator', 'viewer')) NOT VALID;

CREATE TABLE console_sessions (
  id_hash    text PRIMARY KEY,
  moderator  text NOT NULL,
  token_hash text NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at   timestamptz
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

ALTER TABLE review_labels ADD COLUMN claimed_until timestamptz;
