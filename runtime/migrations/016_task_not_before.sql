-- When a task may start (a request's delayMs): the queue job carries the delay, and this
-- keeps it for the sweeper, which re-adds a job that went missing (an add that failed while
-- Redis was away) with the delay that is left, not at once.
ALTER TABLE tasks ADD COLUMN not_before timestamptz;
