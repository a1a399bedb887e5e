-- The queue counts' trigger without a plan made at every row (issue 16). SQLite flavour.
--
-- On PostgreSQL the counting trigger called a SQL function that PostgreSQL planned afresh for
-- every row (postgres/0038_queue_count_trigger_planned.sql). SQLite's triggers (0014) are
-- compiled with the statement that fires them, so nothing changes here; this file keeps the
-- two folders' migrations in step.
SELECT 1;
