-- 020: least privilege for tenant work (the brainops_app role).
--
-- The tenant of a transaction is fixed by BrainOps, not by a setting the app role can change:
-- brainops_enter_tenant(t), run by the connecting role at the start of every tenant
-- transaction (the app role may not call it), sets app.tenant_id together with a seal — a
-- SHA-256 over a secret the app role cannot read, the transaction's start time, the session
-- and the tenant — and then drops to brainops_app. Every row-level-security policy reads the
-- tenant through brainops_tenant(), which checks the seal: a statement that changed
-- app.tenant_id (or forged the seal) inside the transaction gets an error, not another
-- tenant's rows. And the app role may no longer rename, create or delete tenants.

INSERT INTO system_secrets (name, value)
  VALUES ('tenant_seal', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
  ON CONFLICT (name) DO NOTHING;

CREATE FUNCTION brainops_tenant_seal(t text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
    SELECT encode(sha256(convert_to(s.value || ':' || ((extract(epoch FROM now()) * 1000000)::bigint)::text || ':' || pg_backend_pid() || ':' || t || ':' || s.value, 'UTF8')), 'hex')
    FROM public.system_secrets s WHERE s.name = 'tenant_seal'
  $$;
REVOKE ALL ON FUNCTION brainops_tenant_seal(text) FROM PUBLIC;

-- Called by the connecting role only (EXECUTE is not granted to the app role); it ends as brainops_app.
CREATE FUNCTION brainops_enter_tenant(t text) RETURNS void
  LANGUAGE plpgsql
  AS $$
  BEGIN
    PERFORM set_config('search_path', 'public', true),
            set_config('app.tenant_id', t, true),
            set_config('app.tenant_seal', public.brainops_tenant_seal(t), true),
            set_config('role', 'brainops_app', true);
  END $$;
REVOKE ALL ON FUNCTION brainops_enter_tenant(text) FROM PUBLIC;

-- The current tenant, or NULL outside tenant work; an error when app.tenant_id was changed.
CREATE FUNCTION brainops_tenant() RETURNS text
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
  DECLARE
    t text := nullif(current_setting('app.tenant_id', true), '');
  BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    IF current_setting('app.tenant_seal', true) IS DISTINCT FROM public.brainops_tenant_seal(t) THEN
      RAISE EXCEPTION 'app.tenant_id was changed inside a tenant transaction; the tenant is fixed by BrainOps'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN t;
  END $$;
REVOKE ALL ON FUNCTION brainops_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brainops_tenant() TO brainops_app;

-- Every tenant_isolation policy: the tenant through brainops_tenant(), evaluated once per statement.
DO $$
DECLARE
  p record;
  setting constant text := 'current_setting(''app.tenant_id''::text, true)';
  sealed constant text := '( SELECT public.brainops_tenant())';
BEGIN
  FOR p IN SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies
           WHERE schemaname = 'public' AND (qual LIKE '%app.tenant_id%' OR with_check LIKE '%app.tenant_id%') LOOP
    EXECUTE format('ALTER POLICY %I ON %I.%I USING (%s)', p.policyname, p.schemaname, p.tablename, replace(p.qual, setting, sealed));
    IF p.with_check IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I.%I WITH CHECK (%s)', p.policyname, p.schemaname, p.tablename, replace(p.with_check, setting, sealed));
    END IF;
  END LOOP;
END $$;

-- Tenants: the app role reads its own and changes only its guardrail settings.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON tenants FROM brainops_app;
GRANT UPDATE (daily_budget_usd, max_running) ON tenants TO brainops_app;

-- With DATABASE_APP_URL, tenant work logs in as brainops_app itself (a session that cannot
-- RESET ROLE back to the owner): the role may log in (with the password the operator gives
-- it), and it enters a tenant by proving, with a digest of the secret that BrainOps computed,
-- that BrainOps chose that tenant.
DO $$
BEGIN
  ALTER ROLE brainops_app LOGIN;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'brainops_app could not be made a login role (needs CREATEROLE); DATABASE_APP_URL will not work until it is';
END $$;

-- No SET clause: it would undo the settings made here when the function returns. Everything
-- is schema-qualified instead.
CREATE FUNCTION brainops_enter_tenant_as_app(t text, proof text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  AS $$
  DECLARE
    s text;
  BEGIN
    SELECT value INTO s FROM public.system_secrets WHERE name = 'tenant_seal';
    IF proof IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(s || ':' || t || ':' || s, 'UTF8')), 'hex') THEN
      RAISE EXCEPTION 'not a tenant BrainOps chose' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'public', true),
            pg_catalog.set_config('app.tenant_id', t, true),
            pg_catalog.set_config('app.tenant_seal', public.brainops_tenant_seal(t), true);
  END $$;
REVOKE ALL ON FUNCTION brainops_enter_tenant_as_app(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brainops_enter_tenant_as_app(text, text) TO brainops_app;
