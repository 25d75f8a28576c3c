-- 028: recall reads the full-text index on every query (how many memories hold each query
-- word, and which ones). With GIN's default fast update, recent inserts wait in a pending
-- list that every search must scan in full (up to gin_pending_list_limit, 4 MB): measured,
-- that made a recall's text side 5x slower after a bulk import. Memories are read far more
-- often than written, so insert straight into the index.
ALTER INDEX memories_tsv_idx SET (fastupdate = off);
