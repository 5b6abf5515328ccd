-- GET /v1/api-keys shows who made each key and when it was last used (never the key).
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS created_by text NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS last_used_at timestamptz;
CREATE INDEX IF NOT EXISTS api_keys_workspace_keyset ON api_keys (workspace_id, created_at, id);
