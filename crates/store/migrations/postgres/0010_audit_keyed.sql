-- The audit log's subject: what an administrative action was done to when it is not a case
-- (`user:<uuid>`, `organisation:<uuid>`, `token:<uuid>`, `draft:<uuid>`). Covered by the
-- entry's hash.
ALTER TABLE audit_log ADD COLUMN subject TEXT;
