-- Queue counts kept in the read model (issue #16). PostgreSQL flavour; sqlite/0014_queue_counts.sql
-- must stay equivalent (and explains the design).
--
-- Each case is counted, per scope (0 all, 1 referring organisation, 2 allocated decision
-- maker, 3 awaiting Reasonable Grounds by due date), in the `queue_counts` row of its facets.
-- Triggers only ever insert +1/-1 rows into `queue_count_deltas`, so writers never wait for
-- or deadlock on a shared count row; `Store::fold_queue_counts` moves the deltas into
-- `queue_counts`. Exploitation types are a bit mask: labour 1, sexual 2, criminal 4,
-- domestic_servitude 8, organ_harvesting 16, other 32, not_known 64.

ALTER TABLE case_summaries ADD COLUMN exploitation_mask INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION exploitation_bit(t TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE t
        WHEN 'labour' THEN 1 WHEN 'sexual' THEN 2 WHEN 'criminal' THEN 4
        WHEN 'domestic_servitude' THEN 8 WHEN 'organ_harvesting' THEN 16
        WHEN 'other' THEN 32 WHEN 'not_known' THEN 64 ELSE 0 END
$$;

UPDATE case_summaries s SET exploitation_mask = m.mask
FROM (SELECT case_id, SUM(exploitation_bit(exploitation_type))::INTEGER AS mask
      FROM case_exploitation_types GROUP BY case_id) m
WHERE m.case_id = s.case_id;

CREATE FUNCTION case_exploitation_types_mask() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE case_summaries SET exploitation_mask = exploitation_mask | exploitation_bit(NEW.exploitation_type)
        WHERE case_id = NEW.case_id;
        RETURN NEW;
    END IF;
    UPDATE case_summaries SET exploitation_mask = exploitation_mask & ~exploitation_bit(OLD.exploitation_type)
    WHERE case_id = OLD.case_id;
    RETURN OLD;
END
$$;

CREATE TRIGGER case_exploitation_types_mask AFTER INSERT OR DELETE ON case_exploitation_types
    FOR EACH ROW EXECUTE FUNCTION case_exploitation_types_mask();

CREATE TABLE queue_counts (
    scope_kind SMALLINT NOT NULL,
    scope_id UUID NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT NOT NULL,
    age_group TEXT NOT NULL,
    deadline_flag SMALLINT NOT NULL,
    suspended BOOLEAN NOT NULL,
    review_pending BOOLEAN NOT NULL,
    pilot_site TEXT NOT NULL,
    exploitation_mask INTEGER NOT NULL,
    rg_due_key DATE NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (scope_kind, scope_id, status, competent_authority, age_group, deadline_flag,
                 suspended, review_pending, pilot_site, exploitation_mask, rg_due_key)
);

CREATE TABLE queue_count_deltas (
    id BIGSERIAL PRIMARY KEY,
    scope_kind SMALLINT NOT NULL,
    scope_id UUID NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT NOT NULL,
    age_group TEXT NOT NULL,
    deadline_flag SMALLINT NOT NULL,
    suspended BOOLEAN NOT NULL,
    review_pending BOOLEAN NOT NULL,
    pilot_site TEXT NOT NULL,
    exploitation_mask INTEGER NOT NULL,
    rg_due_key DATE NOT NULL,
    delta INTEGER NOT NULL
);

-- A case's rows in every scope it is counted in, each with `delta`.
CREATE FUNCTION queue_count_rows(s case_summaries, delta INTEGER) RETURNS void LANGUAGE sql AS $$
    INSERT INTO queue_count_deltas (scope_kind, scope_id, status, competent_authority, age_group,
        deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, delta)
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
$$;

CREATE FUNCTION case_summaries_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM queue_count_rows(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM queue_count_rows(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_summaries_count_insert_delete AFTER INSERT OR DELETE ON case_summaries
    FOR EACH ROW EXECUTE FUNCTION case_summaries_count();

CREATE TRIGGER case_summaries_count_update AFTER UPDATE ON case_summaries
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.competent_authority IS DISTINCT FROM NEW.competent_authority
        OR OLD.age_group IS DISTINCT FROM NEW.age_group
        OR OLD.deadline_flag IS DISTINCT FROM NEW.deadline_flag
        OR OLD.suspended IS DISTINCT FROM NEW.suspended
        OR OLD.review_pending IS DISTINCT FROM NEW.review_pending
        OR OLD.pilot_site IS DISTINCT FROM NEW.pilot_site
        OR OLD.exploitation_mask IS DISTINCT FROM NEW.exploitation_mask
        OR OLD.referring_organisation IS DISTINCT FROM NEW.referring_organisation
        OR OLD.allocated_to IS DISTINCT FROM NEW.allocated_to
        OR OLD.rg_due_key IS DISTINCT FROM NEW.rg_due_key)
    EXECUTE FUNCTION case_summaries_count();

-- The cases already here, counted once (through the same function, then folded).
SELECT queue_count_rows(s, 1) FROM case_summaries s;
INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group,
    deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)
SELECT scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended,
    review_pending, pilot_site, exploitation_mask, rg_due_key, SUM(delta)
FROM queue_count_deltas
GROUP BY scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended,
    review_pending, pilot_site, exploitation_mask, rg_due_key;
DELETE FROM queue_count_deltas;

-- Suspended cases are few: filtering the sort indexes for them would walk every case, so
-- each sort has a partial index of the suspended cases alone (the queue writes the condition
-- as the literal `suspended = TRUE` so the planners can match it).
CREATE INDEX queue_suspended_rg ON case_summaries (status, rg_due_key, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_referred ON case_summaries (status, referred_on, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_reference ON case_summaries (status, reference) WHERE suspended = TRUE;
CREATE INDEX queue_suspended_next ON case_summaries (status, next_due_key, reference) WHERE suspended = TRUE;
