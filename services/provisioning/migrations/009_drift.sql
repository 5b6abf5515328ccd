-- Carrier drift (drift.h): what a comparison of a carrier account with our rows found. An open
-- finding (resolved_at NULL) is kept up to date by every check and closed by the first check
-- that no longer sees it, or by an admin's action, which stays on the row (who, which request,
-- what was done): the audit trail of every fix. A dismissed finding is not raised again.
CREATE TABLE IF NOT EXISTS drift_findings (
    id uuid PRIMARY KEY,
    provider text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('orphan', 'missing', 'trunk_mismatch')),
    phone_number text NOT NULL,
    number_id uuid,
    workspace_id uuid,
    carrier_number_id text,
    detail jsonb NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at timestamptz,
    resolution text CHECK (resolution IN ('no_longer_seen', 'released', 'marked_released', 'dismissed')),
    resolved_by text,
    resolved_request_id text
);
CREATE UNIQUE INDEX IF NOT EXISTS drift_findings_open ON drift_findings (provider, kind, phone_number)
    WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS drift_findings_dismissed ON drift_findings (provider, kind, phone_number)
    WHERE resolution = 'dismissed';
-- Rows changed since a check started are left out of its findings (they are in flux).
CREATE INDEX IF NOT EXISTS phone_numbers_updated ON phone_numbers (updated_at);
