-- The audit trail grows with every write. After a burst of 100,000 registrations audit_events
-- had not been analyzed yet (autovacuum comes a minute or more later) and ?since= was planned as
-- a walk of the workspace's whole trail: 76 ms a page, 0.1 ms once analyzed. As provisioning's.
-- analyze_grown(min_rows) (oi/pg_analyze.h): analyzes each table of this schema that holds at
-- least min_rows rows and twice as many as at its last analysis (never analyzed: any count), so
-- plans prepared while it was nearly empty are made again with its real size. Returns how many
-- tables it analyzed. It runs on a connection other statements share, so it never waits long for
-- a table's lock (a VACUUM running on it): that table waits for the next round. A table this
-- role does not own is skipped by ANALYZE with a warning.
CREATE OR REPLACE FUNCTION analyze_grown(min_rows int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
    n int := 0;
BEGIN
    PERFORM set_config('lock_timeout', '100ms', true);
    FOR t IN
        SELECT s.relid::regclass FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = 'gateway' AND s.n_live_tup >= min_rows
          AND s.n_live_tup >= 2 * greatest(c.reltuples, 0)
    LOOP
        BEGIN
            EXECUTE format('ANALYZE %s', t);
            n := n + 1;
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END LOOP;
    RETURN n;
END
$$;
