-- Victim support: support providers (prime contractor and subcontractors), each person's
-- support episode as its own append-only event stream with a summary for caseloads, the
-- concerns queue, accommodation, placements, inspections and the payments postings.
-- PostgreSQL flavour; sqlite/0018_support.sql must stay equivalent. Words about people
-- (needs evidence, notes, concern details, police references, addresses) are in the vault.

CREATE TABLE support_providers (
    organisation_id UUID PRIMARY KEY NOT NULL REFERENCES organisations (organisation_id),
    -- The prime contractor a subcontractor works under; NULL for a prime.
    parent_organisation UUID REFERENCES support_providers (organisation_id),
    regions TEXT NOT NULL,
    services TEXT NOT NULL,
    CHECK (parent_organisation IS NULL OR parent_organisation <> organisation_id)
);
CREATE INDEX support_providers_parent ON support_providers (parent_organisation);

CREATE TABLE support_episodes (
    episode_id UUID PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL CHECK (version > 0),
    case_id UUID REFERENCES cases (case_id),
    subject_id UUID NOT NULL REFERENCES vault_subjects (subject_id),
    prime UUID NOT NULL,
    provider UUID,
    worker UUID,
    status TEXT NOT NULL,
    nation TEXT NOT NULL,
    route TEXT NOT NULL,
    allocation_due_at TIMESTAMPTZ,
    review_due_on DATE,
    support_until DATE,
    next_due_on DATE,
    open_concerns BIGINT NOT NULL,
    awaiting_acknowledgement BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX support_episodes_prime ON support_episodes (prime, next_due_on);
CREATE INDEX support_episodes_provider ON support_episodes (provider, next_due_on);
CREATE INDEX support_episodes_worker ON support_episodes (worker, next_due_on);
CREATE INDEX support_episodes_case ON support_episodes (case_id);

CREATE TABLE support_events (
    episode_id UUID NOT NULL REFERENCES support_episodes (episode_id),
    version BIGINT NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user UUID NOT NULL,
    actor_organisation UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (episode_id, version)
);
CREATE FUNCTION support_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'support_events is append-only';
END;
$$;
CREATE TRIGGER support_events_no_update BEFORE UPDATE OR DELETE ON support_events
    FOR EACH ROW EXECUTE FUNCTION support_events_append_only();
CREATE TRIGGER support_events_no_truncate BEFORE TRUNCATE ON support_events
    FOR EACH STATEMENT EXECUTE FUNCTION support_events_append_only();

CREATE TABLE support_concerns (
    concern_id UUID PRIMARY KEY NOT NULL,
    episode_id UUID NOT NULL REFERENCES support_episodes (episode_id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    escalated_at TIMESTAMPTZ,
    acknowledgement_due_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ
);
CREATE INDEX support_concerns_episode ON support_concerns (episode_id);
CREATE INDEX support_concerns_escalated ON support_concerns (acknowledged_at, acknowledgement_due_at);

CREATE TABLE support_accommodation (
    accommodation_id UUID PRIMARY KEY NOT NULL,
    provider UUID NOT NULL REFERENCES support_providers (organisation_id),
    kind TEXT NOT NULL CHECK (kind IN ('catered', 'self_catered')),
    capacity BIGINT NOT NULL CHECK (capacity > 0),
    region TEXT NOT NULL,
    subject_id UUID NOT NULL REFERENCES vault_subjects (subject_id),
    address_record UUID NOT NULL REFERENCES vault_records (record_id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX support_accommodation_provider ON support_accommodation (provider);

CREATE TABLE support_placements (
    placement_id UUID PRIMARY KEY NOT NULL,
    episode_id UUID NOT NULL REFERENCES support_episodes (episode_id),
    accommodation_id UUID NOT NULL REFERENCES support_accommodation (accommodation_id),
    kind TEXT NOT NULL,
    start_on DATE NOT NULL,
    end_on DATE,
    end_reason TEXT,
    CHECK (end_on IS NULL OR end_on > start_on)
);
CREATE INDEX support_placements_accommodation ON support_placements (accommodation_id, start_on);
CREATE INDEX support_placements_episode ON support_placements (episode_id);

CREATE TABLE support_inspections (
    inspection_id UUID PRIMARY KEY NOT NULL,
    accommodation_id UUID NOT NULL REFERENCES support_accommodation (accommodation_id),
    inspected_on DATE NOT NULL,
    follow_up_of UUID REFERENCES support_inspections (inspection_id),
    overall TEXT NOT NULL,
    findings TEXT NOT NULL,
    notes_record UUID REFERENCES vault_records (record_id),
    inspector_user UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX support_inspections_accommodation ON support_inspections (accommodation_id, inspected_on);

CREATE TABLE support_inspection_actions (
    inspection_id UUID NOT NULL REFERENCES support_inspections (inspection_id),
    number BIGINT NOT NULL,
    area TEXT NOT NULL,
    due_on DATE NOT NULL,
    completed_on DATE,
    PRIMARY KEY (inspection_id, number)
);
CREATE INDEX support_inspection_actions_open ON support_inspection_actions (completed_on, due_on);

CREATE TABLE support_postings (
    episode_id UUID NOT NULL REFERENCES support_episodes (episode_id),
    version BIGINT NOT NULL,
    provider UUID NOT NULL,
    kind TEXT NOT NULL,
    posted_on DATE NOT NULL,
    amount_pence BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (episode_id, version)
);
CREATE INDEX support_postings_provider ON support_postings (provider, posted_on);
