-- 040: an identifier is found however it is typed: with or without its separators, and a number
-- with or without its leading zeros. Offices type "Q88412" for "Q-88412", "CLM7788XYZ" for
-- "CLM-7788-XYZ", "5551369" for "555-1369", and "98812" or "871" for "ORD0098812" or "2024-00871";
-- none of these found its memory, while each spelling found itself.
--
-- A text's words are now read three ways, by the same functions for a memory's content and for
-- each word of a query (so that the two sides always agree):
--   1. as PostgreSQL's parser reads it (migration 039's first reading);
--   2. its parts (brainops_words_parts): migration 037's second reading — thousands separators
--      dropped, punctuation read as spaces, letters split from digits — and now leading zeros
--      dropped from a run of digits ("0098812" → "98812", "00871" → "871");
--   3. joined (brainops_words_joined): hyphens and underscores between letters or digits
--      dropped ("Q-88412" → "Q88412", "555-1369" → "5551369").
-- A memory holds the words of all three; a query word matches a memory holding any one of its
-- readings whole. Invisible characters are dropped first (brainops_words_visible, the list of
-- migration 039). Rebuilds the column and its index, as 039 did.

CREATE OR REPLACE FUNCTION public.brainops_words_visible(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(t, '[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]+', '', 'g');

CREATE OR REPLACE FUNCTION public.brainops_words_parts(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
           '([[:digit:]]),(?=[[:digit:]]{3})', '\1', 'g'),
           '[^[:alnum:][:space:]]+', ' ', 'g'),
           '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
           '([[:digit:]])([[:alpha:]])', '\1 \2', 'g'),
           '(^|[^[:digit:]])0+([[:digit:]])', '\1\2', 'g');

CREATE OR REPLACE FUNCTION public.brainops_words_joined(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(t, '([[:alnum:]])[-_]+(?=[[:alnum:]])', '\1', 'g');

DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('public.brainops_words', public.brainops_words_visible(content))
  || to_tsvector('public.brainops_words', public.brainops_words_parts(public.brainops_words_visible(content)))
  || to_tsvector('public.brainops_words', public.brainops_words_joined(public.brainops_words_visible(content)))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);

-- Recall reads each query word the same three ways, any of them a match.
DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  before constant text := 'q := pg_catalog.plainto_tsquery(''public.brainops_words'', word);';
  after constant text := 'q := pg_catalog.plainto_tsquery(''public.brainops_words'', word)
      || pg_catalog.plainto_tsquery(''public.brainops_words'', public.brainops_words_parts(word))
      || pg_catalog.plainto_tsquery(''public.brainops_words'', public.brainops_words_joined(word));';
BEGIN
  IF position(before IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migrations 032 to 039 made; cannot apply 040';
  END IF;
  EXECUTE replace(def, before, after);
END
$migration$;
