-- 032: hybrid recall as one function, so that its plans are cached (issue #11).
--
-- Sent as one statement of ~12 KB, recall was planned anew on every call (~1 ms of planning for
-- ~1 ms of work beyond the index scan), its 768-number query vector printed as text by the
-- client and parsed by the server. As a PL/pgSQL function, called as one prepared statement with
-- the vector as a binary parameter:
--   * the function enters the tenant itself (the same sealed functions as every tenant
--     transaction, migration 020/030) and sets the index settings, in the same statement:
--     one round trip, one implicit transaction;
--   * its queries are static, so PL/pgSQL plans each once per connection and keeps the plan;
--   * the one query whose best plan depends on its value — how many memories hold a word (a
--     rare word is read from the GIN index, a word that is everywhere from the scope's first
--     rows) — is planned for each word (EXECUTE), a plan of a few tens of microseconds;
--   * a query with no discriminating word runs the vector query alone: the index's top k.
--
-- Scoring (unchanged; memory/recall-sql.ts documents it):
--   score = cosine similarity + Σ over the query's words t found in the memory of
--     text_weight × (1 − ln df_t / ln d),  for 0 < df_t < d,
--   df_t: memories of the searched scope holding t, counted up to 200; d = clamp(0.5 × scope
--   size, 2, 200). Memories holding a discriminating word join the index's k candidates (at
--   most 50 more). A stored zero vector has no direction (its distance is NaN): never ranked.
--
-- The HNSW indexes are partial, one per dimension, on `(embedding::vector(N))` (migration 002):
-- each indexed dimension gets its own static queries (generated below from one template), and
-- any other dimension an exact scan.

DO $migration$
DECLARE
  dims int[] := ARRAY[256, 512, 768, 1536];
  cols constant text := 'm.id, m.content, m.agent, m.kind, m.metadata, m.source_task_id, m.created_at, m.tsv';
  scope constant text := 'm.embedder = p_embedder AND DIM AND (m.expires_at IS NULL OR m.expires_at > now())
       AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))';
  -- The index's answer: the same scan as a bare HNSW query, the filters inside it.
  nearest constant text := 'SELECT ' || cols || ', (VEC <=> p_query)::float8 AS distance
      FROM public.memories m WHERE ' || scope || '
     ORDER BY VEC <=> p_query LIMIT p_k';
  vector_only constant text := 'RETURN QUERY SELECT n.id, n.content, n.agent, n.kind, n.metadata, n.source_task_id, n.created_at,
           n.distance, (1 - n.distance)::float8
      FROM (' || nearest || ') n
     WHERE n.distance < ''NaN''::float8
     ORDER BY n.distance, n.id;';
  hybrid constant text := 'RETURN QUERY WITH w AS (SELECT u.q, u.w FROM unnest(v_wq, v_ww) AS u(q, w)),
    v AS MATERIALIZED (' || nearest || '),
    t AS MATERIALIZED (
      -- Memories holding a discriminating word that the index did not return.
      SELECT ' || cols || ', (VEC <=> p_query)::float8 AS distance
        FROM public.memories m
       WHERE m.tsv @@ v_any AND ' || scope || ' AND m.id NOT IN (SELECT v.id FROM v)
       ORDER BY (SELECT sum(w.w) FROM w WHERE m.tsv @@ w.q) DESC, VEC <=> p_query LIMIT 50)
    SELECT c.id, c.content, c.agent, c.kind, c.metadata, c.source_task_id, c.created_at, c.distance,
           (1 - c.distance + coalesce((SELECT sum(w.w) FROM w WHERE c.tsv @@ w.q), 0))::float8 AS score
      FROM (SELECT * FROM v UNION ALL SELECT * FROM t) c
     WHERE c.distance < ''NaN''::float8
     ORDER BY score DESC, c.distance, c.id LIMIT p_k;';
  vector_branches text := '';
  hybrid_branches text := '';
  dim int;
