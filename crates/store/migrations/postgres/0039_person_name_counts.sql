-- How many referrals hold each keyed name, kept as the tokens are written (issue 14 and 16).
-- PostgreSQL flavour; sqlite/0039_person_name_counts.sql says why and is the same on SQLite.
--
-- Here the counts are kept by statement-level triggers reading the statement's transition
-- table, so the group committer's merged INSERT of a batch's tokens updates each name's row
-- once. Every trigger run locks the two totals rows first, in rule order, before any name's
-- row: writers of tokens queue on the totals and never hold one name's row while waiting for
-- another's, so they cannot deadlock on the counts.

CREATE TABLE person_name_counts (
    rule BIGINT NOT NULL,
    token BIGINT NOT NULL,
    holders BIGINT NOT NULL CHECK (holders >= 0),
    PRIMARY KEY (rule, token)
);

CREATE TABLE person_name_totals (
    rule BIGINT PRIMARY KEY NOT NULL,
    holders BIGINT NOT NULL CHECK (holders >= 0)
);

INSERT INTO person_name_totals (rule, holders)
SELECT r.rule, (SELECT COUNT(*) FROM person_link_tokens t WHERE t.rule = r.rule)
FROM (VALUES (6::BIGINT), (7::BIGINT)) AS r (rule);

INSERT INTO person_name_counts (rule, token, holders)
SELECT rule, token, COUNT(*) FROM person_link_tokens WHERE rule IN (6, 7) GROUP BY rule, token;

CREATE FUNCTION person_name_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM person_name_totals ORDER BY rule FOR UPDATE;
    IF TG_OP = 'INSERT' THEN
        UPDATE person_name_totals t SET holders = t.holders + c.n
        FROM (SELECT rule, COUNT(*) AS n FROM added WHERE rule IN (6, 7) GROUP BY rule) c
        WHERE t.rule = c.rule;
        INSERT INTO person_name_counts (rule, token, holders)
        SELECT rule, token, COUNT(*) FROM added WHERE rule IN (6, 7)
        GROUP BY rule, token ORDER BY rule, token
        ON CONFLICT (rule, token) DO UPDATE SET holders = person_name_counts.holders + excluded.holders;
    ELSE
        UPDATE person_name_totals t SET holders = t.holders - c.n
        FROM (SELECT rule, COUNT(*) AS n FROM removed WHERE rule IN (6, 7) GROUP BY rule) c
        WHERE t.rule = c.rule;
        UPDATE person_name_counts p SET holders = p.holders - c.n
        FROM (SELECT rule, token, COUNT(*) AS n FROM removed WHERE rule IN (6, 7) GROUP BY rule, token) c
        WHERE p.rule = c.rule AND p.token = c.token;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER person_name_counts_add AFTER INSERT ON person_link_tokens
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION person_name_counts_change();
CREATE TRIGGER person_name_counts_remove AFTER DELETE ON person_link_tokens
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION person_name_counts_change();

-- A token row is never updated in place (a referral's tokens are deleted and written again);
-- if one ever were, the counts would drift, so it is refused.
CREATE FUNCTION person_link_tokens_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'person_link_tokens rows are deleted and inserted, never updated';
END;
$$;
CREATE TRIGGER person_link_tokens_no_update BEFORE UPDATE ON person_link_tokens
    FOR EACH ROW EXECUTE FUNCTION person_link_tokens_no_update();
