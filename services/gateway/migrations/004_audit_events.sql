-- Who changed what: one row per create, update and delete of numbers, agents, integrations and
-- API keys, written in the transaction that records the answer, before the answer is sent.
CREATE TABLE IF NOT EXISTS audit_events (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id text NOT NULL,
    actor_type text NOT NULL,
    actor_id text NOT NULL,
    request_id text NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS audit_events_workspace_keyset ON audit_events (workspace_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_events_resource ON audit_events (workspace_id, resource_id);
CREATE INDEX IF NOT EXISTS audit_events_created ON audit_events (created_at);
