-- The span of dates of each kept statistical fact (issue 15): the earliest and the latest day
-- any official table counts the case by (referral, decisions, reconsiderations,
-- disqualifications), both NULL when the case has no fact. A request for one period then asks
-- the database only for the facts whose span meets the period, and for the cases to fold
-- again, instead of every case's row: at a million cases most facts never leave the database.
-- The span is written with the fact by nrm-service from nrm-stats' own list of those dates.
-- Rows kept before have no span: they are dropped (the table is a cache, folded again from the
-- events by the next request or the daily refresh).
-- SQLite flavour; postgres/0030_case_statistics_span.sql must stay equivalent.

DELETE FROM case_statistics;
ALTER TABLE case_statistics ADD COLUMN span_from TEXT;
ALTER TABLE case_statistics ADD COLUMN span_to TEXT;
