-- A purchased number in quarantine keeps its outbound trunk (its credentials live only here, for
-- a restore) but places no calls: SuspendOutbound sets suspended, fenced by the number's version.
ALTER TABLE outbound_trunks ADD COLUMN IF NOT EXISTS suspended boolean NOT NULL DEFAULT false;
ALTER TABLE outbound_trunks ADD COLUMN IF NOT EXISTS suspended_version bigint NOT NULL DEFAULT 0;
