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

ALTER TABLE reviews
  ADD COLUMN margin double precision,
  ADD COLUMN opinions_needed smallint NOT NULL DEFAULT 1 CHECK (opinions_needed IN (1, 2)),
  ADD COLUMN conflict boolean NOT NULL DEFAULT false;

CREATE INDEX reviews_pending_margin ON reviews (margin, post_id) WHERE state = 'pending';

CREATE TABLE review_labels (
  post_id    text NOT NULL REFERENCES reviews (post_id),
  moderator  text NOT NULL,
  label      text NOT NULL CHECK (label IN ('ok', 'ng')),
  category   text,
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (post_id, moderator)
);
