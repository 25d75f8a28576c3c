-- An approval whose task was cancelled before anyone decided is withdrawn: it leaves the
-- pending inbox and can no longer be decided.
ALTER TABLE approvals DROP CONSTRAINT approvals_status_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_status_check
  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'auto_approved', 'withdrawn'));
