-- 044: outreach emails are marked in the outbox, and a send a quiet period holds back is recorded.
--
-- email-outreach decided whom it had written to lately from memory recall (at most 50 hits), so a
-- run after a bigger one wrote to the same people again; and the quiet period was checked only
-- before the approval, so two runs approved together both sent. The outbox is the record of what
-- was sent: `outreach` marks the emails a quiet period counts (email_send's `outreach` option), and
-- a send held back by one stays as its own row with status 'skipped' (never delivered, never
-- retried), naming the email that held it back (`held_by`), so a repeat of its key answers the same.
ALTER TABLE email_outbox
  ADD COLUMN outreach boolean NOT NULL DEFAULT false,
  ADD COLUMN held_by uuid REFERENCES email_outbox(id) ON DELETE SET NULL;
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_check;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check
  CHECK (status IN ('queued', 'sent', 'suppressed', 'failed', 'skipped'));
-- The emails email-outreach sent before: their keys are 'email:<task id>:<contact id>'.
UPDATE email_outbox o SET outreach = true
  FROM tasks t
 WHERE t.tenant_id = o.tenant_id AND t.agent = 'email-outreach'
   AND t.id::text = split_part(o.idempotency_key, ':', 2) AND o.idempotency_key LIKE 'email:%:%';
CREATE INDEX email_outbox_outreach_idx ON email_outbox (tenant_id, to_address, created_at DESC) WHERE outreach;
