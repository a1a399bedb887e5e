-- The case file: one row per case stream, its events, the work-queue read model and the vault.
-- SQLite flavour; postgres/0001_case_file.sql must stay equivalent.

CREATE TABLE cases (
    case_id BLOB PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL CHECK (version > 0),
    created_at TEXT NOT NULL
);

CREATE TABLE case_events (
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    version INTEGER NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user BLOB NOT NULL,
    actor_organisation BLOB NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- The event log is append-only: the database itself refuses to change history.
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;

CREATE TABLE case_summaries (
    case_id BLOB PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    competent_authority TEXT,
    age_group TEXT,
    county_lines INTEGER NOT NULL,
    referring_organisation BLOB NOT NULL,
    referred_on TEXT NOT NULL,
    rg_due_on TEXT,
    rg_outcome TEXT,
    rg_decided_on TEXT,
    cg_earliest_on TEXT,
    cg_outcome TEXT,
    cg_decided_on TEXT,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX case_summaries_status_due ON case_summaries (status, rg_due_on);
CREATE INDEX case_summaries_referred_on ON case_summaries (referred_on);
CREATE INDEX case_summaries_authority ON case_summaries (competent_authority, status);
CREATE INDEX case_summaries_organisation ON case_summaries (referring_organisation, referred_on);

CREATE TABLE case_exploitation_types (
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    exploitation_type TEXT NOT NULL,
    PRIMARY KEY (case_id, exploitation_type)
);
CREATE INDEX case_exploitation_types_type ON case_exploitation_types (exploitation_type, case_id);

CREATE TABLE vault_subjects (
    subject_id BLOB PRIMARY KEY NOT NULL,
    wrapped_key BLOB NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE vault_records (
    record_id BLOB PRIMARY KEY NOT NULL,
    subject_id BLOB NOT NULL REFERENCES vault_subjects (subject_id),
    kind TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX vault_records_subject ON vault_records (subject_id);

-- Used only by `nrm bench` to measure the ceiling: single-row durable commits.
CREATE TABLE bench_commits (
    id INTEGER PRIMARY KEY NOT NULL,
    payload TEXT NOT NULL
);
