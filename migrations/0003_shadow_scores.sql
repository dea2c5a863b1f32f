-- Shadow scoring (issue 13): the answer a shadow model gave for a post,
-- stored with it (never the answer the client got). NULL when no shadow
-- model scored the post. `mod model shadow-report` compares these columns
-- with the live decision; it reads recent posts through posts_created_at.
--
-- Nullable columns without a default: added without rewriting the table.

ALTER TABLE posts
  ADD COLUMN shadow_model_version text,
  ADD COLUMN shadow_decision text CHECK (shadow_decision IN ('approve', 'review', 'reject')),
  ADD COLUMN shadow_category text,
  ADD COLUMN shadow_score double precision;
