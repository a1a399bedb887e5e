-- The queue's indexes on case_summaries, smaller (issue #16, bulk seeding at a million).
-- SQLite flavour; postgres/0031_queue_partial_indexes.sql must stay equivalent.
--
-- A bulk load builds every index once at the end, and each build sorts every entry it holds:
-- at a million cases the queue's indexes of migrations 0013 and 0014 were a third of the
-- seeding time or more. Ten of them are only ever read for a few of the cases, so they now
-- hold only those:
--   - the deadline filter's indexes (queue_flag*, queue_ca_flag*): the service filters by
--     the flags "due soon" (2) and "overdue" (3) only, so they hold the cases flagged 2 or 3;
--     the queue writes the literal `deadline_flag >= 2` beside the flag it asks for, so the
--     planners can match them (the store's "on track" filter, which nothing asks for, walks
--     the sort's index instead);
--   - a pilot site's index (queue_pilot): the cases of a pilot site (`pilot_site = $1`
--     implies `pilot_site IS NOT NULL` to both planners);
--   - the review panel's index (queue_review): the cases with a review pending, read with
--     the literal `review_pending = TRUE` (as the suspended cases' indexes of 0014 are).
-- The keys are as before (the review index drops its constant leading column), so every
-- query reads the same ranges in the same order. Each index keeps its name, and is dropped
-- only if present: an interrupted bulk load may have left it dropped and listed in
-- deferred_indexes, whose old definition the next start then finds built already.

DROP INDEX IF EXISTS queue_flag;
DROP INDEX IF EXISTS queue_flag_rg;
DROP INDEX IF EXISTS queue_flag_referred;
DROP INDEX IF EXISTS queue_flag_reference;
DROP INDEX IF EXISTS queue_ca_flag;
DROP INDEX IF EXISTS queue_ca_flag_rg;
DROP INDEX IF EXISTS queue_ca_flag_referred;
DROP INDEX IF EXISTS queue_ca_flag_reference;
DROP INDEX IF EXISTS queue_pilot;
DROP INDEX IF EXISTS queue_review;

CREATE INDEX queue_flag ON case_summaries (deadline_flag, status, next_due_key, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_flag_rg ON case_summaries (deadline_flag, status, rg_due_key, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_flag_referred ON case_summaries (deadline_flag, status, referred_on, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_flag_reference ON case_summaries (deadline_flag, status, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_ca_flag ON case_summaries (competent_authority, deadline_flag, status, next_due_key, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_ca_flag_rg ON case_summaries (competent_authority, deadline_flag, status, rg_due_key, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_ca_flag_referred ON case_summaries (competent_authority, deadline_flag, status, referred_on, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_ca_flag_reference ON case_summaries (competent_authority, deadline_flag, status, reference) WHERE deadline_flag >= 2;
CREATE INDEX queue_pilot ON case_summaries (pilot_site, status, rg_due_key, reference) WHERE pilot_site IS NOT NULL;
CREATE INDEX queue_review ON case_summaries (status, rg_due_key, reference) WHERE review_pending = TRUE;
