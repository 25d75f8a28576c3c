-- 002: long-term memory on pgvector.
-- The embedding column has no fixed dimension: each row records the embedder that made its
-- vector and the vector's dimension, and search only compares rows of the same embedder and
-- dimension. HNSW needs a fixed dimension, so there is one partial expression index per
-- common dimension; a search uses it when it filters on `dim = N` and orders by
-- `(embedding::vector(N)) <=> $q::vector(N)`. Other dimensions are searched exactly.
-- (pgvector indexes at most 2,000 dimensions of type vector.)

CREATE TABLE memories (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent           text,
  kind            text NOT NULL DEFAULT 'note',
  content         text NOT NULL CHECK (length(content) > 0),
  metadata        jsonb NOT NULL DEFAULT '{}',
  embedding       vector NOT NULL,
  embedder        text NOT NULL,
  dim             integer NOT NULL,
  source_task_id  uuid REFERENCES tasks(id) ON DELETE SET NULL,
  -- How many times this memory was remembered (near-duplicates merge into one row).
  times_seen      integer NOT NULL DEFAULT 1,
  tsv             tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz,
  CHECK (dim = vector_dims(embedding))
);

CREATE INDEX memories_scope_idx ON memories (tenant_id, embedder, dim, agent, kind);
CREATE INDEX memories_tsv_idx ON memories USING gin (tsv);
CREATE INDEX memories_expiry_idx ON memories (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX memories_hnsw_256_idx ON memories USING hnsw ((embedding::vector(256)) vector_cosine_ops) WHERE dim = 256;
CREATE INDEX memories_hnsw_512_idx ON memories USING hnsw ((embedding::vector(512)) vector_cosine_ops) WHERE dim = 512;
CREATE INDEX memories_hnsw_768_idx ON memories USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dim = 768;
CREATE INDEX memories_hnsw_1536_idx ON memories USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dim = 1536;

ALTER TABLE memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE memories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memories
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON memories TO brainops_app;

-- Under row-level security PostgreSQL only uses a query's condition as an index condition
-- when its function is LEAKPROOF, and `tsvector @@ tsquery` (ts_match_vq) is not marked so:
-- full-text recall would scan every row. The function reveals nothing about rows it is not
-- given, so where we may (a superuser runs the migration: PGlite, our own servers), mark it.
-- Elsewhere (managed databases) recall still works, with a sequential text scan.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
  END IF;
END $$;
