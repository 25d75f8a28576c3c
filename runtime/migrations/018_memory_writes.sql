-- Which memory a keyed write (a task step's idempotency key) went to: a retried task that
-- remembers again — its first attempt's write committed, but the worker died before the
-- journal said so — gets the same memory back instead of writing a second one.
CREATE TABLE memory_writes (
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idempotency_key  text NOT NULL,
  memory_id        uuid NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);
ALTER TABLE memory_writes ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory_writes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memory_writes
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, DELETE ON memory_writes TO brainops_app;
