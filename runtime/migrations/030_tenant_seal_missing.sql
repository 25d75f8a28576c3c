-- 030: a missing tenant seal says what to do. Without the 'tenant_seal' row of system_secrets
-- (migration 020) no tenant can be entered; the seal functions used to answer with a NULL
-- seal, which surfaced as "app.tenant_id was changed" or "not a tenant BrainOps chose". They
-- now raise object_not_in_prerequisite_state (55000) saying to run the migrations, which put a
-- missing seal back (runtime/db/migrate.ts), and the API answers 503 TENANT_SEAL_MISSING.

CREATE OR REPLACE FUNCTION brainops_tenant_seal(t text) RETURNS text
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
  DECLARE
    s text;
  BEGIN
    SELECT value INTO s FROM public.system_secrets WHERE name = 'tenant_seal';
    IF s IS NULL THEN
      RAISE EXCEPTION 'the tenant seal is missing from system_secrets: run the migrations (npx brainops migrate)'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN encode(sha256(convert_to(s || ':' || ((extract(epoch FROM now()) * 1000000)::bigint)::text || ':' || pg_backend_pid() || ':' || t || ':' || s, 'UTF8')), 'hex');
  END $$;

CREATE OR REPLACE FUNCTION brainops_enter_tenant_as_app(t text, proof text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  AS $$
  DECLARE
    s text;
  BEGIN
    SELECT value INTO s FROM public.system_secrets WHERE name = 'tenant_seal';
    IF s IS NULL THEN
      RAISE EXCEPTION 'the tenant seal is missing from system_secrets: run the migrations (npx brainops migrate)'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF proof IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(s || ':' || t || ':' || s, 'UTF8')), 'hex') THEN
      RAISE EXCEPTION 'not a tenant BrainOps chose' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'public', true),
            pg_catalog.set_config('app.tenant_id', t, true),
            pg_catalog.set_config('app.tenant_seal', public.brainops_tenant_seal(t), true);
  END $$;
