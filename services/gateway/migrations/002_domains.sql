-- An idempotency record's state is a domain instead of a table CHECK constraint: the same
-- guarantee, compiled once per session instead of parsed again by every claim (ExecRelCheck).
CREATE DOMAIN idempotency_state AS text CHECK (VALUE IN ('in_progress', 'done'));
ALTER TABLE idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_state_check;
ALTER TABLE idempotency_keys ALTER COLUMN state TYPE idempotency_state;
