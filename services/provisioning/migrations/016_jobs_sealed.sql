-- The retention round (job_retention.c) looks for finished jobs past their retention that still
-- hold a sealed request or sealed secrets: without an index it read the whole jobs table every
-- round (job rows are kept: 590,000 of them took 1.2 s, every hour, and growing). The jobs that
-- still hold something sealed, by age: the round walks the old end and stops.
CREATE INDEX IF NOT EXISTS jobs_sealed ON jobs (updated_at)
    WHERE request_sealed <> '' OR payload ? 'sip_password_sealed';
