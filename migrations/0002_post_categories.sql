-- Policy categories on posts (issue 10): the top category behind a review or
-- reject (NULL for an approved post) and every category's share of the NG
-- score. Both are NULL on rows written before this migration; the store
-- reads those as category null, categories [].
--
-- Nullable columns without a default are added without rewriting the table.
-- The check is NOT VALID so that adding it does not scan every existing post
-- while the table is locked: those rows all hold NULL, which it accepts, and
-- every row written from now on is checked. A new category needs a
-- migration that replaces posts_category_known.

ALTER TABLE posts
  ADD COLUMN category text,
  ADD COLUMN categories jsonb,
  ADD CONSTRAINT posts_category_known
    CHECK (category IN ('contact', 'solicitation', 'scam', 'abuse', 'spam', 'offplatform_payment', 'minor')) NOT VALID;
