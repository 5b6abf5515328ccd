-- No statistics for the columns no query filters, joins or sorts on: autovacuum's ANALYZE of a
-- busy table would otherwise sample and sort every policy document each time, for nothing.
ALTER TABLE dispatch_rules ALTER COLUMN policy SET STATISTICS 0,
                           ALTER COLUMN voicemail_message SET STATISTICS 0;
ALTER TABLE outbound_trunks ALTER COLUMN auth_password_sealed SET STATISTICS 0;
