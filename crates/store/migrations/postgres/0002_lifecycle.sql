-- The lifecycle read model: routing, allocation, service, suspension and the deadlines the
-- sweep watches. PostgreSQL flavour; sqlite/0002_lifecycle.sql must stay equivalent.

ALTER TABLE case_summaries ADD COLUMN pilot_site TEXT;
ALTER TABLE case_summaries ADD COLUMN allocated_to UUID;
ALTER TABLE case_summaries ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_summaries ADD COLUMN disqualified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_summaries ADD COLUMN review_pending BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_summaries ADD COLUMN reconsideration_pending BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_summaries ADD COLUMN rg_served_on DATE;
ALTER TABLE case_summaries ADD COLUMN cg_served_on DATE;
CREATE INDEX case_summaries_allocated ON case_summaries (allocated_to, status);

-- One row per open deadline; the sweep reads it to find cases whose flags need changing.
CREATE TABLE case_deadlines (
    case_id UUID NOT NULL REFERENCES cases (case_id),
    deadline TEXT NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (case_id, deadline)
);
CREATE INDEX case_deadlines_due ON case_deadlines (status, due_on);

INSERT INTO case_deadlines (case_id, deadline, due_on, status)
SELECT case_id, 'reasonable_grounds', rg_due_on, 'on_track'
FROM case_summaries
WHERE status = 'awaiting_reasonable_grounds' AND rg_due_on IS NOT NULL;
