-- Independent Child Trafficking Guardians: each child's guardian episode as its own
-- append-only event stream with a summary for caseloads and what is due.
-- SQLite flavour; postgres/0019_guardians.sql must stay equivalent. Words about the child
-- (contacts' notes, professionals' names and details, advocacy details, missing-person
-- references) are in the vault under the child's subject; no date of birth is kept here.

CREATE TABLE guardian_episodes (
    episode_id BLOB PRIMARY KEY NOT NULL,
    case_id BLOB NOT NULL UNIQUE REFERENCES cases (case_id),
    reference TEXT NOT NULL,
    subject_id BLOB NOT NULL REFERENCES vault_subjects (subject_id),
    version INTEGER NOT NULL CHECK (version > 0),
    area TEXT NOT NULL,
    status TEXT NOT NULL,
    worker BLOB,
    role TEXT,
    next_due_on TEXT,
    turning_18_flagged INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX guardian_episodes_worker ON guardian_episodes (worker, next_due_on);
CREATE INDEX guardian_episodes_status ON guardian_episodes (status, next_due_on);
CREATE INDEX guardian_episodes_reference ON guardian_episodes (reference);

CREATE TABLE guardian_events (
    episode_id BLOB NOT NULL REFERENCES guardian_episodes (episode_id),
    version INTEGER NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user BLOB NOT NULL,
    actor_organisation BLOB NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (episode_id, version)
);
CREATE TRIGGER guardian_events_no_update BEFORE UPDATE ON guardian_events
BEGIN
    SELECT RAISE(ABORT, 'guardian_events is append-only');
END;
CREATE TRIGGER guardian_events_no_delete BEFORE DELETE ON guardian_events
BEGIN
    SELECT RAISE(ABORT, 'guardian_events is append-only');
END;
