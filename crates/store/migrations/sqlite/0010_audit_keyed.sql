-- The audit log becomes tamper-evident to someone who can write the database.
--
-- 1. Each entry's hash becomes an HMAC under the audit key, which is held outside the
--    database. Entries already written keep their unkeyed SHA-256 hash: `keyed_from` records
--    the first sequence number that is keyed, and the first keyed entry commits to the last
--    unkeyed one (its prev_hash), so no earlier entry can change without breaking it.
-- 2. The head moves only by appending: an UPDATE of audit_head is refused unless it changes
--    nothing (the append takes the head's row lock that way) or moves it one entry forward to
--    the audit_log row just written after the old head. Rewinding it, or moving keyed_from,
--    is refused.
-- 3. Entries carry a subject: what an administrative action was done to when it is not a
--    case (`user:<uuid>`, `organisation:<uuid>`, `token:<uuid>`, `draft:<uuid>`).
-- SQLite flavour; postgres/0010_audit_keyed.sql must stay equivalent.

ALTER TABLE audit_log ADD COLUMN subject TEXT;

ALTER TABLE audit_head ADD COLUMN keyed_from INTEGER NOT NULL DEFAULT 1 CHECK (keyed_from > 0);
UPDATE audit_head SET keyed_from = seq + 1;

CREATE TRIGGER audit_head_moves_only_by_append BEFORE UPDATE ON audit_head
WHEN NOT (
    NEW.id = OLD.id AND NEW.keyed_from = OLD.keyed_from AND (
        (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)
        OR (NEW.seq = OLD.seq + 1 AND EXISTS (
            SELECT 1 FROM audit_log
            WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash
        ))
    )
)
BEGIN
    SELECT RAISE(ABORT, 'audit_head moves only by appending to audit_log');
END;
