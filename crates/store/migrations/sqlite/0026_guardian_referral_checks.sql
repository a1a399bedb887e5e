-- The ICTG referral catch-up (issue 13): child cases the sweep turn has looked at for an
-- Independent Child Trafficking Guardian referral and found none due (not in an area the
-- service covered on the referral's date, or an adult by now), so it does not look again.
-- A case with a guardian episode is never here: the episode itself records the referral.
-- SQLite flavour; postgres/0026_guardian_referral_checks.sql must stay equivalent.

CREATE TABLE guardian_referral_checks (
    case_id BLOB PRIMARY KEY NOT NULL REFERENCES cases (case_id),
    outcome TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
