-- phone_numbers_updated (009) indexed updated_at, which every write of a number changes: no
-- update of a number could be HOT any more, so each PATCH wrote a new entry into every index of
-- the table (and left them bloated). Its only reader is the drift check, once an hour, which
-- reads the table whole anyway.
DROP INDEX IF EXISTS phone_numbers_updated;
