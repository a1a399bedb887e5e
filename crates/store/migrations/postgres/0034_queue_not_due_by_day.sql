-- The not-yet-due cases awaiting Reasonable Grounds, a day's due date at a time, in the order
-- of each sort (issue #16). PostgreSQL flavour; sqlite/0034_queue_not_due_by_day.sql must stay
-- equivalent.
--
-- "Not overdue" sorted by anything but the RG due date read the whole not-yet-due range (a
-- week or so of intake, every case of it) and sorted it: the page cost what the range held.
-- The range holds few distinct due dates (the RG decision is due a few working days after
-- referral), so the page is now read as one ordered, limited walk per due date (see
-- `push_branch!` in queue.rs): for the reference sort the RG due-date indexes already order
-- each day by reference; these order each day by referral date and by next deadline, for all
-- cases and for a competent authority's (the two scopes large enough to matter). They hold
-- only the cases awaiting Reasonable Grounds, and carry the case id so the walk is an
-- index-only scan.

CREATE INDEX queue_nd_referred ON case_summaries (rg_due_key, referred_on, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds';
CREATE INDEX queue_nd_ca_referred ON case_summaries (competent_authority, rg_due_key, referred_on, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds';
CREATE INDEX queue_nd_next ON case_summaries (rg_due_key, next_due_key, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds';
CREATE INDEX queue_nd_ca_next ON case_summaries (competent_authority, rg_due_key, next_due_key, reference)
    INCLUDE (case_id) WHERE status = 'awaiting_reasonable_grounds';
