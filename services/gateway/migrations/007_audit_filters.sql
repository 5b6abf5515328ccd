-- The listing's filters walk indexes in the list's order instead of the workspace's whole trail.
-- 004 kept two secondary indexes, so a filter that matched few events read every event of the
-- workspace: with 320,000 events, ?action=phone_number.deleted took 270 ms, ?resource_type=
-- integration 90 ms, and ?since= a moment with nothing after it 760 ms (the question an ops
-- poller asks every few seconds). Two more, each appended to at one point per key, about 5 µs of
-- the database's time per event each:
--  - (workspace, type, action, id): a type, or an action (whose type is its prefix, held below,
--    so the listing names both and walks one key in id order);
--  - (workspace, created_at): since.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audit_events_action_of_type') THEN
        ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_of_type
            CHECK (starts_with(action, resource_type || '.')) NOT VALID;
    END IF;
END $$;
ALTER TABLE audit_events VALIDATE CONSTRAINT audit_events_action_of_type;
CREATE INDEX IF NOT EXISTS audit_events_type_action ON audit_events (workspace_id, resource_type, action, id DESC);
CREATE INDEX IF NOT EXISTS audit_events_since ON audit_events (workspace_id, created_at);
