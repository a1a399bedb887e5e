-- The queue's age-group and exploitation filters tested on the index entry (issue #16).
-- PostgreSQL flavour; sqlite/0037_queue_filter_included.sql changes nothing (its 0036 put
-- the two columns in SQLite's sort indexes).
--
-- A page filtered by age group or exploitation type walks a sort index and, on PostgreSQL,
-- tested each entry on its table row: at a million cases the rows an entry points to are
-- scattered over the table, so a filtered page read 2-3x the buffers it read at 10,000 and
-- took 2-3x the time. Appending the columns to the keys (as 0036 does for SQLite) changed the
-- planner's choice elsewhere (see postgres/0036). Here they are included columns instead, with
-- the case id: the keys, and so the order and the ranges every other query reads, are as
-- before. A page of the two scopes large enough to matter (all cases, a competent
-- authority's), filtered or merged from several statuses, now reads each status's sort keys,
-- reference and case id from the index alone, a filter tested on each entry (an index-only
-- scan's filter; the suspended flag is there for `suspended=false`, and the RG due date
-- for `overdue` in the indexes by referral date and next deadline: in those by reference it
-- made the planner walk all references of the cases awaiting RG for a due date's
-- not-yet-due cases, instead of walking that date in queue_rg, which the plan test caught), merges them, and looks up only the
-- page's rows by case id (`push_page!` in queue.rs): before, each status's branch read its
-- page's table rows, and with a filter the rows of every entry it skipped too. The mask's bit test is not an index operator, but
-- an index-only scan evaluates it on the included column all the same. Each index keeps its
-- name and is dropped only if present, as in 0031.

DROP INDEX IF EXISTS queue_rg;
CREATE INDEX queue_rg ON case_summaries (status, rg_due_key, reference) INCLUDE (referred_on, next_due_key, case_id, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_ca_rg;
CREATE INDEX queue_ca_rg ON case_summaries (competent_authority, status, rg_due_key, reference) INCLUDE (referred_on, next_due_key, case_id, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_referred;
CREATE INDEX queue_referred ON case_summaries (status, referred_on, reference) INCLUDE (case_id, rg_due_key, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_ca_referred;
CREATE INDEX queue_ca_referred ON case_summaries (competent_authority, status, referred_on, reference) INCLUDE (case_id, rg_due_key, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_reference;
CREATE INDEX queue_reference ON case_summaries (status, reference) INCLUDE (case_id, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_ca_reference;
CREATE INDEX queue_ca_reference ON case_summaries (competent_authority, status, reference) INCLUDE (case_id, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_next;
CREATE INDEX queue_next ON case_summaries (status, next_due_key, reference) INCLUDE (case_id, rg_due_key, age_group, exploitation_mask, suspended);

DROP INDEX IF EXISTS queue_ca_next;
CREATE INDEX queue_ca_next ON case_summaries (competent_authority, status, next_due_key, reference) INCLUDE (case_id, rg_due_key, age_group, exploitation_mask, suspended);
