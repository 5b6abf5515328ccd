-- The number version that last set an outbound trunk's address and credentials: a rotation
-- (ApplyNumberRequest.rotate_outbound_trunk) replaces them only when it is newer, whatever
-- order the applies of a number arrive in.
ALTER TABLE outbound_trunks ADD COLUMN IF NOT EXISTS creds_version bigint NOT NULL DEFAULT 0;
