-- Retention and erasure, master key rotation. PostgreSQL flavour; sqlite/0022_retention.sql
-- must stay equivalent.

-- Each case's retention as its own append-only stream: legal holds placed and lifted, and the
-- erasure of the person's personal data. No personal data (hold reasons are codes).
CREATE TABLE retention_events (
    case_id UUID NOT NULL REFERENCES cases (case_id),
    version BIGINT NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, version)
);
CREATE FUNCTION retention_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'retention_events is append-only';
END;
$$;
CREATE TRIGGER retention_events_no_update BEFORE UPDATE OR DELETE ON retention_events
    FOR EACH ROW EXECUTE FUNCTION retention_events_append_only();
CREATE TRIGGER retention_events_no_truncate BEFORE TRUNCATE ON retention_events
    FOR EACH STATEMENT EXECUTE FUNCTION retention_events_append_only();

-- Cases with a legal hold in place now (kept with the stream, in the same transaction).
CREATE TABLE retention_holds (
    hold_id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (case_id),
    reason TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX retention_holds_case ON retention_holds (case_id);

-- Subjects whose data key was destroyed (crypto-shredded), and when.
CREATE TABLE erased_subjects (
    subject_id UUID PRIMARY KEY NOT NULL REFERENCES vault_subjects (subject_id),
    case_id UUID NOT NULL REFERENCES cases (case_id),
    erased_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX erased_subjects_case ON erased_subjects (case_id);

-- Master key rotations: progress is the rows themselves (each wrapped key names the key that
-- wrapped it); this records each run, and the fingerprints of keys no longer accepted.
CREATE TABLE master_key_rotations (
    rotation_id UUID PRIMARY KEY NOT NULL,
    old_key_id TEXT NOT NULL,
    old_fingerprint TEXT NOT NULL,
    new_key_id TEXT NOT NULL,
    new_fingerprint TEXT NOT NULL,
    lookup_fingerprint TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX master_key_rotations_new ON master_key_rotations (new_fingerprint);
