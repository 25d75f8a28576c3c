-- Every foreign key to tasks gets an index on its referencing column. Deleting a task (the
-- retention pass, runtime/retention.ts) makes PostgreSQL find the rows that reference it
-- (ON DELETE SET NULL); without an index that is a scan of the whole referencing table per
-- deleted task, so a batch of 1,000 old tasks took over 30 s with 90,000 tasks kept
-- (bench/RESULTS.md, "Retention"). Partial: most rows reference no task.
CREATE INDEX IF NOT EXISTS tasks_parent_idx ON public.tasks (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS memories_source_task_idx ON public.memories (source_task_id) WHERE source_task_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS digests_task_idx ON public.digests (task_id) WHERE task_id IS NOT NULL;
