-- An audit event of a routing change carries the routing before and after it: with a full
-- policy, kilobytes of JSON compressed on every write. lz4 instead of pglz, as provisioning's
-- routing (its migration 017). A server built without lz4 keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE audit_events ALTER COLUMN changes SET COMPRESSION lz4;
        ALTER TABLE audit_pending ALTER COLUMN event SET COMPRESSION lz4;
    END IF;
END
$$;
