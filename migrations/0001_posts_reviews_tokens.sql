-- Posts and their decisions, the human review queue, and moderator tokens.

CREATE TABLE posts (
  id            text PRIMARY KEY,
  kind          text,
  user_id       text,
  text          text NOT NULL,
  decision      text NOT NULL CHECK (decision IN ('approve', 'review', 'reject')),
  score         double precision NOT NULL,
  reasons       jsonb NOT NULL,
  model_version text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX posts_created_at ON posts (created_at);

-- One row per post sent to review. `claimed_by` / `claimed_until` hand a
-- pending item to one moderator at a time; an expired claim is free again.
CREATE TABLE reviews (
  post_id       text PRIMARY KEY REFERENCES posts (id),
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'decided')),
  enqueued_at   timestamptz NOT NULL,
  claimed_by    text,
  claimed_until timestamptz,
  label         text CHECK (label IN ('ok', 'ng')),
  category      text,
  decided_by    text,
  decided_at    timestamptz,
  CHECK ((state = 'decided') = (label IS NOT NULL))
);
CREATE INDEX reviews_pending ON reviews (enqueued_at, post_id) WHERE state = 'pending';
CREATE INDEX reviews_decided ON reviews (decided_at, post_id) WHERE state = 'decided';

-- Bearer tokens for moderators: only a SHA-256 of the token is stored.
CREATE TABLE moderator_tokens (
  name        text PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
