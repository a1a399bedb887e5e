-- The linkage tokens kept in their key's order alone (issue 16). SQLite flavour;
-- postgres/0041_link_tokens_without_rowid.sql says why PostgreSQL has nothing to change.
--
-- `person_link_tokens` was a rowid table with its key (rule, token, case) as a separate index:
-- every token written went into both, and the key's index held a copy of every row. Intake
-- writes a dozen tokens a referral, each at its own place in the key's order, which made them
-- the largest part of what a referral writes. Kept in the key's order itself (WITHOUT ROWID),
-- a token is one entry in one tree; the index on the case (to replace or remove a referral's
-- tokens) stays. Reads are unchanged: they go by the key, or by the case.

CREATE TABLE person_link_tokens_by_key (
    rule INTEGER NOT NULL,
    token INTEGER NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (rule, token, case_id)
) WITHOUT ROWID;

INSERT INTO person_link_tokens_by_key (rule, token, case_id)
SELECT rule, token, case_id FROM person_link_tokens ORDER BY rule, token, case_id;

-- Dropping a table fires none of its triggers (the kept name counts do not move) and drops
-- them with it; they are made again below, as migration 0039 made them.
DROP TABLE person_link_tokens;
ALTER TABLE person_link_tokens_by_key RENAME TO person_link_tokens;
CREATE INDEX person_link_tokens_case ON person_link_tokens (case_id);

CREATE TRIGGER person_name_counts_add AFTER INSERT ON person_link_tokens
WHEN NEW.rule IN (6, 7)
BEGIN
    UPDATE person_name_totals SET holders = holders + 1 WHERE rule = NEW.rule;
    INSERT INTO person_name_counts (rule, token, holders) VALUES (NEW.rule, NEW.token, 1)
        ON CONFLICT (rule, token) DO UPDATE SET holders = holders + 1;
END;

CREATE TRIGGER person_name_counts_remove AFTER DELETE ON person_link_tokens
WHEN OLD.rule IN (6, 7)
BEGIN
    UPDATE person_name_totals SET holders = holders - 1 WHERE rule = OLD.rule;
    UPDATE person_name_counts SET holders = holders - 1 WHERE rule = OLD.rule AND token = OLD.token;
END;

CREATE TRIGGER person_link_tokens_no_update BEFORE UPDATE ON person_link_tokens
BEGIN
    SELECT RAISE(ABORT, 'person_link_tokens rows are deleted and inserted, never updated');
END;
