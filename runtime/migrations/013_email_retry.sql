-- Email sends that failed (provider 5xx, timeout) or were cut off by a crash stay in
-- email_outbox as 'failed' / 'queued'; email_outbox_retry_due re-sends them. These columns
-- let it claim a row atomically (one sender per attempt) and give up after a few attempts.
ALTER TABLE public.email_outbox
  ADD COLUMN attempts int NOT NULL DEFAULT 1,
  ADD COLUMN last_attempt_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN last_error text;
CREATE INDEX email_outbox_retry_idx ON public.email_outbox (last_attempt_at) WHERE status IN ('queued', 'failed');
