-- The event-driven job engine: each job runs in a lane (local work, or the carrier it waits on)
-- with its own concurrency; `notify` asks whoever ends the job to NOTIFY oi_jobs, because a
-- waiter on another replica wants to know. Numbers carry a version that grows with every change,
-- so oi-dispatch applies a number's routing only when it is newer than what it has.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lane text NOT NULL DEFAULT 'local';
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS notify boolean NOT NULL DEFAULT false;
UPDATE jobs SET lane = COALESCE(NULLIF(payload->>'provider', ''), 'twilio')
    WHERE state IN ('queued', 'running', 'failed')
      AND (kind = 'purchase' OR (kind = 'delete' AND payload->>'origin' = 'purchased'));
DROP INDEX IF EXISTS jobs_claimable;
CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (lane, run_after) WHERE state IN ('queued', 'running');

ALTER TABLE phone_numbers ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1;
-- 'releasing': a purchased number whose DELETE is under way (its carrier side is being released)
ALTER TABLE phone_numbers DROP CONSTRAINT IF EXISTS phone_numbers_status_check;
ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_status_check
    CHECK (status IN ('provisioning', 'active', 'inactive', 'releasing'));
