-- Organisations, users, sessions and failed sign-ins. SQLite flavour; postgres/0004_identity.sql
-- must stay equivalent. Passwords are Argon2id PHC strings; TOTP secrets are sealed with the
-- master key; session tokens are stored only as SHA-256 hashes.

CREATE TABLE organisations (
    organisation_id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    user_id BLOB PRIMARY KEY NOT NULL,
    organisation_id BLOB NOT NULL REFERENCES organisations (organisation_id),
    email TEXT NOT NULL UNIQUE,
    roles TEXT NOT NULL,
    allocated_only INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret BLOB NOT NULL,
    totp_last_step INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (user_id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    account_key TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (account_key, failed_at);
