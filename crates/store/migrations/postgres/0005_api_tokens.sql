-- API tokens for system-to-system clients (for example a police system submitting referrals).
-- Stored only as SHA-256 hashes; scoped to named operations; revocable.
-- postgres flavour; the other folder's 0005_api_tokens.sql must stay equivalent.

CREATE TABLE api_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    token_id UUID NOT NULL UNIQUE,
    organisation_id UUID NOT NULL REFERENCES organisations (organisation_id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked BOOLEAN NOT NULL
);
