-- Failed sign-ins, as one counter per throttled key and window. SQLite flavour;
-- postgres/0011_sign_in_failures.sql must stay equivalent.
--
-- The key is a keyed hash (HMAC-SHA256 under a key derived from the master key) of
-- `account:<trimmed, lower-cased email>` or `client:<address>`, never the typed text, so the
-- table holds nothing a reader could turn back into an email address. A row whose window has
-- passed is pruned. The old table held the typed text itself: it is dropped, not converted.
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_failures (
    key_hash BLOB PRIMARY KEY NOT NULL,
    -- When the current window started, in Unix seconds.
    window_start INTEGER NOT NULL,
    -- Attempts counted in the window (each reserved before its password is checked).
    failures INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_window ON sign_in_failures (window_start);
