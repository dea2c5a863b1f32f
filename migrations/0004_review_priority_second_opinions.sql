-- The review queue learns (issue 13).
--
-- margin: how close the post's decision was to changing (the moderator's
-- ModerationResult.margin); GET /v1/reviews serves the smallest first, with
-- a cap on age so no post waits forever. NULL on rows queued before this.
--
-- opinions_needed: 2 for the share of reviews given to a second moderator;
-- each moderator's label is a row of review_labels, and the review is
-- decided when it has that many. Two labels that disagree mark the review
-- `conflict`: it is flagged, and not trained on blindly.
--
-- Constant defaults: PostgreSQL 11+ adds these columns without a rewrite.
-- The check is NOT VALID (existing rows hold the default, 1): an inline
-- CHECK would scan the whole table under the lock. The partial index is
-- built in this transaction (CONCURRENTLY cannot run in one): it reads the
-- reviews table once, which is far smaller than posts.

ALTER TABLE reviews
  ADD COLUMN margin double precision,
  ADD COLUMN opinions_needed smallint NOT NULL DEFAULT 1,
  ADD COLUMN conflict boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT reviews_opinions_needed_known CHECK (opinions_needed IN (1, 2)) NOT VALID;

CREATE INDEX reviews_pending_margin ON reviews (margin, post_id) WHERE state = 'pending';

CREATE TABLE review_labels (
  post_id    text NOT NULL REFERENCES reviews (post_id),
  moderator  text NOT NULL,
  label      text NOT NULL CHECK (label IN ('ok', 'ng')),
  category   text,
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (post_id, moderator)
);
