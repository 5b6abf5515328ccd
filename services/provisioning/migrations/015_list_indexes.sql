-- Lists a person pages through (GET /v1/phone-numbers, GET /v1/jobs) are planned for their
-- filters (oi_pg_pipeline_exec_planned), and each filter that picks a few rows out of many gets an
-- index to walk in the list's order, so a page costs the rows it shows, not the table:
--  - a workspace's numbers of one agent (?agent_id=);
--  - its released numbers (?status=released: rows the live numbers' indexes leave out);
--  - the failed jobs, newest first (?state=failed: the dead letters an operator works through).
-- A PATCH of routing or a number's activation still updates its row in place (HOT): only a
-- change of the number's agent now also writes the agent's index; a job's progress already writes
-- its indexes (jobs_claimable names state).
CREATE INDEX IF NOT EXISTS phone_numbers_workspace_agent ON phone_numbers (workspace_id, agent_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS phone_numbers_workspace_released ON phone_numbers (workspace_id, created_at, id)
    WHERE deleted_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_failed ON jobs (created_at, id) WHERE state = 'failed';
