-- The statistics read model without a walk of every case (issue 15). Two tables beside
-- `case_statistics`:
--
-- `case_statistics_quarters`: every calendar quarter (year * 4 + quarter - 1) in which a table
-- may count a kept fact (a day of its referral, decisions, reconsiderations or
-- disqualifications), written with the fact by nrm-service from nrm-stats' own list of those
-- days. A request for a quarter or a year reads that range of the key and the facts it names,
-- and no other: a fact referred before the period and decided after it is not read.
--
-- `case_statistics_stale`: every case version no kept fact has been folded through yet. The
-- database writes it itself (the triggers below, on every new case and every new version:
-- statement triggers, so a bulk COPY of cases adds its rows in one statement), so no path
-- that adds or changes a case can leave a kept fact looking current; keeping a case's fact
-- removes its versions up to the one folded. A request folds these cases again instead of
-- pairing every case with its kept fact.
--
-- Facts kept before have no quarters: they are dropped and every case is marked stale (the
-- table is a cache, folded again by the next request or the daily refresh).
-- PostgreSQL flavour; sqlite/0032_case_statistics_quarters.sql must stay equivalent.

CREATE TABLE case_statistics_quarters (
    quarter INTEGER NOT NULL,
    case_id UUID NOT NULL,
    PRIMARY KEY (quarter, case_id)
);

-- A case's quarters, to replace them when its fact is kept again.
CREATE INDEX case_statistics_quarters_case ON case_statistics_quarters (case_id);

CREATE TABLE case_statistics_stale (
    case_id UUID NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- Kept facts in another encoding (one probe each side of the running one), those with an
-- event after an "as at" day, and the number of facts, all read from this index alone.
CREATE INDEX case_statistics_format_day ON case_statistics (format, last_day, span_from);

DELETE FROM case_statistics;
INSERT INTO case_statistics_stale (case_id, version) SELECT case_id, version FROM cases;

CREATE FUNCTION cases_mark_statistics_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_statistics_stale (case_id, version)
        SELECT case_id, version FROM changed_cases
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_statistics_stale_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS changed_cases
    FOR EACH STATEMENT EXECUTE FUNCTION cases_mark_statistics_stale();

-- Transition tables cannot name columns, so every update marks its rows; only the version
-- is ever updated.
CREATE TRIGGER cases_statistics_stale_update AFTER UPDATE ON cases
    REFERENCING NEW TABLE AS changed_cases
    FOR EACH STATEMENT EXECUTE FUNCTION cases_mark_statistics_stale();
