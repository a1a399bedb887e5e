-- The not-yet-due range of the cases awaiting Reasonable Grounds, read from its index alone
-- (issue #16). SQLite flavour; postgres/0033_queue_not_due_keys.sql must stay equivalent.
--
-- "Not overdue" sorted by anything but the RG due date reads the whole not-yet-due range of
-- the RG due-date index (a week or so of intake) and sorts it (see `push_branch!` in
-- queue.rs). Each entry used to cost a lookup of its summary row, and the range was copied
-- with every column the page shows: at a million cases the page took 22 ms on SQLite, 12x
-- its time at 10,000. The range now takes only the sort keys, the reference and the case id,
-- which these two indexes (all cases, and a competent authority's, the two scopes large enough to
-- matter) now carry after their key, so the range is read from the index alone and only the
-- page's rows are looked up by case id. The keys are as before: every other query reads the same ranges
-- in the same order. Each index keeps its name and is dropped only if present, as in 0031.

DROP INDEX IF EXISTS queue_rg;
DROP INDEX IF EXISTS queue_ca_rg;

CREATE INDEX queue_rg ON case_summaries (status, rg_due_key, reference, referred_on, next_due_key, case_id);
CREATE INDEX queue_ca_rg ON case_summaries (competent_authority, status, rg_due_key, reference, referred_on, next_due_key, case_id);
