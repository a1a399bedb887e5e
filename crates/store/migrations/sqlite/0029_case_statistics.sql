-- The statistics read model (issue 15): each case's statistical fact, folded from its events
-- by nrm-stats and kept in nrm-stats' compact encoding (`fact`; the store never reads it), so
-- a request for the official tables reads one row per case instead of folding every case's
-- events again. A row is a cache that is never trusted blindly: it is used only while
-- `version` is still the case's version (no event since) and `format` is the encoding the
-- running code writes; any other row, and a case with none, is folded again from the events
-- and the row rewritten. `last_day` is the UK day of the last event folded (NULL: none), so a
-- request "as at" an earlier day folds that case from its events instead of using the row.
-- SQLite flavour; postgres/0029_case_statistics.sql must stay equivalent.

CREATE TABLE case_statistics (
    case_id BLOB PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    version INTEGER NOT NULL CHECK (version > 0),
    format INTEGER NOT NULL,
    last_day TEXT,
    fact BLOB NOT NULL
) WITHOUT ROWID;

-- Every case with its version, in case-id order, without reading the case rows: the walk that
-- pairs each case with its kept fact reads this index alone.
CREATE INDEX cases_version ON cases (case_id, version);
