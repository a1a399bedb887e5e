-- The lifecycle read model: routing, allocation, service, suspension and the deadlines the
-- sweep watches. SQLite flavour; postgres/0002_lifecycle.sql must stay equivalent.

ALTER TABLE case_summaries ADD COLUMN pilot_site TEXT;
ALTER TABLE case_summaries ADD COLUMN allocated_to BLOB;
ALTER TABLE case_summaries ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN disqualified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN review_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN reconsideration_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN rg_served_on TEXT;
ALTER TABLE case_summaries ADD COLUMN cg_served_on TEXT;
CREATE INDEX case_summaries_allocated ON case_summaries (allocated_to, status);

-- One row per open deadline; the sweep reads it to find cases whose flags need changing.
CREATE TABLE case_deadlines (
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    deadline TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (case_id, deadline)
);
CREATE INDEX case_deadlines_due ON case_deadlines (status, due_on);

INSERT INTO case_deadlines (case_id, deadline, due_on, status)
SELECT case_id, 'reasonable_grounds', rg_due_on, 'on_track'
FROM case_summaries
WHERE status = 'awaiting_reasonable_grounds' AND rg_due_on IS NOT NULL;
