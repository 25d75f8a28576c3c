-- 022: tenant settings for money and outbound requests (issue 13).
-- currency: what revenue is reported in (ISO 4217, lower case as Stripe writes it).
-- outbound_allow_hosts: hosts that tenant-supplied URLs may reach even when they resolve to
-- loopback/private/link-local addresses (runtime/outbound.ts refuses those otherwise).
ALTER TABLE tenants ADD COLUMN currency text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$');
ALTER TABLE tenants ADD COLUMN outbound_allow_hosts text[] NOT NULL DEFAULT '{}';
GRANT UPDATE (currency, outbound_allow_hosts) ON public.tenants TO brainops_app;

-- Stripe money as Stripe means it (tools/stripe-events.ts): amounts in minor units with their
-- currency; one payment per Stripe payment (a checkout session in payment mode, an invoice),
-- whatever events arrive and in whatever order; refunds, disputes and subscriptions by their
-- own Stripe ids.
ALTER TABLE checkout_sessions ADD COLUMN currency text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$');
ALTER TABLE checkout_sessions ADD COLUMN amount_minor bigint;
UPDATE checkout_sessions SET amount_minor = round(amount_usd * 100);
ALTER TABLE checkout_sessions ALTER COLUMN amount_minor SET NOT NULL;
ALTER TABLE checkout_sessions ADD COLUMN payment_status text NOT NULL DEFAULT 'unpaid';
ALTER TABLE checkout_sessions ADD COLUMN payment_intent text;
ALTER TABLE checkout_sessions ADD COLUMN subscription_id text;
ALTER TABLE checkout_sessions ADD COLUMN invoice_id text;
CREATE INDEX checkout_sessions_subscription_idx ON checkout_sessions (subscription_id) WHERE subscription_id IS NOT NULL;

ALTER TABLE payments DROP CONSTRAINT payments_stripe_event_id_key;
ALTER TABLE payments ALTER COLUMN stripe_event_id DROP NOT NULL;
-- The Stripe object the payment is: 'cs_...' (checkout session, payment mode) or 'in_...' (invoice).
ALTER TABLE payments ADD COLUMN stripe_ref text;
ALTER TABLE payments ADD COLUMN kind text NOT NULL DEFAULT 'checkout' CHECK (kind IN ('checkout', 'invoice'));
ALTER TABLE payments ADD COLUMN payment_intent text;
ALTER TABLE payments ADD COLUMN subscription_id text;
ALTER TABLE payments ADD COLUMN currency text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$');
ALTER TABLE payments ADD COLUMN amount_minor bigint;
-- Stripe's own conversion when the customer paid in another currency (Adaptive Pricing's
-- currency_conversion): the same amount in the currency the session was created in.
ALTER TABLE payments ADD COLUMN source_currency text;
ALTER TABLE payments ADD COLUMN source_amount_minor bigint;
-- What BrainOps asked for (the session it created), when it asked for an amount.
ALTER TABLE payments ADD COLUMN expected_minor bigint;
ALTER TABLE payments ADD COLUMN expected_currency text;
ALTER TABLE payments ADD COLUMN status text NOT NULL DEFAULT 'paid' CHECK (status IN ('pending', 'paid', 'failed', 'amount_mismatch'));
ALTER TABLE payments ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE payments SET stripe_ref = coalesce(checkout_session_id, stripe_event_id), amount_minor = round(amount_usd * 100);
ALTER TABLE payments ALTER COLUMN stripe_ref SET NOT NULL;
ALTER TABLE payments ALTER COLUMN amount_minor SET NOT NULL;
ALTER TABLE payments DROP COLUMN amount_usd;
ALTER TABLE payments ADD CONSTRAINT payments_stripe_ref_key UNIQUE (tenant_id, stripe_ref);
CREATE INDEX payments_payment_intent_idx ON payments (payment_intent) WHERE payment_intent IS NOT NULL;

