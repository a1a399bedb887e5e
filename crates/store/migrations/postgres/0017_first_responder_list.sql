-- A First Responder Organisation's kind on the dated First Responder Organisation list of
-- the rulebook (`police`, `local-authority`, `salvation-army`…), when it is of a listed
-- kind: with the organisation's nation (0008) it may refer while that kind is on the list for
-- that nation, and make a Duty to Notify report where the duty falls on that kind.
-- designated_from/designated_to (0007) are an individual designation beside the list.
-- postgres flavour; the other folder's 0017_first_responder_list.sql must stay equivalent.

ALTER TABLE organisations ADD COLUMN first_responder_list TEXT;
