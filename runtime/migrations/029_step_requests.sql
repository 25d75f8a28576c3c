-- What a journaled step asked for, when it asked the outside world for something: a tool call
-- (`{tool, input}`), a delegation (`{agent, input}`) or a language step (`{promptSha256}`). A deterministic replay
-- (runtime/replay.ts) compares what the agent's current code asks at the same key with this,
-- and reports the first difference with both sides. NULL for plain steps (their key is all they ask).
ALTER TABLE task_steps ADD COLUMN request jsonb;
