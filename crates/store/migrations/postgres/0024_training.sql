-- First Responder training completions (issue 11 item 6). PostgreSQL flavour;
-- sqlite/0024_training.sql must stay equivalent.
--
-- One row per passed attempt: the account, when, the course version it passed (from the
-- training rulebook) and its score. Failed attempts are audited, not stored here. The latest
-- row per account is its completion record; earlier rows are its history.
CREATE TABLE training_completions (
    user_id UUID NOT NULL REFERENCES users (user_id),
    completed_at TIMESTAMPTZ NOT NULL,
    course_version TEXT NOT NULL,
    correct BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (user_id, completed_at)
);
