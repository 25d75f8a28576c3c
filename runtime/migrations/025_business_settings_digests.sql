-- 025: what the autonomous jobs take from the business, and what they tell its owner.
-- business_settings: the tenant's inputs for the default jobs (CRM source, daily ad budget,
-- competitor markets, the owner's email). crm_credential is write-only through the API
-- (never returned, never logged); only the CRM fetch tool reads it.
CREATE TABLE public.business_settings (
  tenant_id       text PRIMARY KEY REFERENCES public.tenants(id) ON DELETE CASCADE,
  settings        jsonb NOT NULL DEFAULT '{}',
  crm_credential  text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- digests: what an autonomous run found that its owner must know; shown on the Board and
-- emailed through the outbox (behind the approval policy).
CREATE TABLE public.digests (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   text NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  task_id     uuid REFERENCES public.tasks(id) ON DELETE SET NULL,
  agent       text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  facts       jsonb NOT NULL DEFAULT '[]',
  emailed_to  text,
  email_id    uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, task_id)
);
CREATE INDEX digests_list_idx ON public.digests (tenant_id, created_at DESC, id DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['business_settings', 'digests'] LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON public.%I
      USING (tenant_id = current_setting('app.tenant_id', true))
      WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO brainops_app', t);
  END LOOP;
END $$;
