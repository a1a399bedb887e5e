-- The work queue at national volume (issue #16). PostgreSQL flavour; sqlite/0013_queue_at_volume.sql
-- must stay equivalent.
--
-- Every queue filter and sort reads columns of case_summaries only, so each page is one walk
-- of one index that stops at the page:
--   rg_due_key     the Reasonable Grounds due date, '9999-12-31' when there is none (so the
--                  sort key is never NULL and a keyset cursor is a plain row comparison);
--   next_due_key   the earliest open deadline of any kind, '9999-12-31' when none is open;
--   deadline_flag  the worst open deadline as last flagged by the sweep: 0 none open,
--                  1 on track, 2 due soon, 3 overdue.
-- The projection keeps them in the transaction that appends the events (the sweep's flags
-- arrive as events too). Indexes lead with the column the access policy scopes a list by
-- (competent authority, referring organisation, allocated decision maker, pilot site,
-- review pending, or nothing for analysts), then the status (the queue reads each status as
-- its own ordered range and merges them), then the sort key and the reference as tiebreak.
-- The deadline filter (the managers' overdue and due-soon views) has its own set, flag
-- before status, for every sort, so a status with no flagged case costs one index probe
-- instead of a walk of all its cases.

ALTER TABLE case_summaries ADD COLUMN rg_due_key DATE NOT NULL DEFAULT '9999-12-31';
ALTER TABLE case_summaries ADD COLUMN next_due_key DATE NOT NULL DEFAULT '9999-12-31';
ALTER TABLE case_summaries ADD COLUMN deadline_flag SMALLINT NOT NULL DEFAULT 0;

UPDATE case_summaries SET rg_due_key = rg_due_on WHERE rg_due_on IS NOT NULL;
UPDATE case_summaries SET
    next_due_key = COALESCE(
        (SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = case_summaries.case_id),
        '9999-12-31'),
    deadline_flag = COALESCE(
        (SELECT MAX(CASE d.status WHEN 'overdue' THEN 3 WHEN 'due_soon' THEN 2 ELSE 1 END)
         FROM case_deadlines d WHERE d.case_id = case_summaries.case_id),
        0);

DROP INDEX case_summaries_status_due;
DROP INDEX case_summaries_referred_on;
DROP INDEX case_summaries_authority;
DROP INDEX case_summaries_organisation;
DROP INDEX case_summaries_allocated;

-- Analysts (no scope).
CREATE INDEX queue_rg ON case_summaries (status, rg_due_key, reference);
CREATE INDEX queue_referred ON case_summaries (status, referred_on, reference);
CREATE INDEX queue_reference ON case_summaries (status, reference);
CREATE INDEX queue_next ON case_summaries (status, next_due_key, reference);
CREATE INDEX queue_flag ON case_summaries (deadline_flag, status, next_due_key, reference);
CREATE INDEX queue_flag_rg ON case_summaries (deadline_flag, status, rg_due_key, reference);
CREATE INDEX queue_flag_referred ON case_summaries (deadline_flag, status, referred_on, reference);
CREATE INDEX queue_flag_reference ON case_summaries (deadline_flag, status, reference);
-- Competent authorities: case workers, managers and decision makers.
CREATE INDEX queue_ca_rg ON case_summaries (competent_authority, status, rg_due_key, reference);
CREATE INDEX queue_ca_referred ON case_summaries (competent_authority, status, referred_on, reference);
CREATE INDEX queue_ca_reference ON case_summaries (competent_authority, status, reference);
CREATE INDEX queue_ca_next ON case_summaries (competent_authority, status, next_due_key, reference);
CREATE INDEX queue_ca_flag ON case_summaries (competent_authority, deadline_flag, status, next_due_key, reference);
CREATE INDEX queue_ca_flag_rg ON case_summaries (competent_authority, deadline_flag, status, rg_due_key, reference);
CREATE INDEX queue_ca_flag_referred ON case_summaries (competent_authority, deadline_flag, status, referred_on, reference);
CREATE INDEX queue_ca_flag_reference ON case_summaries (competent_authority, deadline_flag, status, reference);
-- First Responder Organisations.
CREATE INDEX queue_org_referred ON case_summaries (referring_organisation, status, referred_on, reference);
CREATE INDEX queue_org_rg ON case_summaries (referring_organisation, status, rg_due_key, reference);
-- Smaller scopes: one decision maker's allocation, a pilot site, the review panel.
CREATE INDEX queue_allocated ON case_summaries (allocated_to, status, rg_due_key, reference);
CREATE INDEX queue_pilot ON case_summaries (pilot_site, status, rg_due_key, reference);
CREATE INDEX queue_review ON case_summaries (review_pending, status, rg_due_key, reference);
