-- dispatch schema: agents, SIP trunks, dispatch rules, per-call failures.
CREATE TABLE IF NOT EXISTS agents (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'paused')),
    voicemail_message text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX IF NOT EXISTS agents_workspace_keyset ON agents (workspace_id, created_at, id)
    WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS inbound_trunks (
    id text PRIMARY KEY,
    workspace_id uuid NOT NULL,
    phone_number text NOT NULL,
    provider text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS outbound_trunks (
    id text PRIMARY KEY,
    workspace_id uuid NOT NULL,
    phone_number text NOT NULL,
    provider text NOT NULL,
    trunk_address text NOT NULL,
    auth_username text NOT NULL,
    auth_password_sealed text,          -- "v1:..." secretbox (OI_SECRET_KEY); never returned
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dispatch_rules (
    id text PRIMARY KEY,
    workspace_id uuid NOT NULL,
    number_id text NOT NULL,
    phone_number text NOT NULL,
    inbound_trunk_id text NOT NULL DEFAULT '',
    agent_id uuid NOT NULL,
    fallback_agent_id uuid,
    voicemail_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dispatch_rules_phone_number_key UNIQUE (phone_number)
);
CREATE INDEX IF NOT EXISTS dispatch_rules_agent ON dispatch_rules (agent_id);
CREATE INDEX IF NOT EXISTS dispatch_rules_fallback ON dispatch_rules (fallback_agent_id);

-- ReportFailure records: consulted for the same call only; older than an hour is garbage.
CREATE TABLE IF NOT EXISTS call_failures (
    call_id text NOT NULL,
    agent_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, agent_id)
);
CREATE INDEX IF NOT EXISTS call_failures_created ON call_failures (created_at);
