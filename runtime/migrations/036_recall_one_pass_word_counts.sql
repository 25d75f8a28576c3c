-- 036: recall counts its words in the scope's first rows in one pass (issue #11).
--
-- brainops_recall (migration 032) first counts, in the scope's first 200 rows, how many hold
-- each word of the query. It did so over a materialized CTE, rescanned once per word: about
-- 0.18–0.24 ms per recall with four words on the memory benchmark's data, of which reading
-- the 200 rows is 0.04 ms (server-side loops of 1,000). It now reads the rows once and counts
-- every word in the same scan (one FILTER aggregate per word): 0.08 ms.
--
-- The statement must be static for PL/pgSQL to keep its plan, so it has one aggregate for
-- each of the first 16 words (memory/embedders.ts `queryTerms` sends at most 16); a word past
-- the 16th is now ignored (before, it was counted too). An aggregate of an absent word
-- (`v_q[k]` NULL) is never evaluated: `@@` is strict.

DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  -- The words' loop and first pass of migration 032, as they stand in the function's body.
  words_before constant text := '    v_q := array_append(v_q, q);
  END LOOP;';
  words_after constant text := '    v_q := array_append(v_q, q);
    EXIT WHEN cardinality(v_q) = 16;
  END LOOP;';
  pass_before constant text := '    WITH f AS MATERIALIZED (
      SELECT m.tsv FROM public.memories m
       WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
         AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
       LIMIT 200)
    SELECT (SELECT count(*) FROM f), array_agg((SELECT count(*) FROM f WHERE f.tsv @@ u.q)::float8 ORDER BY u.n)
      INTO scope_n, v_df FROM unnest(v_q) WITH ORDINALITY AS u(q, n);';
  pass_after constant text := '    SELECT count(*),
           ARRAY[
             count(*) FILTER (WHERE f.tsv @@ v_q[1]),
             count(*) FILTER (WHERE f.tsv @@ v_q[2]),
             count(*) FILTER (WHERE f.tsv @@ v_q[3]),
             count(*) FILTER (WHERE f.tsv @@ v_q[4]),
             count(*) FILTER (WHERE f.tsv @@ v_q[5]),
             count(*) FILTER (WHERE f.tsv @@ v_q[6]),
             count(*) FILTER (WHERE f.tsv @@ v_q[7]),
             count(*) FILTER (WHERE f.tsv @@ v_q[8]),
             count(*) FILTER (WHERE f.tsv @@ v_q[9]),
             count(*) FILTER (WHERE f.tsv @@ v_q[10]),
             count(*) FILTER (WHERE f.tsv @@ v_q[11]),
             count(*) FILTER (WHERE f.tsv @@ v_q[12]),
             count(*) FILTER (WHERE f.tsv @@ v_q[13]),
             count(*) FILTER (WHERE f.tsv @@ v_q[14]),
             count(*) FILTER (WHERE f.tsv @@ v_q[15]),
             count(*) FILTER (WHERE f.tsv @@ v_q[16])
           ]::float8[]
      INTO scope_n, v_df
      FROM (SELECT m.tsv FROM public.memories m
             WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
               AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
             LIMIT 200) f;
    v_df := v_df[1:cardinality(v_q)];';
BEGIN
  IF position(words_before IN def) = 0 OR position(pass_before IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migrations 032 and 034 made; cannot apply 036';
  END IF;
  def := replace(def, words_before, words_after);
  def := replace(def, pass_before, pass_after);
  EXECUTE def;
END
$migration$;
