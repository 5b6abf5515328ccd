-- provisioning schema: phone numbers, integrations (secrets sealed), durable jobs.
CREATE TABLE IF NOT EXISTS phone_numbers (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    phone_number text NOT NULL,
    friendly_name text,
    provider text NOT NULL,
    agent_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('provisioning', 'active', 'inactive')),
    origin text NOT NULL DEFAULT 'registered' CHECK (origin IN ('registered', 'purchased')),
    inbound_trunk_id text,
    outbound_trunk_id text,
    dispatch_rule_id text,
    inbound_routing jsonb,                 -- API shape: {agent_id, fallback: {agent_id}|null, voicemail_message}
    sms_capable boolean,
    carrier_number_id text NOT NULL DEFAULT '',
    carrier_trunk_id text,
    job_id uuid,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at timestamptz
);
-- one live row per number across all workspaces (provisioning rows included: they reserve it)
CREATE UNIQUE INDEX IF NOT EXISTS phone_numbers_live_number ON phone_numbers (phone_number)
    WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS phone_numbers_workspace_keyset ON phone_numbers (workspace_id, created_at, id)
    WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS integrations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    provider text NOT NULL CHECK (provider IN ('twilio', 'telnyx')),
    api_key_sealed text NOT NULL,          -- "v1:..." secretbox (OI_SECRET_KEY); never returned
    sip_password_sealed text,              -- password found in metadata, moved out of it and sealed
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at timestamptz
);
CREATE INDEX IF NOT EXISTS integrations_workspace_keyset ON integrations (workspace_id, created_at, id)
    WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS jobs (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('register', 'purchase', 'update_routing', 'delete')),
    state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    step text NOT NULL DEFAULT '',
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    request_sealed text NOT NULL,          -- the packed request, sealed (it may hold a SIP password)
    request_hash text NOT NULL,            -- keyed SHA-256 of the request without its idempotency key
    payload jsonb NOT NULL DEFAULT '{}'::jsonb, -- ids chosen by the steps (never secrets)
    idempotency_key text,
    number_id uuid,                        -- the number the job creates or changes
    charged boolean NOT NULL DEFAULT false,-- a carrier purchase happened (no cancel from then on)
    error_code text,
    error_message text,
    error_status integer,
    events jsonb NOT NULL DEFAULT '[]'::jsonb,
    lease_owner text,
    lease_until timestamptz,
    run_after timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (run_after) WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_keyset ON jobs (created_at, id);
