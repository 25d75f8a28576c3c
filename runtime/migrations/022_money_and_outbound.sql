-- 022: tenant settings for money and outbound requests (issue 13).
-- currency: what revenue is reported in (ISO 4217, lower case as Stripe writes it).
-- outbound_allow_hosts: hosts that tenant-supplied URLs may reach even when they resolve to
-- loopback/private/link-local addresses (runtime/outbound.ts refuses those otherwise).
ALTER TABLE tenants ADD COLUMN currency text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$');
ALTER TABLE tenants ADD COLUMN outbound_allow_hosts text[] NOT NULL DEFAULT '{}';
GRANT UPDATE (currency, outbound_allow_hosts) ON public.tenants TO brainops_app;
