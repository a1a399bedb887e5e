-- The queue's filters read from its sort indexes (issue #16). PostgreSQL flavour of
-- sqlite/0036_queue_filter_columns.sql: nothing changed here yet.
--
-- SQLite tests any filter on the columns of the index entry it is walking before it reads the
-- row, so its sort indexes now carry age_group and exploitation_mask. PostgreSQL tests a
-- key column's equality (age_group) on the index entry too, but a bit test of the mask only
-- on the heap row (short of an index-only scan, and the queue's page reads every column of
-- the row); whether age_group in its keys earns the larger indexes is still to be measured
-- there, so its indexes stay as they were.
SELECT 1;
