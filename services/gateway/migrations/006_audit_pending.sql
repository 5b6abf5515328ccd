-- A change answered 202 (its job still running) gets its event when the job ends: until then the
-- event waits here under its job's id (audit_pending.h). An event made from a job names that job,
-- and a job has at most one event: a retry that re-joins a job finished meanwhile records nothing
-- twice.
CREATE TABLE IF NOT EXISTS audit_pending (
    job_id uuid PRIMARY KEY,
    event jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE audit_pending ALTER COLUMN event SET STATISTICS 0;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS job_id uuid;
CREATE UNIQUE INDEX IF NOT EXISTS audit_events_job ON audit_events (job_id) WHERE job_id IS NOT NULL;
