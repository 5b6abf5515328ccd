-- A workspace's purchases of the last day, counted for OI_QUOTA_PURCHASES_PER_DAY and for the
-- numbers still being bought (OI_QUOTA_NUMBERS): only purchase jobs keep this index.
CREATE INDEX IF NOT EXISTS jobs_purchases ON jobs (workspace_id, created_at) WHERE kind = 'purchase';
