-- 046: why a checkout session was expired, so that its pay page says so.
--
-- A link expired because its estimate stopped being accepted (declined, back to draft) was
-- answered "a newer payment link replaced it". The reason is recorded as the session expires:
-- 'replaced' (a newer link for the estimate), 'estimate:<status>' (the estimate's new status),
-- 'payment_pending' (an older link of the estimate was paid meanwhile), 'stripe' (Stripe's
-- checkout.session.expired event). Sessions expired before this keep NULL (reason unknown).
ALTER TABLE checkout_sessions ADD COLUMN expired_reason text;
