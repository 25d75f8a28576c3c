-- 001: tenants, API keys, tasks and their journal and events.
-- Every business table carries tenant_id, with row-level security enabled and forced.

CREATE EXTENSION IF NOT EXISTS vector;

-- The role the app runs tenant work as. Roles are cluster-wide: another database on the
-- same server may have created it already (even concurrently).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'brainops_app') THEN
    CREATE ROLE brainops_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

GRANT USAGE ON SCHEMA public TO brainops_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO brainops_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO brainops_app;

CREATE TABLE tenants (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  key_prefix    text NOT NULL,
  scopes        text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

CREATE TABLE tasks (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent            text NOT NULL,
  status           text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled')),
  input            jsonb NOT NULL,
  output           jsonb,
  error            jsonb,
  attempts         integer NOT NULL DEFAULT 0,
  progress         jsonb,
  usage            jsonb NOT NULL DEFAULT '{"inputTokens": 0, "outputTokens": 0, "costUsd": 0}',
  budget           jsonb,
  priority         integer NOT NULL DEFAULT 0,
  idempotency_key  text,
  parent_id        uuid REFERENCES tasks(id) ON DELETE SET NULL,
  created_by       jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  UNIQUE (tenant_id, agent, idempotency_key)
);
CREATE INDEX tasks_list_idx ON tasks (tenant_id, created_at DESC, id DESC);
CREATE INDEX tasks_status_idx ON tasks (status, updated_at) WHERE status IN ('queued', 'running');

-- The step journal: one row per finished step; a retried task replays these.
CREATE TABLE task_steps (
  task_id      uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  tenant_id    text NOT NULL,
  name         text NOT NULL,
  seq          integer NOT NULL,
  result       jsonb,
  usage        jsonb,
  attempt      integer NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, name)
);

-- What the Board's live view streams: status, progress, log and step events.
CREATE TABLE task_events (
  id          bigserial PRIMARY KEY,
  task_id     uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  tenant_id   text NOT NULL,
  type        text NOT NULL CHECK (type IN ('status', 'progress', 'log', 'step')),
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_events_task_idx ON task_events (task_id, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['api_keys', 'tasks', 'task_steps', 'task_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = current_setting('app.tenant_id', true))
      WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  END LOOP;
END $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = current_setting('app.tenant_id', true));
GRANT SELECT ON tenants TO brainops_app;

INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant') ON CONFLICT DO NOTHING;
