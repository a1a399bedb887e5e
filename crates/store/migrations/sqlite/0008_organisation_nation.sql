-- The UK nation an organisation works in (england, wales, scotland, northern_ireland), when
-- it has one. sqlite flavour; the other folder's 0008_organisation_nation.sql must stay equivalent.

ALTER TABLE organisations ADD COLUMN nation TEXT;
