-- The sweep turn's reconciliation of support episodes with their cases (issue 12): the case
-- version the reconciliation last looked at, and what it found (an episode made, decisions
-- brought across, nothing to do), so a turn looks only at cases changed since.
-- PostgreSQL flavour; sqlite/0027_support_case_checks.sql must stay equivalent.

CREATE TABLE support_case_checks (
    case_id UUID PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    case_version BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL
);
