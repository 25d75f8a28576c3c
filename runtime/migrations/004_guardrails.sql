-- 004: guardrails for autonomous work: schedules, approvals, the audit trail, tenant
-- spending limits, and the job id of a task that was resumed after an approval.

-- Schedules: the source of truth; BullMQ's job schedulers are reconciled from these rows.
CREATE TABLE public.schedules (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     text NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  agent         text NOT NULL,
  input         jsonb NOT NULL DEFAULT '{}',
  cron          text,
  every_ms      integer CHECK (every_ms IS NULL OR every_ms >= 1000),
  timezone      text NOT NULL DEFAULT 'UTC',
  enabled       boolean NOT NULL DEFAULT true,
  budget        jsonb,
  priority      integer,
  last_run_at   timestamptz,
  last_task_id  uuid,
  last_error    jsonb,
  next_run_at   timestamptz,
  created_by    jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((cron IS NULL) <> (every_ms IS NULL)),
  UNIQUE (tenant_id, name)
);

-- Approvals: one row per ctx.approval(...) call of a task (its `step` key is stable across runs).
CREATE TABLE public.approvals (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  task_id      uuid NOT NULL REFERENCES public.tasks(id) ON DELETE CASCADE,
  step         text NOT NULL,
  action       text NOT NULL,
  summary      text NOT NULL,
  amount_usd   numeric,
  recipients   text[],
  status       text NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'auto_approved')),
  decided_by   jsonb,
  note         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  decided_at   timestamptz,
  expires_at   timestamptz,
  UNIQUE (task_id, step)
);
CREATE INDEX approvals_status_idx ON public.approvals (tenant_id, status, created_at DESC);
CREATE INDEX approvals_expiry_idx ON public.approvals (expires_at) WHERE status = 'pending';

-- The audit trail: who or what caused every task, approval, schedule change and side effect.
CREATE TABLE public.audit_events (
  id          bigserial PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  actor       jsonb NOT NULL,
  action      text NOT NULL,
  subject     text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_list_idx ON public.audit_events (tenant_id, id DESC);
CREATE INDEX audit_events_subject_idx ON public.audit_events (tenant_id, subject, id DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['schedules', 'approvals', 'audit_events'] LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON public.%I
      USING (tenant_id = current_setting('app.tenant_id', true))
      WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  END LOOP;
END $$;

-- Tenant limits: NULL means "use the configured default" (TENANT_DAILY_BUDGET_USD, TENANT_MAX_RUNNING).
ALTER TABLE public.tenants ADD COLUMN daily_budget_usd numeric CHECK (daily_budget_usd IS NULL OR daily_budget_usd >= 0);
ALTER TABLE public.tenants ADD COLUMN max_running integer CHECK (max_running IS NULL OR max_running >= 0);

-- A task resumed after an approval runs under a new BullMQ job id (`<task id>-r<n>`): the
-- first job has completed and BullMQ keeps a completed id. NULL means the task id itself.
ALTER TABLE public.tasks ADD COLUMN job_id text;
-- Daily spend per tenant sums the usage of tasks touched today.
CREATE INDEX tasks_spend_idx ON public.tasks (tenant_id, updated_at);
