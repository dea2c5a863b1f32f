-- Shadow scoring (issue 13): the answer a shadow model gave for a post,
-- stored with it (never the answer the client got). NULL when no shadow
-- model scored the post. `mod model shadow-report` compares these columns
-- with the live decision; it reads recent posts through posts_created_at.
--
-- Nullable columns without a default are added without rewriting the table.
-- The check is NOT VALID, as in 0002: an inline CHECK would scan every
-- existing post while the table is locked (measured: 0.6 s on 4 M posts);
-- existing rows all hold NULL, which it accepts, and every new row is checked.

ALTER TABLE posts
  ADD COLUMN shadow_model_version text,
  ADD COLUMN shadow_decision text,
  ADD COLUMN shadow_category text,
  ADD COLUMN shadow_score double precision,
  ADD CONSTRAINT posts_shadow_decision_known
    CHECK (shadow_decision IN ('approve', 'review', 'reject')) NOT VALID;
