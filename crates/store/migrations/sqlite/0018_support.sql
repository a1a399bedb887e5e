-- Victim support: support providers (prime contractor and subcontractors), each person's
-- support episode as its own append-only event stream with a summary for caseloads, the
-- concerns queue, accommodation, placements, inspections and the payments postings.
-- SQLite flavour; postgres/0018_support.sql must stay equivalent. Words about people
-- (needs evidence, notes, concern details, police references, addresses) are in the vault.

CREATE TABLE support_providers (
    organisation_id BLOB PRIMARY KEY NOT NULL REFERENCES organisations (organisation_id),
    -- The prime contractor a subcontractor works under; NULL for a prime.
    parent_organisation BLOB REFERENCES support_providers (organisation_id),
    regions TEXT NOT NULL,
    services TEXT NOT NULL,
    CHECK (parent_organisation IS NULL OR parent_organisation <> organisation_id)
);
CREATE INDEX support_providers_parent ON support_providers (parent_organisation);

CREATE TABLE support_episodes (
    episode_id BLOB PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL CHECK (version > 0),
    case_id BLOB REFERENCES cases (case_id),
    subject_id BLOB NOT NULL REFERENCES vault_subjects (subject_id),
    prime BLOB NOT NULL,
    provider BLOB,
    worker BLOB,
    status TEXT NOT NULL,
    nation TEXT NOT NULL,
    route TEXT NOT NULL,
    allocation_due_at TEXT,
    review_due_on TEXT,
    support_until TEXT,
    next_due_on TEXT,
    open_concerns INTEGER NOT NULL,
    awaiting_acknowledgement INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX support_episodes_prime ON support_episodes (prime, next_due_on);
CREATE INDEX support_episodes_provider ON support_episodes (provider, next_due_on);
CREATE INDEX support_episodes_worker ON support_episodes (worker, next_due_on);
CREATE INDEX support_episodes_case ON support_episodes (case_id);

CREATE TABLE support_events (
    episode_id BLOB NOT NULL REFERENCES support_episodes (episode_id),
    version INTEGER NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user BLOB NOT NULL,
    actor_organisation BLOB NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (episode_id, version)
);
CREATE TRIGGER support_events_no_update BEFORE UPDATE ON support_events
BEGIN
    SELECT RAISE(ABORT, 'support_events is append-only');
END;
CREATE TRIGGER support_events_no_delete BEFORE DELETE ON support_events
BEGIN
    SELECT RAISE(ABORT, 'support_events is append-only');
END;

CREATE TABLE support_concerns (
    concern_id BLOB PRIMARY KEY NOT NULL,
    episode_id BLOB NOT NULL REFERENCES support_episodes (episode_id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    escalated_at TEXT,
    acknowledgement_due_at TEXT,
    acknowledged_at TEXT,
    closed_at TEXT
);
CREATE INDEX support_concerns_episode ON support_concerns (episode_id);
CREATE INDEX support_concerns_escalated ON support_concerns (acknowledged_at, acknowledgement_due_at);

CREATE TABLE support_accommodation (
    accommodation_id BLOB PRIMARY KEY NOT NULL,
    provider BLOB NOT NULL REFERENCES support_providers (organisation_id),
    kind TEXT NOT NULL CHECK (kind IN ('catered', 'self_catered')),
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    region TEXT NOT NULL,
    subject_id BLOB NOT NULL REFERENCES vault_subjects (subject_id),
    address_record BLOB NOT NULL REFERENCES vault_records (record_id),
    created_at TEXT NOT NULL
);
CREATE INDEX support_accommodation_provider ON support_accommodation (provider);

CREATE TABLE support_placements (
    placement_id BLOB PRIMARY KEY NOT NULL,
    episode_id BLOB NOT NULL REFERENCES support_episodes (episode_id),
    accommodation_id BLOB NOT NULL REFERENCES support_accommodation (accommodation_id),
    kind TEXT NOT NULL,
    start_on TEXT NOT NULL,
    end_on TEXT,
    end_reason TEXT,
    CHECK (end_on IS NULL OR end_on > start_on)
);
CREATE INDEX support_placements_accommodation ON support_placements (accommodation_id, start_on);
CREATE INDEX support_placements_episode ON support_placements (episode_id);

CREATE TABLE support_inspections (
    inspection_id BLOB PRIMARY KEY NOT NULL,
    accommodation_id BLOB NOT NULL REFERENCES support_accommodation (accommodation_id),
    inspected_on TEXT NOT NULL,
    follow_up_of BLOB REFERENCES support_inspections (inspection_id),
    overall TEXT NOT NULL,
    findings TEXT NOT NULL,
    notes_record BLOB REFERENCES vault_records (record_id),
    inspector_user BLOB NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX support_inspections_accommodation ON support_inspections (accommodation_id, inspected_on);

CREATE TABLE support_inspection_actions (
    inspection_id BLOB NOT NULL REFERENCES support_inspections (inspection_id),
    number INTEGER NOT NULL,
    area TEXT NOT NULL,
    due_on TEXT NOT NULL,
    completed_on TEXT,
    PRIMARY KEY (inspection_id, number)
);
CREATE INDEX support_inspection_actions_open ON support_inspection_actions (completed_on, due_on);

CREATE TABLE support_postings (
    episode_id BLOB NOT NULL REFERENCES support_episodes (episode_id),
    version INTEGER NOT NULL,
    provider BLOB NOT NULL,
    kind TEXT NOT NULL,
    posted_on TEXT NOT NULL,
    amount_pence INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (episode_id, version)
);
CREATE INDEX support_postings_provider ON support_postings (provider, posted_on);
