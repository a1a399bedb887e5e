-- The linkage tokens kept in their key's order alone (issue 16). PostgreSQL flavour of
-- sqlite/0041_link_tokens_without_rowid.sql, which rebuilds SQLite's `person_link_tokens` as a
-- WITHOUT ROWID table (one tree, in the key's order, instead of a rowid table and a copy of
-- every row in its key's index). PostgreSQL keeps every table as a heap with its indexes
-- apart and has no such form, so there is nothing to change here; the statement below only
-- records that this migration ran.
SELECT 1;
