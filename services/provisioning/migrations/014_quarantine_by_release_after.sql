-- phone_numbers_quarantine (008) had status in its predicate, and a column an index names, even
-- only in its predicate, keeps every update that changes it from being HOT: each activation of a
-- new number (provisioning -> active) wrote a new entry into every index of the table. A number
-- has a release_after exactly while it is quarantined (every statement that moves a number in or
-- out of quarantine sets both; the constraint below holds them to it), so the sweep's index keys
-- on that instead. Pages keep room for an updated row (fillfactor), so the update stays on its
-- page: a new row's activation and a PATCH both stay HOT.
UPDATE phone_numbers SET release_after = NULL WHERE release_after IS NOT NULL AND status <> 'quarantined';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'phone_numbers_release_after_quarantined') THEN
        ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_release_after_quarantined
            CHECK (release_after IS NULL OR status = 'quarantined') NOT VALID;
    END IF;
END $$;
ALTER TABLE phone_numbers VALIDATE CONSTRAINT phone_numbers_release_after_quarantined;
CREATE INDEX IF NOT EXISTS phone_numbers_quarantine_due ON phone_numbers (release_after)
    WHERE release_after IS NOT NULL AND deleted_at IS NULL;
DROP INDEX IF EXISTS phone_numbers_quarantine;
ALTER TABLE phone_numbers SET (fillfactor = 85);
