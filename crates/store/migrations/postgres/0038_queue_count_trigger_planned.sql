-- The queue counts' trigger without a plan made at every row (issue 16). PostgreSQL flavour;
-- sqlite/0038_queue_count_trigger_planned.sql says why SQLite has nothing to change.
--
-- `case_summaries_count()` (0014) called the SQL function `queue_count_rows` for each row it
-- counted. PostgreSQL 15 parses, analyses and plans the body of a SQL function that cannot be
-- inlined (this one inserts) at every call: under intake's load that was more than half of
-- the group committer's database time (a profile of its server process: 57% in the trigger,
-- most of it the parser and planner). The same rows are now inserted by statements in the
-- PL/pgSQL body itself, whose plans PL/pgSQL makes once a connection and keeps. What is
-- inserted is unchanged; `queue_count_rows` stays for counting existing cases in bulk.

CREATE OR REPLACE FUNCTION case_summaries_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority,
            age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask,
            rg_due_key, delta)
        SELECT k.kind, k.id, OLD.status, COALESCE(OLD.competent_authority, ''),
            COALESCE(OLD.age_group, ''), OLD.deadline_flag, OLD.suspended, OLD.review_pending,
            COALESCE(OLD.pilot_site, ''), OLD.exploitation_mask, DATE '9999-12-31', -1
        FROM (VALUES (0::SMALLINT, '00000000-0000-0000-0000-000000000000'::UUID),
                     (1::SMALLINT, OLD.referring_organisation),
                     (2::SMALLINT, OLD.allocated_to)) AS k(kind, id)
        WHERE k.id IS NOT NULL
        UNION ALL
        SELECT 3, '00000000-0000-0000-0000-000000000000'::UUID, OLD.status,
            COALESCE(OLD.competent_authority, ''), '', 0, FALSE, FALSE, '', 0, OLD.rg_due_key, -1
        WHERE OLD.status = 'awaiting_reasonable_grounds';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority,
            age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask,
            rg_due_key, delta)
        SELECT k.kind, k.id, NEW.status, COALESCE(NEW.competent_authority, ''),
            COALESCE(NEW.age_group, ''), NEW.deadline_flag, NEW.suspended, NEW.review_pending,
            COALESCE(NEW.pilot_site, ''), NEW.exploitation_mask, DATE '9999-12-31', 1
        FROM (VALUES (0::SMALLINT, '00000000-0000-0000-0000-000000000000'::UUID),
                     (1::SMALLINT, NEW.referring_organisation),
                     (2::SMALLINT, NEW.allocated_to)) AS k(kind, id)
        WHERE k.id IS NOT NULL
        UNION ALL
        SELECT 3, '00000000-0000-0000-0000-000000000000'::UUID, NEW.status,
            COALESCE(NEW.competent_authority, ''), '', 0, FALSE, FALSE, '', 0, NEW.rg_due_key, 1
        WHERE NEW.status = 'awaiting_reasonable_grounds';
    END IF;
    RETURN NULL;
END
$$;
