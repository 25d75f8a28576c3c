-- 003: the business tables behind the tools: CRM, pipeline, estimates, competitors,
-- products, Stripe checkout/payments/events, landing pages, ads, email automation.
-- Every table carries tenant_id with row-level security enabled and forced.

CREATE TABLE customers (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  external_id  text,
  name         text NOT NULL,
  email        text,
  phone        text,
  address      text,
  notes        text,
  warnings     jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);
CREATE INDEX customers_list_idx ON customers (tenant_id, created_at DESC, id DESC);

CREATE TABLE contacts (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  customer_id  uuid REFERENCES customers(id) ON DELETE SET NULL,
  external_id  text,
  name         text NOT NULL,
  email        text,
  phone        text,
  address      text,
  role         text,
  warnings     jsonb NOT NULL DEFAULT '[]',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);
CREATE INDEX contacts_list_idx ON contacts (tenant_id, created_at DESC, id DESC);

CREATE TABLE jobs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  customer_id    uuid REFERENCES customers(id) ON DELETE SET NULL,
  external_id    text,
  name           text NOT NULL,
  email          text,
  phone          text,
  address        text,
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'scheduled', 'in_progress', 'done', 'cancelled')),
  value_usd      numeric(12, 2),
  scheduled_for  timestamptz,
  warnings       jsonb NOT NULL DEFAULT '[]',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);
CREATE INDEX jobs_list_idx ON jobs (tenant_id, created_at DESC, id DESC);

CREATE TABLE leads (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name             text NOT NULL,
  email            text,
  phone            text,
  customer_id      uuid REFERENCES customers(id) ON DELETE SET NULL,
  source           text NOT NULL DEFAULT 'manual',
  value_usd        numeric(12, 2) NOT NULL DEFAULT 0,
  notes            text,
  stage            text NOT NULL DEFAULT 'new'
                   CHECK (stage IN ('new', 'contacted', 'qualified', 'estimate_sent', 'won', 'lost')),
  landing_page_id  uuid,
  warnings         jsonb NOT NULL DEFAULT '[]',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_list_idx ON leads (tenant_id, created_at DESC, id DESC);

CREATE TABLE lead_stage_history (
  id          bigserial PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  from_stage  text,
  to_stage    text NOT NULL,
  note        text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_stage_history_idx ON lead_stage_history (lead_id, id);

CREATE TABLE estimates (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  customer_id  uuid REFERENCES customers(id) ON DELETE SET NULL,
  lead_id      uuid REFERENCES leads(id) ON DELETE SET NULL,
  task_id      uuid,
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'accepted', 'declined')),
  total_usd    numeric(12, 2) NOT NULL CHECK (total_usd >= 0),
  output       jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX estimates_list_idx ON estimates (tenant_id, created_at DESC, id DESC);

CREATE TABLE competitors (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name           text NOT NULL,
  prices         jsonb NOT NULL DEFAULT '{}',
  rating         numeric(3, 2),
  reviews        integer NOT NULL DEFAULT 0,
  services       text[] NOT NULL DEFAULT '{}',
  service_area   text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE products (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  sku          text NOT NULL,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  price_usd    numeric(12, 2) NOT NULL CHECK (price_usd >= 0),
  interval     text NOT NULL DEFAULT 'one_time' CHECK (interval IN ('one_time', 'month', 'year')),
  public       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, sku)
);

CREATE TABLE checkout_sessions (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  mode             text NOT NULL CHECK (mode IN ('stripe', 'sandbox')),
  estimate_id      uuid REFERENCES estimates(id) ON DELETE SET NULL,
  product_id       uuid REFERENCES products(id) ON DELETE SET NULL,
  customer_id      uuid REFERENCES customers(id) ON DELETE SET NULL,
  customer_email   text,
  amount_usd       numeric(12, 2) NOT NULL,
  interval         text NOT NULL DEFAULT 'one_time',
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'expired')),
  url              text NOT NULL,
  idempotency_key  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);

