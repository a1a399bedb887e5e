-- Need to know: who made each referral, so a First Responder sees the personal details of the
-- referrals they made and not those of their colleagues (who need the referral manager role).
-- SQLite flavour; postgres/0012_referring_user.sql must stay equivalent. Existing cases take the
-- submitter from the actor of their first event.

ALTER TABLE case_summaries ADD COLUMN referring_user BLOB;

UPDATE case_summaries SET referring_user = (
    SELECT e.actor_user FROM case_events e WHERE e.case_id = case_summaries.case_id AND e.version = 1
);
