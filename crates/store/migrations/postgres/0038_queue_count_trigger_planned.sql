-- The queue counts' trigger without a plan made at every row (issue 16). PostgreSQL flavour;
-- sqlite/0038_queue_count_trigger_planned.sql says why SQLite has nothing to change.
--
-- `case_summaries_count()` (0014) called the SQL function `queue_count_rows` for each row it
-- counted. PostgreSQL 15 parses, analyses and plans the body of a SQL function that cannot be
-- inlined (this one inserts) at every call: under intake's load that was more than half of
-- the group committer's database time (a profile of its server process: 57% in the trigger,
-- most of it the parser and planner). The same rows are now inserted by statements in the
-- PL/pgSQL body itself, whose plans PL/pgSQL makes once a connection and keeps: the same
-- statement as that function's body (0014), reading the row from a variable. What is inserted
-- is unchanged; `queue_count_rows` stays for counting existing cases in bulk.

CREATE OR REPLACE FUNCTION case_summaries_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s case_summaries;
    delta INTEGER;
BEGIN
    -- The old row taken away (update, delete), then the new one added (insert, update).
    FOR step IN 1..2 LOOP
        IF step = 1 AND TG_OP IN ('UPDATE', 'DELETE') THEN
            s := OLD;
            delta := -1;
        ELSIF step = 2 AND TG_OP IN ('INSERT', 'UPDATE') THEN
            s := NEW;
            delta := 1;
        ELSE
            CONTINUE;
        END IF;
        INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority,
            age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask,
            rg_due_key, delta)
        SELECT k.kind, k.id, s.status, COALESCE(s.competent_authority, ''),
            COALESCE(s.age_group, ''), s.deadline_flag, s.suspended, s.review_pending,
            COALESCE(s.pilot_site, ''), s.exploitation_mask, DATE '9999-12-31', delta
        FROM (VALUES (0::SMALLINT, '00000000-0000-0000-0000-000000000000'::UUID),
                     (1::SMALLINT, s.referring_organisation),
                     (2::SMALLINT, s.allocated_to)) AS k(kind, id)
        WHERE k.id IS NOT NULL
        UNION ALL
        SELECT 3, '00000000-0000-0000-0000-000000000000'::UUID, s.status,
            COALESCE(s.competent_authority, ''), '', 0, FALSE, FALSE, '', 0, s.rg_due_key, delta
        WHERE s.status = 'awaiting_reasonable_grounds';
    END LOOP;
    RETURN NULL;
END
$$;
