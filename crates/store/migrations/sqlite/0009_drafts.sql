-- Saved referral drafts: a First Responder's unfinished referral, saved at every step. SQLite
-- flavour; postgres/0009_drafts.sql must stay equivalent. The answers hold personal data and
-- are sealed with the master key, bound to the draft's id and owner. A draft is marked
-- submitted in the same transaction that creates its case, at most once.

CREATE TABLE drafts (
    draft_id BLOB PRIMARY KEY NOT NULL,
    owner_user BLOB NOT NULL,
    owner_organisation BLOB NOT NULL,
    kind TEXT NOT NULL,
    answers_sealed BLOB NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_case BLOB REFERENCES cases (case_id),
    submitted_reference TEXT,
    submitted_at TEXT
);
CREATE INDEX drafts_owner_updated ON drafts (owner_user, updated_at);
