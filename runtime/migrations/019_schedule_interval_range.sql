-- 019: a schedule's interval (everyMs) may be up to 366 days, as the API accepts; an integer
-- column held only 24.8 days, and a longer interval failed as an overflow.
ALTER TABLE schedules ALTER COLUMN every_ms TYPE bigint;
