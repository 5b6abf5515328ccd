-- dispatch.ApplyNumber's fence: the last version applied to each number (deleted numbers
-- included), so a late or repeated call never undoes a newer one. A number belongs to one
-- workspace for good.
CREATE TABLE IF NOT EXISTS number_versions (
    number_id text PRIMARY KEY,
    workspace_id uuid NOT NULL,
    version bigint NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Refuses an id that another workspace owns as the duplicate key it is: SQLSTATE 23505 naming
-- the key, so ApplyNumber's whole transaction rolls back and the caller gets CONFLICT on the
-- field that named it. STRICT: NULL (nothing taken) returns NULL without raising.
CREATE OR REPLACE FUNCTION id_taken(key_name text) RETURNS boolean
LANGUAGE plpgsql STRICT AS $$
BEGIN
    RAISE unique_violation USING MESSAGE = 'id belongs to another workspace', CONSTRAINT = key_name;
END
$$;
