-- Queue counts kept in the read model (issue #16). SQLite flavour; postgres/0014_queue_counts.sql
-- must stay equivalent.
--
-- A page of the work queue says how many cases match. Counting the matches costs in
-- proportion to them, so at a million cases the count would cost more than the page. Instead
-- every case is counted once, as it is written, into the row of `queue_counts` for its facets:
-- the columns a queue filters on. A count is then a sum over the few rows whose facets match,
-- whatever the number of cases.
--
-- Each case is counted in up to four scopes (scope_kind):
--   0  all cases;
--   1  the cases of its referring organisation (scope_id), for First Responders;
--   2  the cases allocated to one decision maker (scope_id), when allocated;
--   3  awaiting Reasonable Grounds only, by due date (rg_due_key), so "overdue on a given
--      day" is a sum over due dates before it; the other facets are left blank in this scope.
-- scope_id is the nil UUID in scopes 0 and 3, and rg_due_key is '9999-12-31' outside scope 3.
--
-- Writers never touch a shared count row: triggers on case_summaries add +1 and -1 rows to
-- `queue_count_deltas` (inserts only, so concurrent writers never wait for, or deadlock on, a
-- count), and `Store::fold_queue_counts` (run by the deadline sweep and after bulk loads)
-- moves the deltas into `queue_counts`. A count reads both tables in one statement.
--
-- The exploitation types of a case (a set) are a bit mask in case_summaries, kept by a trigger
-- on case_exploitation_types: labour 1, sexual 2, criminal 4, domestic_servitude 8,
-- organ_harvesting 16, other 32, not_known 64.

ALTER TABLE case_summaries ADD COLUMN exploitation_mask INTEGER NOT NULL DEFAULT 0;

UPDATE case_summaries SET exploitation_mask = COALESCE((
    SELECT SUM(CASE t.exploitation_type
        WHEN 'labour' THEN 1 WHEN 'sexual' THEN 2 WHEN 'criminal' THEN 4
        WHEN 'domestic_servitude' THEN 8 WHEN 'organ_harvesting' THEN 16
        WHEN 'other' THEN 32 WHEN 'not_known' THEN 64 ELSE 0 END)
    FROM case_exploitation_types t WHERE t.case_id = case_summaries.case_id), 0);

CREATE TRIGGER case_exploitation_types_mask_insert AFTER INSERT ON case_exploitation_types
BEGIN
    UPDATE case_summaries SET exploitation_mask = exploitation_mask | (CASE NEW.exploitation_type
        WHEN 'labour' THEN 1 WHEN 'sexual' THEN 2 WHEN 'criminal' THEN 4
        WHEN 'domestic_servitude' THEN 8 WHEN 'organ_harvesting' THEN 16
        WHEN 'other' THEN 32 WHEN 'not_known' THEN 64 ELSE 0 END)
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER case_exploitation_types_mask_delete AFTER DELETE ON case_exploitation_types
BEGIN
    UPDATE case_summaries SET exploitation_mask = exploitation_mask & ~(CASE OLD.exploitation_type
        WHEN 'labour' THEN 1 WHEN 'sexual' THEN 2 WHEN 'criminal' THEN 4
        WHEN 'domestic_servitude' THEN 8 WHEN 'organ_harvesting' THEN 16
        WHEN 'other' THEN 32 WHEN 'not_known' THEN 64 ELSE 0 END)
    WHERE case_id = OLD.case_id;
END;

CREATE TABLE queue_counts (
    scope_kind INTEGER NOT NULL,
    scope_id BLOB NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT NOT NULL,
    age_group TEXT NOT NULL,
    deadline_flag INTEGER NOT NULL,
    suspended INTEGER NOT NULL,
    review_pending INTEGER NOT NULL,
    pilot_site TEXT NOT NULL,
    exploitation_mask INTEGER NOT NULL,
    rg_due_key TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scope_kind, scope_id, status, competent_authority, age_group, deadline_flag,
                 suspended, review_pending, pilot_site, exploitation_mask, rg_due_key)
);

CREATE TABLE queue_count_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope_kind INTEGER NOT NULL,
    scope_id BLOB NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT NOT NULL,
    age_group TEXT NOT NULL,
    deadline_flag INTEGER NOT NULL,
    suspended INTEGER NOT NULL,
    review_pending INTEGER NOT NULL,
    pilot_site TEXT NOT NULL,
    exploitation_mask INTEGER NOT NULL,
    rg_due_key TEXT NOT NULL,
    delta INTEGER NOT NULL
);

-- SQLite triggers cannot call a shared function, so each spells out a case's rows in the
-- four scopes (postgres/0014 has the one function these three mirror).
CREATE TRIGGER case_summaries_count_insert AFTER INSERT ON case_summaries
BEGIN
    INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority, age_group,
        deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, delta)
    SELECT 0, X'00000000000000000000000000000000', NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    UNION ALL
    SELECT 1, NEW.referring_organisation, NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    UNION ALL
    SELECT 2, NEW.allocated_to, NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    WHERE NEW.allocated_to IS NOT NULL
    UNION ALL
    SELECT 3, X'00000000000000000000000000000000', NEW.status, COALESCE(NEW.competent_authority, ''),
        '', 0, 0, 0, '', 0, NEW.rg_due_key, 1
    WHERE NEW.status = 'awaiting_reasonable_grounds';
