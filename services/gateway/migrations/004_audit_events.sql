-- Who changed what: one row per create, update and delete of numbers, agents, integrations and
-- API keys, written before the change's answer leaves. Ids are UUIDv7, so their order is the
-- order of the events: the listing pages by (workspace, id) and the retention purge walks the
-- primary key; two secondary indexes in all, as every event costs their upkeep.
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
CREATE INDEX IF NOT EXISTS audit_events_workspace_keyset ON audit_events (workspace_id, id DESC);
CREATE INDEX IF NOT EXISTS audit_events_resource ON audit_events (workspace_id, resource_id);
