-- Persons (issue 14): the potential victim behind one or more referrals. Each person is an
-- append-only event stream (`person_events`) with a summary row; `person_referrals` says which
-- person each referral is now part of; `person_link_tokens` are the keyed blocking tokens of
-- each referral (HMAC-SHA-256 under a key derived from the master key, truncated to 64 bits:
-- never a name, a date or an address); `person_match_reviews` is the decision makers' queue
-- of possible earlier referrals, with the comparison levels (numbers), never the values.
-- PostgreSQL flavour; sqlite/0021_persons.sql must stay equivalent.

CREATE TABLE persons (
    person_id UUID PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    referrals BIGINT NOT NULL,
    joined_into UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE person_events (
    person_id UUID NOT NULL REFERENCES persons (person_id),
    version BIGINT NOT NULL CHECK (version > 0),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    actor_user UUID NOT NULL,
    actor_organisation UUID NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, version)
);
CREATE FUNCTION person_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'person_events is append-only';
END;
$$;
CREATE TRIGGER person_events_no_update BEFORE UPDATE OR DELETE ON person_events
    FOR EACH ROW EXECUTE FUNCTION person_events_append_only();
CREATE TRIGGER person_events_no_truncate BEFORE TRUNCATE ON person_events
    FOR EACH STATEMENT EXECUTE FUNCTION person_events_append_only();

CREATE TABLE person_referrals (
    case_id UUID PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    person_id UUID NOT NULL REFERENCES persons (person_id),
    reference TEXT NOT NULL,
    submitted_on DATE NOT NULL
);
CREATE INDEX person_referrals_person ON person_referrals (person_id, submitted_on);

CREATE TABLE person_link_tokens (
    rule BIGINT NOT NULL,
    token BIGINT NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (rule, token, case_id)
);
CREATE INDEX person_link_tokens_case ON person_link_tokens (case_id);

CREATE TABLE person_match_reviews (
    review_id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (case_id),
    candidate_case UUID NOT NULL REFERENCES cases (case_id),
    probability_permille BIGINT NOT NULL CHECK (probability_permille BETWEEN 0 AND 1000),
    levels TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'rejected')),
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by UUID,
    UNIQUE (case_id, candidate_case)
);
CREATE INDEX person_match_reviews_status ON person_match_reviews (status, created_at);
