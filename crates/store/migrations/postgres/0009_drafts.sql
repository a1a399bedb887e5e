-- Saved referral drafts: a First Responder's unfinished referral, saved at every step.
-- PostgreSQL flavour; sqlite/0009_drafts.sql must stay equivalent. The answers hold personal
-- data and are sealed with the master key, bound to the draft's id and owner. A draft is marked
-- submitted in the same transaction that creates its case, at most once.

CREATE TABLE drafts (
    draft_id UUID PRIMARY KEY NOT NULL,
    owner_user UUID NOT NULL,
    owner_organisation UUID NOT NULL,
    kind TEXT NOT NULL,
    answers_sealed BYTEA NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    submitted_case UUID REFERENCES cases (case_id),
    submitted_reference TEXT,
    submitted_at TIMESTAMPTZ
);
CREATE INDEX drafts_owner_updated ON drafts (owner_user, updated_at);
