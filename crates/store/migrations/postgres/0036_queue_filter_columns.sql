-- The queue's filters read from its sort indexes (issue #16). PostgreSQL flavour of
-- sqlite/0036_queue_filter_columns.sql: nothing to change.
--
-- SQLite tests a filter on the columns of the index entry it is walking before reading the
-- row, so its sort indexes now carry age_group and exploitation_mask. PostgreSQL's plain
-- index scan tests such filters on the heap row whatever the index holds (only an index-only
-- scan reads them from the index, and the queue's page reads every column of the row), so the
-- same columns would only make its indexes larger.
SELECT 1;
