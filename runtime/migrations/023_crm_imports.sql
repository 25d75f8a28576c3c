-- 023: imports from real exports. The tenant's default phone region (national numbers without a
-- country code are read in it; PATCH /api/v1/tenant), phone extensions kept apart from the
-- E.164 number, and uploaded CRM exports (POST /api/v1/crm/imports) that a crm-sync task reads.
ALTER TABLE tenants ADD COLUMN phone_region text CHECK (phone_region ~ '^[A-Z]{2}$');
GRANT UPDATE (phone_region) ON public.tenants TO brainops_app;

ALTER TABLE customers ADD COLUMN phone_extension text;
ALTER TABLE contacts ADD COLUMN phone_extension text;
ALTER TABLE jobs ADD COLUMN phone_extension text;

CREATE TABLE crm_uploads (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  filename    text,
  bytes       integer NOT NULL,
  -- how the bytes were decoded: utf-8, utf-8-bom, utf-16le, utf-16be, windows-1252
  encoding    text NOT NULL,
  content     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX crm_uploads_tenant_idx ON crm_uploads (tenant_id, created_at DESC);
ALTER TABLE crm_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON crm_uploads
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, DELETE ON crm_uploads TO brainops_app;
