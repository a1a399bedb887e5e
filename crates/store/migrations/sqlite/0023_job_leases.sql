-- Periodic jobs shared by every instance on one database (issue #17). SQLite flavour;
-- postgres/0023_job_leases.sql must stay equivalent.
--
-- A job (the deadline sweep, say) runs once per interval across all instances: the instance
-- that moves a job's lease forward runs it, the others see the lease held and skip that turn.
-- Taking a lease is one conditional UPDATE (or the first INSERT), so two instances can never
-- both take the same turn. Times are Unix seconds.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY NOT NULL,
    -- The instance holding the lease: a random id per process, never a host name.
    holder TEXT NOT NULL,
    -- When the current holder took it, and until when no other instance may take it.
    taken_at BIGINT NOT NULL,
    held_until BIGINT NOT NULL,
    -- How many turns have been taken in all, by any instance.
    turns BIGINT NOT NULL
);
