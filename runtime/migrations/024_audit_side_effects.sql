-- 024: every side effect on the audit trail, and approvals that carry what they approve.
-- audit_events.key: the tool-call wrapper records each side effect once per idempotency key
-- (a replayed call records nothing new). The expression indexes serve the trails the Board
-- shows: a task's (its actor or details.taskId) and a customer's (details.customerId).
ALTER TABLE public.audit_events ADD COLUMN key text;
CREATE UNIQUE INDEX audit_events_key_idx ON public.audit_events (tenant_id, key) WHERE key IS NOT NULL;
CREATE INDEX audit_events_task_idx ON public.audit_events (tenant_id, (details->>'taskId'), id DESC);
CREATE INDEX audit_events_actor_idx ON public.audit_events (tenant_id, (actor->>'id'), id DESC);
CREATE INDEX audit_events_customer_idx ON public.audit_events (tenant_id, (details->>'customerId'), id DESC);

-- What exactly an approval lets happen: the emails (to, subject, body), the spend (items,
-- amounts), the page (title, slug, headline, body). Shown by the API and the Board.
ALTER TABLE public.approvals ADD COLUMN content jsonb;
