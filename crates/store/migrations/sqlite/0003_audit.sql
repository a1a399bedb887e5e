-- The audit log: who did what to which case, when, with what outcome. Append-only and
-- hash-chained: each entry's hash covers its fields and the previous entry's hash, and
-- audit_head holds the latest, so edits, deletions, reorderings and truncation are detectable.
-- SQLite flavour; postgres/0003_audit.sql must stay equivalent.

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),
    recorded_at TEXT NOT NULL,
    actor_user TEXT NOT NULL,
    actor_organisation TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT,
    outcome TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_log_case ON audit_log (case_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head cannot be deleted');
END;