END;

CREATE TRIGGER case_summaries_count_delete AFTER DELETE ON case_summaries
BEGIN
    INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority, age_group,
        deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, delta)
    SELECT 0, X'00000000000000000000000000000000', OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    UNION ALL
    SELECT 1, OLD.referring_organisation, OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    UNION ALL
    SELECT 2, OLD.allocated_to, OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    WHERE OLD.allocated_to IS NOT NULL
    UNION ALL
    SELECT 3, X'00000000000000000000000000000000', OLD.status, COALESCE(OLD.competent_authority, ''),
        '', 0, 0, 0, '', 0, OLD.rg_due_key, -1
    WHERE OLD.status = 'awaiting_reasonable_grounds';
END;

CREATE TRIGGER case_summaries_count_update AFTER UPDATE ON case_summaries
WHEN OLD.status IS NOT NEW.status
    OR OLD.competent_authority IS NOT NEW.competent_authority
    OR OLD.age_group IS NOT NEW.age_group
    OR OLD.deadline_flag IS NOT NEW.deadline_flag
    OR OLD.suspended IS NOT NEW.suspended
    OR OLD.review_pending IS NOT NEW.review_pending
    OR OLD.pilot_site IS NOT NEW.pilot_site
    OR OLD.exploitation_mask IS NOT NEW.exploitation_mask
    OR OLD.referring_organisation IS NOT NEW.referring_organisation
    OR OLD.allocated_to IS NOT NEW.allocated_to
    OR OLD.rg_due_key IS NOT NEW.rg_due_key
BEGIN
    INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority, age_group,
        deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, delta)
    SELECT 0, X'00000000000000000000000000000000', OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    UNION ALL
    SELECT 1, OLD.referring_organisation, OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    UNION ALL
    SELECT 2, OLD.allocated_to, OLD.status, COALESCE(OLD.competent_authority, ''),
        COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
        COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, '9999-12-31', -1
    WHERE OLD.allocated_to IS NOT NULL
    UNION ALL
    SELECT 3, X'00000000000000000000000000000000', OLD.status, COALESCE(OLD.competent_authority, ''),
        '', 0, 0, 0, '', 0, OLD.rg_due_key, -1
    WHERE OLD.status = 'awaiting_reasonable_grounds'
    UNION ALL
    SELECT 0, X'00000000000000000000000000000000', NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    UNION ALL
    SELECT 1, NEW.referring_organisation, NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    UNION ALL
    SELECT 2, NEW.allocated_to, NEW.status, COALESCE(NEW.competent_authority, ''),
        COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
        COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, '9999-12-31', 1
    WHERE NEW.allocated_to IS NOT NULL
    UNION ALL
    SELECT 3, X'00000000000000000000000000000000', NEW.status, COALESCE(NEW.competent_authority, ''),
        '', 0, 0, 0, '', 0, NEW.rg_due_key, 1
    WHERE NEW.status = 'awaiting_reasonable_grounds';
END;

-- The cases already here, counted once.
INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group,
    deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)
SELECT 0, X'00000000000000000000000000000000', status, COALESCE(competent_authority, ''),
    COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''),
    exploitation_mask, '9999-12-31', COUNT(*)
FROM case_summaries
GROUP BY status, COALESCE(competent_authority, ''), COALESCE(age_group, ''), deadline_flag,
    suspended, review_pending, COALESCE(pilot_site, ''), exploitation_mask;

INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group,
    deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)
SELECT 1, referring_organisation, status, COALESCE(competent_authority, ''),
    COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''),
    exploitation_mask, '9999-12-31', COUNT(*)
FROM case_summaries
GROUP BY referring_organisation, status, COALESCE(competent_authority, ''),
    COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''),
    exploitation_mask;

INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group,
    deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)
SELECT 2, allocated_to, status, COALESCE(competent_authority, ''),
    COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''),
    exploitation_mask, '9999-12-31', COUNT(*)
FROM case_summaries WHERE allocated_to IS NOT NULL
GROUP BY allocated_to, status, COALESCE(competent_authority, ''),
    COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''),
    exploitation_mask;

INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group,
    deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)
SELECT 3, X'00000000000000000000000000000000', status, COALESCE(competent_authority, ''),
    '', 0, 0, 0, '', 0, rg_due_key, COUNT(*)
FROM case_summaries WHERE status = 'awaiting_reasonable_grounds'
GROUP BY status, COALESCE(competent_authority, ''), rg_due_key;

-- Suspended cases are few: filtering the sort indexes for them would walk every case, so
-- each sort has a partial index of the suspended cases alone (the queue writes the condition
-- as the literal `suspended = TRUE` so the planners can match it).
CREATE INDEX queue_suspended_rg ON case_summaries (status, rg_due_key, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_referred ON case_summaries (status, referred_on, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_reference ON case_summaries (status, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_next ON case_summaries (status, next_due_key, reference) WHERE suspended = TRUE;
