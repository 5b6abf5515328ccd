-- A number's version is a domain instead of a table CHECK constraint: the same guarantee, but
-- compiled once per session instead of parsed again by every ApplyNumber (ExecRelCheck).
CREATE DOMAIN number_version AS bigint CHECK (VALUE >= 1);
ALTER TABLE number_versions DROP CONSTRAINT IF EXISTS number_versions_version_check;
ALTER TABLE number_versions ALTER COLUMN version TYPE number_version;