-- Refunds by Stripe id: a refund object ('re_...', from refund.* events) or a charge's running
-- total ('ch_...', from charge.refunded's amount_refunded). Both describe the same money, so a
-- payment's refunded amount is the greater of the two sums, never their total.
CREATE TABLE stripe_refunds (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  payment_id     uuid NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
  source         text NOT NULL CHECK (source IN ('refund', 'charge')),
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       text NOT NULL,
  status         text NOT NULL,
  -- The newest Stripe event applied (events may arrive out of order: an older one changes nothing).
  event_created  bigint NOT NULL
);
CREATE INDEX stripe_refunds_payment_idx ON stripe_refunds (payment_id);

CREATE TABLE stripe_disputes (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  payment_id     uuid NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       text NOT NULL,
  status         text NOT NULL,
  event_created  bigint NOT NULL
);
CREATE INDEX stripe_disputes_payment_idx ON stripe_disputes (payment_id);

-- Subscriptions as Stripe last described them; MRR is the monthly amount of the active ones.
CREATE TABLE stripe_subscriptions (
  id                    text PRIMARY KEY,
  tenant_id             text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  checkout_session_id   text REFERENCES checkout_sessions(id) ON DELETE SET NULL,
  product_id            uuid REFERENCES products(id) ON DELETE SET NULL,
  customer_id           uuid REFERENCES customers(id) ON DELETE SET NULL,
  status                text NOT NULL,
  currency              text NOT NULL,
  monthly_minor         bigint NOT NULL CHECK (monthly_minor >= 0),
  cancel_at_period_end  boolean NOT NULL DEFAULT false,
  canceled_at           timestamptz,
  event_created         bigint NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['stripe_refunds', 'stripe_disputes', 'stripe_subscriptions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = current_setting('app.tenant_id', true))
      WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO brainops_app', t);
  END LOOP;
END $$;

-- Each payment's money after refunds and disputes, and in the tenant's currency when Stripe
-- told us the conversion (null when it did not). security_invoker: the caller's row-level
-- security applies, so a tenant sees only its own payments.
CREATE VIEW payment_amounts WITH (security_invoker = true) AS
SELECT p.id, p.tenant_id, p.status, p.paid_at, p.product_id, p.estimate_id, p.customer_id, p.kind, p.currency, p.amount_minor,
       r.refunded_minor, d.disputed_minor, t.currency AS tenant_currency,
       CASE WHEN p.status = 'paid' THEN greatest(p.amount_minor - r.refunded_minor - d.disputed_minor, 0) ELSE 0 END AS net_minor,
       CASE WHEN p.currency = t.currency THEN p.amount_minor WHEN p.source_currency = t.currency THEN p.source_amount_minor END AS gross_tenant_minor,
       CASE WHEN p.status <> 'paid' THEN 0
            WHEN p.currency = t.currency THEN greatest(p.amount_minor - r.refunded_minor - d.disputed_minor, 0)
            WHEN p.source_currency = t.currency AND p.amount_minor > 0
              THEN round(greatest(p.amount_minor - r.refunded_minor - d.disputed_minor, 0)::numeric * p.source_amount_minor / p.amount_minor)::bigint
       END AS net_tenant_minor
FROM payments p
JOIN tenants t ON t.id = p.tenant_id
CROSS JOIN LATERAL (
  SELECT greatest(
    coalesce((SELECT sum(amount_minor) FROM stripe_refunds WHERE payment_id = p.id AND source = 'charge'), 0),
    coalesce((SELECT sum(amount_minor) FROM stripe_refunds WHERE payment_id = p.id AND source = 'refund' AND status IN ('succeeded', 'pending', 'requires_action')), 0)
  )::bigint AS refunded_minor
) r
CROSS JOIN LATERAL (
  SELECT coalesce((SELECT sum(amount_minor) FROM stripe_disputes WHERE payment_id = p.id AND status IN ('needs_response', 'under_review', 'lost')), 0)::bigint AS disputed_minor
) d;
GRANT SELECT ON payment_amounts TO brainops_app;

-- A refund or dispute whose payment is not known yet (Stripe does not order events): kept by
-- its payment intent and applied when that payment's checkout or invoice event arrives.
-- System work only: no tenant is known for these rows.
CREATE TABLE stripe_parked_events (
  event_id        text PRIMARY KEY,
  payment_intent  text NOT NULL,
  payload         jsonb NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_parked_events_intent_idx ON stripe_parked_events (payment_intent);
REVOKE ALL ON stripe_parked_events FROM brainops_app;
