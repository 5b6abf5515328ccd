-- No statistics for the columns no query filters, joins or sorts on. Autovacuum's ANALYZE of a
-- busy jobs table otherwise samples and sorts thousands of jsonb payloads and event lists each
-- time (measured: a fifth of the database's CPU under a PATCH load), for statistics no plan uses.
ALTER TABLE jobs ALTER COLUMN payload SET STATISTICS 0,
                 ALTER COLUMN events SET STATISTICS 0,
                 ALTER COLUMN request_sealed SET STATISTICS 0,
                 ALTER COLUMN request_hash SET STATISTICS 0,
                 ALTER COLUMN error_message SET STATISTICS 0,
                 ALTER COLUMN step SET STATISTICS 0;
ALTER TABLE phone_numbers ALTER COLUMN inbound_routing SET STATISTICS 0,
                          ALTER COLUMN friendly_name SET STATISTICS 0;
ALTER TABLE integrations ALTER COLUMN metadata SET STATISTICS 0,
                         ALTER COLUMN metadata_secrets_sealed SET STATISTICS 0;
