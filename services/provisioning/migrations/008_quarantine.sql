-- A purchased number that is deleted waits in quarantine (OI_RELEASE_QUARANTINE_HOURS) before
-- its carrier side is released: routing stops at once, the number stays on the carrier account,
-- and POST /v1/phone-numbers/{id}/restore brings it back until release_after. A number whose
-- carrier side is gone (or a registered number deleted) is "released".
ALTER DOMAIN number_status DROP CONSTRAINT IF EXISTS number_status_check;
ALTER DOMAIN number_status ADD CONSTRAINT number_status_check
    CHECK (VALUE IN ('provisioning', 'active', 'inactive', 'releasing', 'quarantined', 'released'));
ALTER TABLE phone_numbers ADD COLUMN IF NOT EXISTS release_after timestamptz;
-- The expiry sweep takes the oldest due quarantines first.
CREATE INDEX IF NOT EXISTS phone_numbers_quarantine ON phone_numbers (release_after)
    WHERE status = 'quarantined' AND deleted_at IS NULL;
