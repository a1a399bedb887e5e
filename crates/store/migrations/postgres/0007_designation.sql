-- A First Responder Organisation's designation is dated: it can start and end.
-- postgres flavour; the other folder's 0007_designation.sql must stay equivalent.

ALTER TABLE organisations ADD COLUMN designated_from DATE;
ALTER TABLE organisations ADD COLUMN designated_to DATE;
