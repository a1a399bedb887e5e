-- One-time recovery codes for a lost second factor, stored only as SHA-256 hashes.
-- sqlite flavour; the other folder's 0006_recovery_codes.sql must stay equivalent.

CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users (user_id),
    code_hash BLOB NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);
