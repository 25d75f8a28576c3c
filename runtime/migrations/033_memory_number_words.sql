-- 033: a number written after a letter and a hyphen is found by itself. PostgreSQL's text
-- search parser reads "INV-99812" as the word "inv" and the signed number "-99812", so a search
-- for the bare invoice number "99812" (or "#99812") did not find it. The indexed text now holds
-- both readings: the content as written, and the content with such hyphens read as spaces.
-- Rebuilds the column and its index (a stored generated expression cannot be changed in place
-- before PostgreSQL 17).
DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('english', content)
  || to_tsvector('english', regexp_replace(content, '([[:alpha:]])-([[:digit:]])', '\1 \2', 'g'))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);
