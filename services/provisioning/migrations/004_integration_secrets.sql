-- The secrets an integration's metadata carried (any depth, by JSON Pointer), sealed with
-- OI_SECRET_KEY; never returned (metadata_secrets.h).
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS metadata_secrets_sealed text;
