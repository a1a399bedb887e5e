-- The audit head may move several entries forward in one UPDATE, as long as the entries it
-- moves over are all there and chained: the first follows the old head, each follows the one
-- before it, and the last is the new head. A group commit writes a batch's entries and moves
-- the head once instead of once per entry. Anything else is still refused: rewinding, moving
-- past the end or onto an entry not chained to the old head, moving `keyed_from`.
-- PostgreSQL flavour; sqlite/0015_audit_head_batch.sql must stay equivalent.

CREATE OR REPLACE FUNCTION audit_head_moves_only_by_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id AND NEW.keyed_from = OLD.keyed_from AND (
        (NEW.seq = OLD.seq AND NEW.hash = OLD.hash)
        OR (NEW.seq > OLD.seq
            AND EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
            AND (
                SELECT COUNT(*) FROM audit_log e
                WHERE e.seq > OLD.seq AND e.seq <= NEW.seq
                AND e.prev_hash = CASE
                    WHEN e.seq = OLD.seq + 1 THEN OLD.hash
                    ELSE (SELECT p.hash FROM audit_log p WHERE p.seq = e.seq - 1)
                END
            ) = NEW.seq - OLD.seq)
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_head moves only by appending to audit_log';
END;
$$;
