-- Scheduled work that one replica does for all (drift.h): a replica's round runs only when it
-- moves its row's claimed_at past most of a period since the last claim, so N replicas with
-- their own timers still run one scheduled carrier listing per period, not N.
CREATE TABLE IF NOT EXISTS periodic_claims (
    name text PRIMARY KEY,
    claimed_at timestamptz NOT NULL,
    claimed_by text
);
INSERT INTO periodic_claims (name, claimed_at) VALUES ('drift_check', '-infinity') ON CONFLICT DO NOTHING;
