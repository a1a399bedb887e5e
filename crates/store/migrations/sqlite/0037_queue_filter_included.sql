-- The queue's age-group and exploitation filters tested on the index entry (issue #16).
-- SQLite flavour of postgres/0037_queue_filter_included.sql: nothing changed here, as 0036
-- already ends SQLite's full sort indexes with the two columns, which SQLite tests on the
-- index entry it walks.
SELECT 1;
