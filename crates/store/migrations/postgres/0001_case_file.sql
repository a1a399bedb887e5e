-- The case file: one row per case stream, its events, the work-queue read model and the vault.
-- PostgreSQL flavour; sqlite/0001_case_file.sql must stay equivalent.

CREATE TABLE cases (
    case_id UUID PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL CHECK (version > 0),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE case_events (
    case_id UUID NOT NULL REFERENCES cases (case_id),
    version BIGINT NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user UUID NOT NULL,
    actor_organisation UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- The event log is append-only: the database itself refuses to change history.
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END;
$$;
CREATE TRIGGER case_events_no_update BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

CREATE TABLE case_summaries (
    case_id UUID PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT,
    age_group TEXT,
    county_lines BOOLEAN NOT NULL,
    referring_organisation UUID NOT NULL,
    referred_on DATE NOT NULL,
    rg_due_on DATE,
    rg_outcome TEXT,
    rg_decided_on DATE,
    cg_earliest_on DATE,
    cg_outcome TEXT,
    cg_decided_on DATE,
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_summaries_status_due ON case_summaries (status, rg_due_on);
CREATE INDEX case_summaries_referred_on ON case_summaries (referred_on);
CREATE INDEX case_summaries_authority ON case_summaries (competent_authority, status);
CREATE INDEX case_summaries_organisation ON case_summaries (referring_organisation, referred_on);

CREATE TABLE case_exploitation_types (
    case_id UUID NOT NULL REFERENCES cases (case_id),
    exploitation_type TEXT NOT NULL,
    PRIMARY KEY (case_id, exploitation_type)
);
CREATE INDEX case_exploitation_types_type ON case_exploitation_types (exploitation_type, case_id);

CREATE TABLE vault_subjects (
    subject_id UUID PRIMARY KEY NOT NULL,
    wrapped_key BYTEA NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE vault_records (
    record_id UUID PRIMARY KEY NOT NULL,
    subject_id UUID NOT NULL REFERENCES vault_subjects (subject_id),
    kind TEXT NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX vault_records_subject ON vault_records (subject_id);

-- Used only by `nrm bench` to measure the ceiling: single-row durable commits.
CREATE TABLE bench_commits (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    payload TEXT NOT NULL
);
