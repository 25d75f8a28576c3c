-- 038: recall counts its words with fewer statements and fewer tests (issue #11).
--
-- brainops_recall first learns how many memories of the scope hold each word of the query (df,
-- counted up to 200). Measured on the memory benchmark's data (100k rows, four words, the
-- vector query left out; server CPU per call), that cost 0.39 ms of a 2.2 ms recall:
--   * every word was tested against each of the scope's first 200 rows, in one statement of 17
--     aggregates, each naming its word as an element of a tsquery[] (found by walking the array,
--     for every row): starting those aggregates and running 800 tests, for a query of four words;
--   * then every word not settled there was counted alone from the GIN index: one statement
--     each, each also checking the tenant (row-level security).
-- Now (see the comment in the function):
--   * the words are first tested against 20 rows, and only a word found in all 20 is tested
--     against 200: the same words are settled, with 280 tests instead of 800 for four words of
--     which one is everywhere;
--   * the words found in none of the 20 rows are counted from the GIN index together, in one
--     statement (one per 4 or 16 words), as long as they hold fewer than 200 memories between
--     them; else one by one, as before;
--   * a statement counts 4 words when 4 or fewer are left, 16 otherwise, each word a variable.
-- Every count is the same as before, and so is every score.

DO $migration$
DECLARE
  fn constant regprocedure := 'brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean)'::regprocedure;
  def text := pg_get_functiondef(fn);
  decl_before constant text := '  v_chunk float8[];
BEGIN';
  decl_after constant text := '  v_chunk float8[];
  v_scan tsquery[];
  v_pos int[];
  v_lim int;
  v_n float8;
  v_counts float8[];
  v_filled boolean[];
  v_known boolean[];
  v_whole boolean;
  v_or tsquery;
  o int;
  w1 tsquery; w2 tsquery; w3 tsquery; w4 tsquery; w5 tsquery; w6 tsquery; w7 tsquery; w8 tsquery;
  w9 tsquery; w10 tsquery; w11 tsquery; w12 tsquery; w13 tsquery; w14 tsquery; w15 tsquery; w16 tsquery;
BEGIN';
  scope constant text := 'm.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
                   AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))';
  -- Counts each word of v_scan among the rows of SOURCE, at most v_lim of them, into v_counts;
  -- v_filled: whether the scan stopped at v_lim (the counts are then of the first v_lim rows).
  -- ANY_WORDS: where SOURCE reads v_or, the words of the statement, any of them.
  count_words constant text := '      v_counts := ''{}'';
      v_filled := ''{}'';
      o := 0;
      WHILE o < cardinality(v_scan) LOOP
ANY_WORDS        IF cardinality(v_scan) - o <= 4 THEN
          ASSIGN4
          SELECT count(*), ARRAY[AGGS4]::float8[] INTO v_n, v_chunk FROM (SOURCE) f;
        ELSE
          ASSIGN16
          SELECT count(*), ARRAY[AGGS16]::float8[] INTO v_n, v_chunk FROM (SOURCE) f;
        END IF;
        v_counts := v_counts || v_chunk;
        v_filled := v_filled || array_fill(v_n >= v_lim, ARRAY[cardinality(v_chunk)]);
        o := o + cardinality(v_chunk);
      END LOOP;
';
  first_rows constant text := 'SELECT m.tsv FROM public.memories m
                 WHERE ' || scope || '
                 LIMIT v_lim';
  holding constant text := 'SELECT m.tsv FROM public.memories m
                 WHERE m.tsv @@ v_or AND ' || scope || '
                 LIMIT v_lim';
  any_words constant text := '        v_or := v_scan[o + 1];
        FOR j IN o + 2 .. least(o + CASE WHEN cardinality(v_scan) - o <= 4 THEN 4 ELSE 16 END, cardinality(v_scan)) LOOP
          v_or := v_or || v_scan[j];
        END LOOP;
';
  counts_after text := $new$
  IF cardinality(v_q) > 0 THEN
    -- 1. The probe.
    v_scan := v_q;
    v_lim := 20;
FIRST_ROWS
    v_df := v_counts[1:cardinality(v_q)];
    v_whole := NOT v_filled[1];
    v_known := array_fill(v_whole, ARRAY[cardinality(v_q)]);
    scope_n := v_n;
    IF NOT v_whole THEN
      -- 2. The words in every probe row, in the first 200 rows.
      v_pos := ARRAY(SELECT i FROM generate_subscripts(v_q, 1) AS i WHERE v_df[i] >= 20);
      IF cardinality(v_pos) > 0 THEN
        v_scan := ARRAY(SELECT v_q[i] FROM unnest(v_pos) AS i);
        v_lim := 200;
FIRST_ROWS
        FOR j IN 1 .. cardinality(v_pos) LOOP
          v_df[v_pos[j]] := v_counts[j];
          v_known[v_pos[j]] := v_counts[j] >= 200 OR NOT v_filled[j];
        END LOOP;
        v_whole := NOT v_filled[1];
        scope_n := v_n;
      END IF;
      -- 3. The words in no probe row, together from the GIN index.
      v_pos := ARRAY(SELECT i FROM generate_subscripts(v_q, 1) AS i WHERE v_df[i] = 0);
      IF cardinality(v_pos) > 0 THEN
        v_scan := ARRAY(SELECT v_q[i] FROM unnest(v_pos) AS i);
        v_lim := 200;
