-- 039: a word is found with or without its accents: "muller" finds "Müller", "Jose" finds "José",
-- "Lefevre" finds "Lefèvre", and the other way round. Customers' names, streets and towns are
-- typed on the office's keyboard as often without their accents as with them.
--
-- Recall's query words (the function of migrations 032–038) are now read with the text search
-- configuration `brainops_words`: the 'english' configuration, where a word with letters outside
-- ASCII first loses its accents (PostgreSQL's unaccent dictionary, as its documentation shows).
-- Words in plain ASCII are read exactly as before. The memories' words are read with it too from
-- migration 040 on, which rebuilds the column once for both.
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

-- Recall reads the query's words with it.
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
