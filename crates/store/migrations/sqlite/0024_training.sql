-- First Responder training completions (issue 11 item 6). SQLite flavour;
-- postgres/0024_training.sql must stay equivalent.
--
-- One row per passed attempt: the account, when, the course version it passed (from the
-- training rulebook) and its score. Failed attempts are audited, not stored here. The latest
-- row per account is its completion record; earlier rows are its history.
CREATE TABLE training_completions (
    user_id BLOB NOT NULL REFERENCES users (user_id),
    completed_at TEXT NOT NULL,
    course_version TEXT NOT NULL,
    correct INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (user_id, completed_at)
);
