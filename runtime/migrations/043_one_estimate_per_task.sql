-- 043: a task stores at most one estimate.
--
-- The estimator records its estimate as its last tool call, and POST /api/v1/ai-estimation reads
-- it back; a repeat of the request (the same Idempotency-Key) or a retried task used to store
-- another copy, each of them payable. Copies stored before this migration keep their rows; all
-- but the first lose their task link (they stay listed, and payable only if accepted).
UPDATE estimates e SET task_id = NULL
 WHERE task_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM estimates f
                WHERE f.tenant_id = e.tenant_id AND f.task_id = e.task_id
                  AND (f.created_at, f.id) < (e.created_at, e.id));
CREATE UNIQUE INDEX estimates_task_key ON estimates (tenant_id, task_id) WHERE task_id IS NOT NULL;
