-- The queue's date-sorted indexes break a tie of dates on the case id, not the reference
-- (issue #16). PostgreSQL flavour; sqlite/0040_queue_tie_by_case_id.sql must stay equivalent
-- and says why: a random reference after the date put each new case at a random place among
-- the cases of its date, so a burst of intake dirtied a page all over each index (and, after
-- a checkpoint, wrote each page whole to the WAL); the case id is time-ordered, so a new
-- entry goes after those of its date. Keys, included columns and names are otherwise those of
-- 0031, 0034 and 0037 (SQLite's authority indexes of the deadline filter now lead with the
-- flag, for its planner); where the case id was included it is now a key. The not-yet-due cases
-- of one due date walked by reference get partial indexes of their own, whose condition only
-- that walk states (see the SQLite flavour).

DROP INDEX IF EXISTS queue_rg;
CREATE INDEX queue_rg ON case_summaries (status, rg_due_key, case_id) INCLUDE (reference, referred_on, next_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_ca_rg;
CREATE INDEX queue_ca_rg ON case_summaries (competent_authority, status, rg_due_key, case_id) INCLUDE (reference, referred_on, next_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_referred;
CREATE INDEX queue_referred ON case_summaries (status, referred_on, case_id) INCLUDE (rg_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_ca_referred;
CREATE INDEX queue_ca_referred ON case_summaries (competent_authority, status, referred_on, case_id) INCLUDE (rg_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_next;
CREATE INDEX queue_next ON case_summaries (status, next_due_key, case_id) INCLUDE (rg_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_ca_next;
CREATE INDEX queue_ca_next ON case_summaries (competent_authority, status, next_due_key, case_id) INCLUDE (rg_due_key, age_group, exploitation_mask, suspended);
DROP INDEX IF EXISTS queue_allocated;
CREATE INDEX queue_allocated ON case_summaries (allocated_to, status, rg_due_key, case_id);
DROP INDEX IF EXISTS queue_org_referred;
CREATE INDEX queue_org_referred ON case_summaries (referring_organisation, status, referred_on, case_id);
DROP INDEX IF EXISTS queue_org_rg;
CREATE INDEX queue_org_rg ON case_summaries (referring_organisation, status, rg_due_key, case_id);

DROP INDEX IF EXISTS queue_flag;
CREATE INDEX queue_flag ON case_summaries (deadline_flag, status, next_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_flag_rg;
CREATE INDEX queue_flag_rg ON case_summaries (deadline_flag, status, rg_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_flag_referred;
CREATE INDEX queue_flag_referred ON case_summaries (deadline_flag, status, referred_on, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag;
CREATE INDEX queue_ca_flag ON case_summaries (competent_authority, deadline_flag, status, next_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag_rg;
CREATE INDEX queue_ca_flag_rg ON case_summaries (competent_authority, deadline_flag, status, rg_due_key, case_id) WHERE deadline_flag >= 2;
DROP INDEX IF EXISTS queue_ca_flag_referred;
CREATE INDEX queue_ca_flag_referred ON case_summaries (competent_authority, deadline_flag, status, referred_on, case_id) WHERE deadline_flag >= 2;
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
CREATE INDEX queue_nd_reference ON case_summaries (rg_due_key, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds' AND reference > '';
CREATE INDEX queue_nd_ca_reference ON case_summaries (competent_authority, rg_due_key, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds' AND reference > '';