BEGIN
  FOREACH dim IN ARRAY dims LOOP
    vector_branches := vector_branches || format(E'  %s p_dim = %s THEN\n    %s\n',
      CASE WHEN vector_branches = '' THEN 'IF' ELSE 'ELSIF' END, dim,
      replace(replace(vector_only, 'VEC', format('(m.embedding::vector(%s))', dim)), 'DIM', format('m.dim = %s', dim)));
    hybrid_branches := hybrid_branches || format(E'  %s p_dim = %s THEN\n    %s\n',
      CASE WHEN hybrid_branches = '' THEN 'IF' ELSE 'ELSIF' END, dim,
      replace(replace(hybrid, 'VEC', format('(m.embedding::vector(%s))', dim)), 'DIM', format('m.dim = %s', dim)));
  END LOOP;
  -- No index for other dimensions: an exact scan.
  vector_branches := vector_branches || E'  ELSE\n    '
    || replace(replace(vector_only, 'VEC', 'm.embedding'), 'DIM', 'm.dim = p_dim') || E'\n  END IF;';
  hybrid_branches := hybrid_branches || E'  ELSE\n    '
    || replace(replace(hybrid, 'VEC', 'm.embedding'), 'DIM', 'm.dim = p_dim') || E'\n  END IF;';

  EXECUTE format($create$
CREATE FUNCTION public.brainops_recall(
  p_tenant text, p_proof text, p_query vector, p_embedder text, p_dim int, p_k int,
  p_words text[], p_agent text, p_kinds text[], p_text_weight float8, p_ef_search int, p_iterative boolean)
RETURNS TABLE (id uuid, content text, agent text, kind text, metadata jsonb, source_task_id uuid,
               created_at timestamptz, distance float8, score float8)
LANGUAGE plpgsql
-- Every scan here is bounded by an index (HNSW, GIN, the scope's b-tree); with a LIMIT and a
-- guessed selectivity the planner would otherwise read the table from the start, or sort a
-- small scope instead of walking the HNSW order — and those switches make costs look huge,
-- which would start the JIT compiler.
SET enable_seqscan = off SET enable_sort = off SET jit = off
AS $body$
#variable_conflict use_column
DECLARE
  word text;
  q tsquery;
  df float8;
  d float8;
  scope_n float8;
  v_q tsquery[] := '{}';
  v_df float8[] := '{}';
  v_wq tsquery[] := '{}';
  v_ww float8[] := '{}';
  v_any tsquery;
BEGIN
  -- The tenant, as in every tenant transaction: the app login proves it, the owner drops to brainops_app.
  IF p_proof IS NULL THEN
    PERFORM public.brainops_enter_tenant(p_tenant);
  ELSE
    PERFORM public.brainops_enter_tenant_as_app(p_tenant, p_proof);
  END IF;
  PERFORM pg_catalog.set_config('hnsw.ef_search', p_ef_search::text, true);
  IF p_iterative THEN
    PERFORM pg_catalog.set_config('hnsw.iterative_scan', 'relaxed_order', true);
  END IF;

  -- How many memories of the scope hold each word, counted up to 200 (df), without planning a
  -- statement per call: first in the scope's first 200 rows, which settles a word found in all
  -- of them (it never discriminates) and, in a scope of fewer than 200 memories, every word;
  -- then, for each word left, from the GIN index (cheap for the rare words that count).
  FOREACH word IN ARRAY coalesce(p_words, '{}') LOOP
    q := pg_catalog.plainto_tsquery('english', word);
    CONTINUE WHEN pg_catalog.numnode(q) = 0;
    v_q := array_append(v_q, q);
  END LOOP;
  IF cardinality(v_q) > 0 THEN
    WITH f AS MATERIALIZED (
      SELECT m.tsv FROM public.memories m
       WHERE m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
         AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
       LIMIT 200)
    SELECT (SELECT count(*) FROM f), array_agg((SELECT count(*) FROM f WHERE f.tsv @@ u.q)::float8 ORDER BY u.n)
      INTO scope_n, v_df FROM unnest(v_q) WITH ORDINALITY AS u(q, n);
    IF scope_n >= 200 THEN
      FOR i IN 1 .. cardinality(v_q) LOOP
        CONTINUE WHEN v_df[i] >= 200;
        SELECT count(*)::float8 INTO df FROM (
          SELECT 1 FROM public.memories m
           WHERE m.tsv @@ v_q[i] AND m.embedder = p_embedder AND m.dim = p_dim AND (m.expires_at IS NULL OR m.expires_at > now())
             AND (p_agent IS NULL OR m.agent = p_agent) AND (p_kinds IS NULL OR m.kind = ANY (p_kinds))
           LIMIT 200) x;
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
    -- The frequency from which a word no longer discriminates: half the scope, within [2, 200].
    d := greatest(2, least(200, 0.5 * scope_n));
    FOR i IN 1 .. cardinality(v_q) LOOP
      IF v_df[i] > 0 AND v_df[i] < d THEN
        v_wq := array_append(v_wq, v_q[i]);
        v_ww := array_append(v_ww, p_text_weight * (1 - ln(v_df[i]) / ln(d)));
      END IF;
    END LOOP;
  END IF;

  IF cardinality(v_wq) = 0 THEN
    -- No word discriminates: the index's top k, in its order.
%s
    RETURN;
  END IF;

  SELECT string_agg('(' || x::text || ')', ' | ')::tsquery INTO v_any FROM unnest(v_wq) AS x;
%s
END
$body$;
$create$, vector_branches, hybrid_branches);
END
$migration$;

REVOKE ALL ON FUNCTION brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brainops_recall(text, text, vector, text, int, int, text[], text, text[], float8, int, boolean) TO brainops_app;
