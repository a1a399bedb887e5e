-- How many referrals hold each keyed name, kept as the tokens are written (issue 14 and 16).
-- SQLite flavour; postgres/0039_person_name_counts.sql is the same on PostgreSQL.
--
-- Intake weighs a name by how common it is: the share of indexed referrals holding its keyed
-- term-frequency token (rules 6, given names, and 7, family names: the stored rule numbers of
-- `nrm_service::persons`, which never move). Counting the holders of a token at every intake
-- read its whole range of `person_link_tokens`' key, and the total read every row of the rule:
-- at a million referrals tens of thousands of entries for a common name, a million for the
-- total. Both are now kept here by triggers, so a name's count is one row and the total one.
-- A count that falls to zero keeps its row (a name once held is likely to be held again).

CREATE TABLE person_name_counts (
    rule INTEGER NOT NULL,
    token INTEGER NOT NULL,
    holders INTEGER NOT NULL CHECK (holders >= 0),
    PRIMARY KEY (rule, token)
) WITHOUT ROWID;

CREATE TABLE person_name_totals (
    rule INTEGER PRIMARY KEY NOT NULL,
    holders INTEGER NOT NULL CHECK (holders >= 0)
);

INSERT INTO person_name_totals (rule, holders)
SELECT r.rule, (SELECT COUNT(*) FROM person_link_tokens t WHERE t.rule = r.rule)
FROM (SELECT 6 AS rule UNION ALL SELECT 7) r;

INSERT INTO person_name_counts (rule, token, holders)
SELECT rule, token, COUNT(*) FROM person_link_tokens WHERE rule IN (6, 7) GROUP BY rule, token;

-- A row skipped by `ON CONFLICT DO NOTHING` is not inserted and fires nothing.
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

-- A token row is never updated in place (a referral's tokens are deleted and written again);
-- if one ever were, the counts would drift, so it is refused.
CREATE TRIGGER person_link_tokens_no_update BEFORE UPDATE ON person_link_tokens
BEGIN
    SELECT RAISE(ABORT, 'person_link_tokens rows are deleted and inserted, never updated');
END;
