-- OutboundRoute finds a number's outbound trunk by the number an agent calls from.
CREATE INDEX IF NOT EXISTS outbound_trunks_phone_number ON outbound_trunks (phone_number);
