-- Independent Child Trafficking Guardians: each child's guardian episode as its own
-- append-only event stream with a summary for caseloads and what is due.
-- PostgreSQL flavour; sqlite/0019_guardians.sql must stay equivalent. Words about the child
-- (contacts' notes, professionals' names and details, advocacy details, missing-person
-- references) are in the vault under the child's subject; no date of birth is kept here.

CREATE TABLE guardian_episodes (
    episode_id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL UNIQUE REFERENCES cases (case_id),
    reference TEXT NOT NULL,
    subject_id UUID NOT NULL REFERENCES vault_subjects (subject_id),
    version BIGINT NOT NULL CHECK (version > 0),
    area TEXT NOT NULL,
    status TEXT NOT NULL,
    worker UUID,
    role TEXT,
    next_due_on DATE,
    turning_18_flagged BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX guardian_episodes_worker ON guardian_episodes (worker, next_due_on);
CREATE INDEX guardian_episodes_status ON guardian_episodes (status, next_due_on);
CREATE INDEX guardian_episodes_reference ON guardian_episodes (reference);

CREATE TABLE guardian_events (
    episode_id UUID NOT NULL REFERENCES guardian_episodes (episode_id),
    version BIGINT NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user UUID NOT NULL,
    actor_organisation UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (episode_id, version)
);
CREATE FUNCTION guardian_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'guardian_events is append-only';
END;
$$;
CREATE TRIGGER guardian_events_no_update BEFORE UPDATE OR DELETE ON guardian_events
    FOR EACH ROW EXECUTE FUNCTION guardian_events_append_only();
CREATE TRIGGER guardian_events_no_truncate BEFORE TRUNCATE ON guardian_events
    FOR EACH STATEMENT EXECUTE FUNCTION guardian_events_append_only();
