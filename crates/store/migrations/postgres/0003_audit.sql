-- The audit log: who did what to which case, when, with what outcome. Append-only and
-- hash-chained: each entry's hash covers its fields and the previous entry's hash, and
-- audit_head holds the latest, so edits, deletions, reorderings and truncation are detectable.
-- PostgreSQL flavour; sqlite/0003_audit.sql must stay equivalent.

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL CHECK (seq > 0),
    recorded_at TEXT NOT NULL,
    actor_user TEXT NOT NULL,
    actor_organisation TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT,
    outcome TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX audit_log_case ON audit_log (case_id, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
