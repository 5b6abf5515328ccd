-- No statistics for the columns no query filters, joins or sorts on: autovacuum's ANALYZE of the
-- busy audit and idempotency tables would otherwise sample and sort their jsonb and stored
-- answers each time, for statistics no plan uses.
ALTER TABLE audit_events ALTER COLUMN changes SET STATISTICS 0;
ALTER TABLE idempotency_keys ALTER COLUMN body SET STATISTICS 0,
                             ALTER COLUMN headers SET STATISTICS 0;