HOLDING
        FOR j IN 1 .. cardinality(v_pos) LOOP
          CONTINUE WHEN v_filled[j];
          v_df[v_pos[j]] := v_counts[j];
          v_known[v_pos[j]] := true;
        END LOOP;
      END IF;
      -- 4. Any word left, alone.
      FOR i IN 1 .. cardinality(v_q) LOOP
        CONTINUE WHEN v_known[i];
        IF v_df[i] > 0 THEN PERFORM pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true); END IF;
        SELECT count(*)::float8 INTO df FROM (
          SELECT 1 FROM public.memories m
           WHERE m.tsv @@ v_q[i] AND m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
             AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
           LIMIT 200) x;
        IF v_df[i] > 0 THEN PERFORM pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true); END IF;
        v_df[i] := df;
      END LOOP;
      -- The size of the scope, up to 400: from 400 on, a word in 200 memories or more never discriminates.
      IF NOT v_whole AND EXISTS (SELECT 1 FROM unnest(v_df) AS x WHERE x > 0 AND x < 200) THEN
        SELECT count(*)::float8 INTO scope_n FROM (
          SELECT 1 FROM public.memories m
           WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
             AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
           LIMIT 400) x;
      END IF;
    END IF;
$new$;
  -- The comment and the counts of migrations 032, 034 and 036, as they stand in the function's body.
  comment_before constant text := $old$
  -- How many memories of the scope hold each word, counted up to 200 (df), without planning a
  -- statement per call: first in the scope's first 200 rows, which settles a word found in all
  -- of them (it never discriminates) and, in a scope of fewer than 200 memories, every word;
  -- then, for each word left, from the GIN index (cheap for the rare words that count).
$old$;
  comment_after constant text := $new$
  -- How many memories of the scope hold each word, counted up to 200 (df), without planning a
  -- statement per call:
  --   1. a probe: every word counted in the scope's first 20 rows (all its rows if fewer);
  --   2. a word in every probe row may be in every memory: counted in the first 200 rows, where
  --      being in all of them settles it (df 200: it never discriminates);
  --   3. the words in no probe row (rare, or absent): counted together from the GIN index,
  --      while they hold fewer than 200 memories between them;
  --   4. any word left, alone from the GIN index: planned for the word if the probe found it
  --      (it may then be in very many memories; a generic plan would read its whole list).
  -- Each scan counts 4 or 16 words at once, held in w1..w16.
$new$;
  counts_before constant text := $old$
  IF cardinality(v_q) > 0 THEN
    FOR o IN 0 .. (cardinality(v_q) - 1) / 16 LOOP
      SELECT count(*),
             ARRAY[
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 1]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 2]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 3]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 4]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 5]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 6]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 7]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 8]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 9]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 10]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 11]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 12]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 13]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 14]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 15]),
             count(*) FILTER (WHERE f.tsv @@ v_q[o * 16 + 16])
             ]::float8[]
        INTO scope_n, v_chunk
        FROM (SELECT m.tsv FROM public.memories m
               WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
                 AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
               LIMIT 200) f;
      v_df := v_df || v_chunk;
    END LOOP;
    v_df := v_df[1:cardinality(v_q)];
    IF scope_n >= 200 THEN
      FOR i IN 1 .. cardinality(v_q) LOOP
        CONTINUE WHEN v_df[i] >= 200;
        -- A word in 10 or more of the first rows may be in very many: its count is planned for it.
        IF v_df[i] >= 10 THEN PERFORM pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true); END IF;
        SELECT count(*)::float8 INTO df FROM (
          SELECT 1 FROM public.memories m
           WHERE m.tsv @@ v_q[i] AND m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
             AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
           LIMIT 200) x;
        IF v_df[i] >= 10 THEN PERFORM pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true); END IF;
        v_df[i] := df;
      END LOOP;
      -- The size of the scope, up to 400: from 400 on, a word in 200 memories or more never discriminates.
      IF EXISTS (SELECT 1 FROM unnest(v_df) AS x WHERE x > 0 AND x < 200) THEN
        SELECT count(*)::float8 INTO scope_n FROM (
          SELECT 1 FROM public.memories m
           WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
             AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
           LIMIT 400) x;
      END IF;
    END IF;
$old$;
  counter text := count_words;
BEGIN
  IF position(decl_before IN def) = 0 OR position(comment_before IN def) = 0 OR position(counts_before IN def) = 0 THEN
    RAISE EXCEPTION 'brainops_recall is not the function migrations 032, 034 and 036 made; cannot apply 038';
  END IF;
  FOR n IN 4 .. 16 BY 12 LOOP
    counter := replace(counter, 'ASSIGN' || n, (SELECT string_agg(format('w%s := v_scan[o + %s];', k, k), ' ') FROM generate_series(1, n) k));
    counter := replace(counter, 'AGGS' || n, (SELECT string_agg(format('count(*) FILTER (WHERE f.tsv @@ w%s)', k), ', ') FROM generate_series(1, n) k));
  END LOOP;
  counts_after := replace(counts_after, E'FIRST_ROWS\n', replace(replace(counter, 'SOURCE', first_rows), 'ANY_WORDS', ''));
  counts_after := replace(counts_after, E'HOLDING\n', replace(replace(counter, 'SOURCE', holding), 'ANY_WORDS', any_words));
  def := replace(def, decl_before, decl_after);
  def := replace(def, comment_before, comment_after);
  def := replace(def, counts_before, counts_after);
  EXECUTE def;
END
$migration$;
