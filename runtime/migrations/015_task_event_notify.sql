-- 015: the task event stream (GET /api/v1/tasks/:id/events) is woken by LISTEN/NOTIFY
-- instead of polling task_events (runtime/events.ts).
--
-- A trigger, not the writers, sends the notification: it is the one place that sees every
-- writer (the worker's single-statement CTEs, the API, raw SQL).
--
-- It notifies only for tasks an open stream watches. A NOTIFY takes a cluster-wide lock at
-- commit and holds it through the commit's WAL flush, so notifying commits run one at a
-- time: measured with pgbench (8 clients, one-row inserts, PostgreSQL 15), about 200 tps
-- with an unconditional notify (row or statement trigger alike) against about 900 without
-- one and about 900 with this watched-only trigger. Streams are few; task events are many.
--
-- FOR EACH ROW: writers insert one row per statement (a step, a status), where a statement
-- trigger would pay for a transition table on every insert; several rows of one task in one
-- transaction still send one notification (PostgreSQL folds identical notifications).

-- One row per task per listening process, written by that process's LISTEN connection
-- (`listener` = its backend pid) when a stream opens and deleted when the last one closes.
-- Rows of a dead connection are removed when any process's listener (re)connects. UNLOGGED:
-- it is rebuilt by the listeners after a crash, and needs no WAL.
CREATE UNLOGGED TABLE task_event_watches (
  task_id   uuid NOT NULL,
  listener  integer NOT NULL,
  since     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, listener)
);
-- System bookkeeping: tenant work (brainops_app) neither reads nor writes it.
REVOKE ALL ON task_event_watches FROM brainops_app;

-- SECURITY DEFINER: the writer may be brainops_app, which cannot read the watches.
CREATE FUNCTION notify_task_event() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM task_event_watches WHERE task_id = NEW.task_id) THEN
    PERFORM pg_notify('brainops_task_events', NEW.task_id::text);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION notify_task_event() FROM PUBLIC;

CREATE TRIGGER task_events_notify AFTER INSERT ON task_events
  FOR EACH ROW EXECUTE FUNCTION notify_task_event();
