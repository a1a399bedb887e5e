-- API tokens for system-to-system clients (for example a police system submitting referrals).
-- Stored only as SHA-256 hashes; scoped to named operations; revocable.
-- sqlite flavour; the other folder's 0005_api_tokens.sql must stay equivalent.

CREATE TABLE api_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    token_id BLOB NOT NULL UNIQUE,
    organisation_id BLOB NOT NULL REFERENCES organisations (organisation_id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL
);