CREATE TABLE payments (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  stripe_event_id      text NOT NULL UNIQUE,
  checkout_session_id  text REFERENCES checkout_sessions(id) ON DELETE SET NULL,
  product_id           uuid REFERENCES products(id) ON DELETE SET NULL,
  estimate_id          uuid REFERENCES estimates(id) ON DELETE SET NULL,
  customer_id          uuid REFERENCES customers(id) ON DELETE SET NULL,
  amount_usd           numeric(12, 2) NOT NULL,
  interval             text NOT NULL DEFAULT 'one_time',
  paid_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_tenant_idx ON payments (tenant_id, paid_at);

-- Every Stripe event applied, by id: a replayed event hits the primary key and is ignored.
CREATE TABLE stripe_events (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type         text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE landing_pages (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  -- Slugs are global: /landing/:slug must name one page without a key.
  slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,79}$'),
  title        text NOT NULL,
  headline     text NOT NULL,
  body         text NOT NULL,
  cta          text NOT NULL,
  campaign_id  uuid,
  model        text NOT NULL DEFAULT 'manual',
  published    boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ads_campaigns (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name              text NOT NULL,
  channel           text NOT NULL,
  daily_budget_usd  numeric(12, 2) NOT NULL CHECK (daily_budget_usd >= 0),
  status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused')),
  plan              jsonb NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ads_campaigns_list_idx ON ads_campaigns (tenant_id, created_at DESC, id DESC);

-- What the ads adapter did (live) or would have done (dry run).
CREATE TABLE ads_actions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  campaign_id      uuid NOT NULL REFERENCES ads_campaigns(id) ON DELETE CASCADE,
  mode             text NOT NULL CHECK (mode IN ('dry_run', 'live')),
  payload          jsonb NOT NULL,
  idempotency_key  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);

CREATE TABLE email_sequences (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,
  steps       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_sequences_list_idx ON email_sequences (tenant_id, created_at DESC, id DESC);

CREATE TABLE email_enrollments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  sequence_id  uuid NOT NULL REFERENCES email_sequences(id) ON DELETE CASCADE,
  contact_id   uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  next_step    integer NOT NULL DEFAULT 0,
  next_at      timestamptz NOT NULL DEFAULT now(),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done', 'unsubscribed')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sequence_id, contact_id)
);

-- Every email the system sent or would send: the offline outbox and the audit trail.
CREATE TABLE email_outbox (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  to_address       text NOT NULL,
  subject          text NOT NULL,
  body             text NOT NULL,
  provider         text NOT NULL CHECK (provider IN ('outbox', 'smtp', 'sendgrid')),
  status           text NOT NULL CHECK (status IN ('queued', 'sent', 'suppressed', 'failed')),
  provider_id      text,
  idempotency_key  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);

CREATE TABLE email_unsubscribes (
  tenant_id  text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, email)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customers', 'contacts', 'jobs', 'leads', 'lead_stage_history', 'estimates', 'competitors',
    'products', 'checkout_sessions', 'payments', 'stripe_events', 'landing_pages', 'ads_campaigns', 'ads_actions',
    'email_sequences', 'email_enrollments', 'email_outbox', 'email_unsubscribes'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = current_setting('app.tenant_id', true))
      WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO brainops_app', t);
  END LOOP;
END $$;
GRANT USAGE, SELECT ON SEQUENCE lead_stage_history_id_seq TO brainops_app;

-- Server-side secrets generated on first use (unsubscribe-link signing, the Stripe sandbox's
-- webhook secret): shared by every process on this database, never readable by tenant work.
CREATE TABLE system_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON system_secrets FROM brainops_app;

-- Landing-page slugs are global (/landing/:slug has no tenant), yet tenant work sees only its
-- own pages: this narrowly scoped function answers "is this slug used?" and nothing more.
CREATE FUNCTION landing_slug_taken(s text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT EXISTS (SELECT 1 FROM landing_pages WHERE slug = s) $$;
REVOKE ALL ON FUNCTION landing_slug_taken(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION landing_slug_taken(text) TO brainops_app;
