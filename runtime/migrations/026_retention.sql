-- Retention (runtime/retention.ts): the indexes its batched deletes and its "oldest row kept"
-- read walk, so that each batch is a short index range instead of a table scan.
CREATE INDEX IF NOT EXISTS tasks_finished_idx ON public.tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_events_created_idx ON public.task_events (created_at);
CREATE INDEX IF NOT EXISTS task_steps_finished_idx ON public.task_steps (finished_at);
CREATE INDEX IF NOT EXISTS audit_events_at_idx ON public.audit_events (at);
