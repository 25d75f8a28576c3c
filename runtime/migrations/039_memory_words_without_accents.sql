-- 039: a word is found with or without its accents, and whatever invisible characters it holds.
--
-- Accents: "muller" finds "Müller", "Jose" finds "José", "Lefevre" finds "Lefèvre", and the other
-- way round. Customers' names, streets and towns are typed on the office's keyboard as often
-- without their accents as with them. The memories' words (both readings, migration 037) and
-- recall's query words (the function of migrations 032–038) are now read with the text search
-- configuration `brainops_words`: the 'english' configuration, where a word with letters outside
-- ASCII first loses its accents (PostgreSQL's unaccent dictionary, as its documentation shows).
-- Words in plain ASCII are read exactly as before.
--
-- Invisible characters: text pasted from a word processor or a web page may hold a soft hyphen
-- (U+00AD) or a zero-width space, joiner or mark inside a word ("Kes<U+200B>trel"); PostgreSQL's
-- parser split the word there, so "kestrel" did not find it. Both readings now drop them first
-- (the query's words lose them too: memory/embedders.ts INVISIBLE, the same list).
--
-- Rebuilds the column and its index, as 037 did.
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $migration$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'brainops_words' AND cfgnamespace = 'public'::regnamespace) THEN
    CREATE TEXT SEARCH CONFIGURATION public.brainops_words (COPY = pg_catalog.english);
    ALTER TEXT SEARCH CONFIGURATION public.brainops_words
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
  END IF;
END
$migration$;

DROP INDEX IF EXISTS memories_tsv_idx;
ALTER TABLE memories DROP COLUMN tsv;
ALTER TABLE memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  to_tsvector('public.brainops_words', regexp_replace(content, '[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]+', '', 'g'))
  || to_tsvector('public.brainops_words',
       regexp_replace(regexp_replace(regexp_replace(regexp_replace(
         regexp_replace(content, '[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]+', '', 'g'),
         '([[:digit:]]),(?=[[:digit:]]{3})', '\1', 'g'),
         '[^[:alnum:][:space:]]+', ' ', 'g'),
         '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
         '([[:digit:]])([[:alpha:]])', '\1 \2', 'g'))
) STORED;
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv) WITH (fastupdate = off);

-- Recall reads the query's words the same way.
DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  before constant text := 'q := pg_catalog.plainto_tsquery(''english'', word);';
  after constant text := 'q := pg_catalog.plainto_tsquery(''public.brainops_words'', word);';
BEGIN
  IF position(before IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migrations 032 to 038 made; cannot apply 039';
  END IF;
  EXECUTE replace(def, before, after);
END
$migration$;
