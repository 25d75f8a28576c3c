-- 034: recall's statements are planned once per connection, not once per call (issue #11).
--
-- PL/pgSQL prepares each statement of brainops_recall once, but PostgreSQL's plan cache still
-- re-plans a statement for the values of each call (a "custom" plan) whenever it estimates
-- that a generic plan costs more than the custom ones it has seen — and for these statements
-- it always does: the vector query's `LIMIT p_k` and the word counts' `tsv @@ word` are
-- costed with default guesses in a generic plan. So every recall planned its vector query and
-- each word count anew (0.05–0.15 ms each; a recall with three words spent about a quarter of
-- its server time planning). Their generic plans are the right ones: the HNSW index walk for
-- the vector query whatever k is, the GIN index for the count of a rare word.
--
-- One count is the exception: a word found in 10 or more of the scope's first 200 rows may be
-- in tens of thousands of memories, where reading the GIN index's whole list for it would cost
-- milliseconds; its count is still planned for the word, and the planner, knowing from the
-- statistics that the word is common, reads the scope's rows until 200 hold it.
--
-- Measured on the memory benchmark's data (100k × 768, a server-side loop of 200 recalls):
-- 2.2 → 1.9 ms per recall with a query of four words, 4.7 → 3.4 ms when two of them
-- discriminate (the hybrid query), 2.1 → 1.7 ms with one.

ALTER FUNCTION brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)
  SET plan_cache_mode = force_generic_plan;

DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  -- The word count of migration 032, as it stands in the function's body.
  count_before constant text := '        CONTINUE WHEN v_df[i] >= 200;
        SELECT count(*)::float8 INTO df FROM (';
  count_after constant text := '           LIMIT 200) x;
        v_df[i] := df;';
  custom constant text := '-- A word in 10 or more of the first rows may be in very many: its count is planned for it.
        IF v_df[i] >= 10 THEN PERFORM pg_catalog.set_config(''plan_cache_mode'', ''force_custom_plan'', true); END IF;
';
  generic constant text := '
        IF v_df[i] >= 10 THEN PERFORM pg_catalog.set_config(''plan_cache_mode'', ''force_generic_plan'', true); END IF;';
BEGIN
  IF position(count_before IN def) = 0 OR position(count_after IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migration 032 created; cannot apply 034';
  END IF;
  def := replace(def, count_before, replace(count_before, 'SELECT count(*)', custom || '        SELECT count(*)'));
  def := replace(def, count_after, replace(count_after, 'x;', 'x;' || generic));
  EXECUTE def;
END
$migration$;
