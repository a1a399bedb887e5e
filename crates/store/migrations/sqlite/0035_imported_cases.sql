-- The legacy import's own key for each case it wrote (issue #16). SQLite flavour;
-- postgres/0035_imported_cases.sql must stay equivalent.
--
-- Until now an imported case's id was a keyed hash of its legacy id, which made the import
-- idempotent but put every imported case at a random leaf of every case table's key: a live
-- import of 100,000 cases wrote about 130 KB per case to the WAL and the file. An imported
-- case now takes a time-ordered id, like any other new case, and its keyed hash is kept here
-- instead: one narrow table, whose primary key refuses a second import of the same legacy id.
-- Cases imported by earlier releases have no row here; their id is the keyed hash itself, and
-- the import looks for both (Store::imported_keys).

CREATE TABLE imported_cases (
    import_key BLOB PRIMARY KEY NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (case_id)
) WITHOUT ROWID;
