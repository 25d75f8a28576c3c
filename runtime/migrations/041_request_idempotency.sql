-- 041: the Idempotency-Key header on the business API's writes (api/idempotency.ts). A request
-- sent again with the same key gets the first answer back instead of doing its work twice (two
-- leads, two campaigns); the same key for another request is a 422. As Stripe keeps them: per
-- tenant, for 24 hours, the answer stored once the work is done.
CREATE TABLE request_idempotency (
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key           text NOT NULL,
  -- what was asked: method, route and a SHA-256 of the request's input
  request       text NOT NULL,
  -- the answer, once the work is done (NULL while it runs)
  status        integer,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX request_idempotency_created_idx ON request_idempotency (tenant_id, created_at);
ALTER TABLE request_idempotency ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_idempotency FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON request_idempotency
  USING (tenant_id = (SELECT brainops_tenant()))
  WITH CHECK (tenant_id = (SELECT brainops_tenant()));
GRANT SELECT, INSERT, UPDATE, DELETE ON request_idempotency TO brainops_app;
