-- Bulk loads and compact events. PostgreSQL flavour; sqlite/0016_bulk_load_and_packed_events.sql
-- must stay equivalent.
--
-- deferred_indexes: an offline bulk load (Store::bulk_load: a fresh demo, a benchmark, a
-- migration before go-live) drops the secondary indexes of the case tables, loads, and
-- rebuilds them from their own definitions; the definitions wait here meanwhile, written in
-- the transaction that drops them, so a load that dies half-way leaves them to be rebuilt by
-- the next start (every start migrates, then rebuilds what is listed here).
--
-- case_events.packed: the event body as written since this migration: a format byte, then
-- the JSON compressed (1: LZ4 with the preset dictionary `event_dictionary_v1.json`), with
-- `body` left empty. Rows written before it keep their JSON in `body` and `packed` NULL;
-- both read.

CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY NOT NULL,
    definition TEXT NOT NULL
);

ALTER TABLE case_events ADD COLUMN packed BYTEA;
