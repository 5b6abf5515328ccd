-- A rule's routing policy is a few kilobytes of JSON when full, compressed on every write: lz4
-- instead of pglz, as provisioning's routing (its migration 017). A server built without lz4
-- keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE dispatch_rules ALTER COLUMN policy SET COMPRESSION lz4;
    END IF;
END
$$;
