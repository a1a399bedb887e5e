-- Persons (issue 14): the potential victim behind one or more referrals. Each person is an
-- append-only event stream (`person_events`) with a summary row; `person_referrals` says which
-- person each referral is now part of; `person_link_tokens` are the keyed blocking tokens of
-- each referral (HMAC-SHA-256 under a key derived from the master key, truncated to 64 bits:
-- never a name, a date or an address); `person_match_reviews` is the decision makers' queue
-- of possible earlier referrals, with the comparison levels (numbers), never the values.
-- SQLite flavour; postgres/0021_persons.sql must stay equivalent.

CREATE TABLE persons (
    person_id BLOB PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    referrals INTEGER NOT NULL,
    joined_into BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE person_events (
    person_id BLOB NOT NULL REFERENCES persons (person_id),
    version INTEGER NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user BLOB NOT NULL,
    actor_organisation BLOB NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (person_id, version)
);
CREATE TRIGGER person_events_no_update BEFORE UPDATE ON person_events
BEGIN
    SELECT RAISE(ABORT, 'person_events is append-only');
END;
CREATE TRIGGER person_events_no_delete BEFORE DELETE ON person_events
BEGIN
    SELECT RAISE(ABORT, 'person_events is append-only');
END;

CREATE TABLE person_referrals (
    case_id BLOB PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    person_id BLOB NOT NULL REFERENCES persons (person_id),
    reference TEXT NOT NULL,
    submitted_on TEXT NOT NULL
);
CREATE INDEX person_referrals_person ON person_referrals (person_id, submitted_on);

CREATE TABLE person_link_tokens (
    rule INTEGER NOT NULL,
    token INTEGER NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (rule, token, case_id)
);
CREATE INDEX person_link_tokens_case ON person_link_tokens (case_id);

CREATE TABLE person_match_reviews (
    review_id BLOB PRIMARY KEY NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    candidate_case BLOB NOT NULL REFERENCES cases (case_id),
    probability_permille INTEGER NOT NULL CHECK (probability_permille BETWEEN 0 AND 1000),
    levels TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'rejected')),
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by BLOB,
    UNIQUE (case_id, candidate_case)
);
CREATE INDEX person_match_reviews_status ON person_match_reviews (status, created_at);
