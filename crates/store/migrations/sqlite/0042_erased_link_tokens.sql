-- The keyed linkage tokens of erased referrals, deleted (issue 14 and 17). Both engines.
--
-- Erasure crypto-shreds a case's personal data (migration 0022), but the referral's linkage
-- tokens (keyed hashes of its names, date of birth and address, under the service's linkage
-- key, not the subject's) were left behind: intake and the person search kept finding the
-- erased person by them, and intake then failed to read the erased details of a candidate.
-- Erasure now deletes them in its own transaction; this removes those of cases erased before.
-- The name counts' triggers count the deleted rows out.
DELETE FROM person_link_tokens WHERE case_id IN (SELECT case_id FROM erased_subjects);
