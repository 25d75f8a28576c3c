-- 040: an identifier is found however it is typed: with or without its separators, a number
-- with or without its leading zeros, a phone number with or without its punctuation. Offices type
-- "Q88412" for "Q-88412", "CLM7788XYZ" for "CLM-7788-XYZ", "5551369" for "555-1369", "3035550142"
-- for "(303) 555-0142", and "98812" or "871" for "ORD0098812" or "2024-00871"; none of these found
-- its memory, while each spelling found itself.
--
-- A text's words are now read three ways, by the same functions for a memory's content and for
-- each word of a query (so that the two sides always agree), each with migration 039's
-- configuration `brainops_words` (accents optional):
--   1. as PostgreSQL's parser reads it;
--   2. its parts (brainops_words_parts): a decimal's trailing zeros dropped ("$10.50" → "10.5",
--      "$1,180.00" → "1,180"), leading zeros dropped from a run of digits that does not follow a
--      decimal point or comma ("0098812" → "98812", "2024-00871" → "2024-871", but "10.05"
--      stays), then migration 037's second reading: thousands separators dropped, punctuation read
--      as spaces, letters split from digits;
--   3. joined (brainops_words_joined): a North American phone number's digits together (without
--      a leading +1), three-digit groups joined across dots ("720.555.0199", "1.234.567"), and
--      hyphens, underscores, apostrophes and slashes dropped between letters or digits ("Q-88412"
--      → "Q88412", "O'Brien" → "OBrien", "CLM/2024/0871" → "CLM20240871").
-- A memory holds the words of all three. A query word matches a memory that holds one of its
-- readings as a phrase: its words next to each other, in order (so "2.5", read as 2 then 5, does
-- not match "2 crews, 5 days", nor "2024-11-30" a memory holding 2024, 11 and 30 apart).
--
-- Invisible characters are dropped first (brainops_words_visible): text pasted from a word
-- processor or a web page may hold a soft hyphen (U+00AD) or a zero-width space, joiner or mark
-- inside a word ("Kes<U+200B>trel"); PostgreSQL's parser split the word there, so "kestrel" did
-- not find it. (The query's words lose them in the client: memory/embedders.ts INVISIBLE, the
-- same list.)
--
-- Rebuilds the column and its index, as 037 did (once for 039 and 040).

CREATE OR REPLACE FUNCTION public.brainops_words_visible(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(t, '[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]+', '', 'g');

CREATE OR REPLACE FUNCTION public.brainops_words_parts(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
         regexp_replace(regexp_replace(t,
           '([[:digit:]]\.[[:digit:]]*[1-9])0+(?![[:digit:]]|\.[[:digit:]])', '\1', 'g'),
           '([[:digit:]])\.0+(?![[:digit:]]|\.[[:digit:]])', '\1', 'g'),
           '(^|[^[:digit:].,])0+([[:digit:]])', '\1\2', 'g'),
           '([[:digit:]]),(?=[[:digit:]]{3})', '\1', 'g'),
           '[^[:alnum:][:space:]]+', ' ', 'g'),
           '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
           '([[:digit:]])([[:alpha:]])', '\1 \2', 'g');

CREATE OR REPLACE FUNCTION public.brainops_words_joined(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
           '\(?([[:digit:]]{3})\)?[ .-]?([[:digit:]]{3})[ .-]?([[:digit:]]{4})', '\1\2\3', 'g'),
           '\+1([[:digit:]]{10})', '\1', 'g'),
           '([[:digit:]]{3})\.(?=[[:digit:]]{3})', '\1', 'g'),
           '([[:alnum:]])[-_''’/]+(?=[[:alnum:]])', '\1', 'g');

DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('public.brainops_words', public.brainops_words_visible(content))
  || to_tsvector('public.brainops_words', public.brainops_words_parts(public.brainops_words_visible(content)))
  || to_tsvector('public.brainops_words', public.brainops_words_joined(public.brainops_words_visible(content)))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);

-- Recall reads each query word the same three ways, each as a phrase, any of them a match.
DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  before constant text := 'q := pg_catalog.plainto_tsquery(''public.brainops_words'', word);';
  after constant text := 'q := pg_catalog.phraseto_tsquery(''public.brainops_words'', word)
      || pg_catalog.phraseto_tsquery(''public.brainops_words'', public.brainops_words_parts(word))
      || pg_catalog.phraseto_tsquery(''public.brainops_words'', public.brainops_words_joined(word));';
BEGIN
  IF position(before IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migrations 032 to 039 made; cannot apply 040';
  END IF;
  EXECUTE replace(def, before, after);
END
$migration$;
