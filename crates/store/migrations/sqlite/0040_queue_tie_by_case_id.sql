-- The queue's date-sorted indexes break a tie of dates on the case id, not the reference
-- (issue #16). SQLite flavour of postgres/0040_queue_tie_by_case_id.sql.
--
-- A reference is random by design, so ordered after the date it put each new case at a random
-- place among the cases of its date: a burst of referrals on one day (everything the intake
-- benchmark sends) rewrote a page in every part of each such index for every case, thirteen
-- indexes, and every rewritten page is written to the WAL and again at the checkpoint (60 % of
-- the WAL's frames during intake were these indexes' pages). The case id is time-ordered
-- (UUID version 7), so a new case's entry goes after those of its date, and the pages a batch
-- of intake rewrites are the few last pages of each date. The queue keeps the cases of one date
-- in the order they arrived; its cursors carry the case id (`QueueCursor`, version q2).
--
-- A competent authority's indexes of the deadline filter now lead with the flag, then the
-- authority (PostgreSQL's keep the authority first): SQLite's planner, given the flag's
-- equality and the partial index's `deadline_flag >= 2` on the second column, used only the
-- range, for every index of the four alike, and so sorted a page by reference instead of
-- walking queue_ca_flag_reference in order (the plan test caught it once the other three
-- changed). With the flag first, as in the indexes of all cases, it uses all three
-- equalities.
--
-- The indexes sorted by reference keep it (that order is the reference). The RG due-date
-- indexes carry the reference still, for the not-yet-due range read from them alone by
-- reference; the not-yet-due cases of one due date walked in reference order get partial
-- indexes of their own (queue_nd_reference, queue_nd_ca_reference), as those by referral date
-- and next deadline have since 0034. Their condition adds `reference > ''` (true of every
-- case), which only that walk states: PostgreSQL otherwise read the not-yet-due range of a
-- page sorted by RG due date from them (fewer pages than queue_rg) and sorted a whole day's
-- cases by case id again. Each index keeps its name and is dropped only if present.

DROP INDEX IF EXISTS queue_rg;
CREATE INDEX queue_rg ON case_summaries (status, rg_due_key, case_id, reference, referred_on, next_due_key, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_ca_rg;
CREATE INDEX queue_ca_rg ON case_summaries (competent_authority, status, rg_due_key, case_id, reference, referred_on, next_due_key, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_referred;
CREATE INDEX queue_referred ON case_summaries (status, referred_on, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_ca_referred;
CREATE INDEX queue_ca_referred ON case_summaries (competent_authority, status, referred_on, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_next;
CREATE INDEX queue_next ON case_summaries (status, next_due_key, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_ca_next;
CREATE INDEX queue_ca_next ON case_summaries (competent_authority, status, next_due_key, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_allocated;
CREATE INDEX queue_allocated ON case_summaries (allocated_to, status, rg_due_key, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_org_referred;
CREATE INDEX queue_org_referred ON case_summaries (referring_organisation, status, referred_on, case_id, age_group, exploitation_mask);
DROP INDEX IF EXISTS queue_org_rg;
CREATE INDEX queue_org_rg ON case_summaries (referring_organisation, status, rg_due_key, case_id, age_group, exploitation_mask);

DROP INDEX IF EXISTS queue_flag;
CREATE INDEX queue_flag ON case_summaries (deadline_flag, status, next_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_flag_rg;
CREATE INDEX queue_flag_rg ON case_summaries (deadline_flag, status, rg_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_flag_referred;
CREATE INDEX queue_flag_referred ON case_summaries (deadline_flag, status, referred_on, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag;
CREATE INDEX queue_ca_flag ON case_summaries (deadline_flag, competent_authority, status, next_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag_rg;
CREATE INDEX queue_ca_flag_rg ON case_summaries (deadline_flag, competent_authority, status, rg_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag_referred;
CREATE INDEX queue_ca_flag_referred ON case_summaries (deadline_flag, competent_authority, status, referred_on, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag_reference;
CREATE INDEX queue_ca_flag_reference ON case_summaries (deadline_flag, competent_authority, status, reference) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_pilot;
CREATE INDEX queue_pilot ON case_summaries (pilot_site, status, rg_due_key, case_id) WHERE pilot_site IS NOT NULL;
DROP INDEX IF EXISTS queue_review;
CREATE INDEX queue_review ON case_summaries (status, rg_due_key, case_id) WHERE review_pending = TRUE;
DROP INDEX IF EXISTS queue_suspended_rg;
CREATE INDEX queue_suspended_rg ON case_summaries (status, rg_due_key, case_id) WHERE suspended = TRUE;
DROP INDEX IF EXISTS queue_suspended_referred;
CREATE INDEX queue_suspended_referred ON case_summaries (status, referred_on, case_id) WHERE suspended = TRUE;
DROP INDEX IF EXISTS queue_suspended_next;
CREATE INDEX queue_suspended_next ON case_summaries (status, next_due_key, case_id) WHERE suspended = TRUE;

DROP INDEX IF EXISTS queue_nd_referred;
CREATE INDEX queue_nd_referred ON case_summaries (rg_due_key, referred_on, case_id)
    WHERE status = 'awaiting_reasonable_grounds';
DROP INDEX IF EXISTS queue_nd_ca_referred;
CREATE INDEX queue_nd_ca_referred ON case_summaries (competent_authority, rg_due_key, referred_on, case_id)
    WHERE status = 'awaiting_reasonable_grounds';
DROP INDEX IF EXISTS queue_nd_next;
CREATE INDEX queue_nd_next ON case_summaries (rg_due_key, next_due_key, case_id)
    WHERE status = 'awaiting_reasonable_grounds';
DROP INDEX IF EXISTS queue_nd_ca_next;
CREATE INDEX queue_nd_ca_next ON case_summaries (competent_authority, rg_due_key, next_due_key, case_id)
    WHERE status = 'awaiting_reasonable_grounds';
CREATE INDEX queue_nd_reference ON case_summaries (rg_due_key, reference, case_id)
    WHERE status = 'awaiting_reasonable_grounds' AND reference > '';
CREATE INDEX queue_nd_ca_reference ON case_summaries (competent_authority, rg_due_key, reference, case_id)
    WHERE status = 'awaiting_reasonable_grounds' AND reference > '';
