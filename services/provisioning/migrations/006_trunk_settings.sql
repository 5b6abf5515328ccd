-- The SIP trunk settings of a number registered over the tenant's own trunk, as the number keeps
-- them (the password sealed, like every secret at rest): what a PATCH of provider_config merges
-- into. NULL for a number on the platform's trunk, a purchased one, or one registered before.
ALTER TABLE phone_numbers ADD COLUMN IF NOT EXISTS trunk_address text,
                          ADD COLUMN IF NOT EXISTS trunk_username text,
                          ADD COLUMN IF NOT EXISTS trunk_password_sealed text;
ALTER TABLE phone_numbers ALTER COLUMN trunk_password_sealed SET STATISTICS 0;
