-- 014: tenant guardrail settings through the API (PATCH /api/v1/tenant). Tenant work may
-- change only its own limits: the column grant keeps id and name read-only, and the
-- tenant_isolation policy of 001 (FOR ALL, no WITH CHECK, so USING also checks the new row)
-- limits an UPDATE to the tenant's own row.
GRANT UPDATE (daily_budget_usd, max_running) ON public.tenants TO brainops_app;
