-- 035: a number in a group of numbers joined by hyphens is found by itself. Migration 033 made
-- "INV-99812" findable as "99812"; a phone number ("555-4471"), a date ("2024-11-30") or a
-- part number ("12-34-56") was still indexed by PostgreSQL's parser as "555" and the signed
-- numbers "-4471", so a search for "4471" did not find it. The second reading of the content
-- now reads a hyphen before a digit as a space after any letter or digit. Rebuilds the column
-- and its index, as 033 did.
DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('english', content)
  || to_tsvector('english', regexp_replace(content, '([[:alnum:]])-([[:digit:]])', '\1 \2', 'g'))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);
