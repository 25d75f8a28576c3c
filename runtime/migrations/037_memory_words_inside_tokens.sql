-- 037: a word or number inside a longer token is found by itself. Migration 035 split a group of
-- numbers joined by hyphens; PostgreSQL's parser still reads other compounds as one token, so
-- that a search for the part inside did not find them:
--   "ABC77341" (letters then digits), "555.246.1357" (dots), "renee.dubois@example.fr" (an
--   email's name), "https://photos.example.net/jobs/ridgeline-kestrel/45" (a URL's path),
--   "1,234,567" (thousands separators: found as "1234567").
-- The second reading of the content now drops a comma between digits before three more, reads
-- every run of characters that are neither letters, digits nor spaces as a space, and splits
-- letters from digits. The first reading is unchanged, so the whole token ("ABC77341", the
-- email, the URL) is still found as well. Rebuilds the column and its index, as 035 did.
DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('english', content)
  || to_tsvector('english',
       regexp_replace(regexp_replace(regexp_replace(regexp_replace(content,
         '([[:digit:]]),(?=[[:digit:]]{3})', '\1', 'g'),
         '[^[:alnum:][:space:]]+', ' ', 'g'),
         '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
         '([[:digit:]])([[:alpha:]])', '\1 \2', 'g'))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);
