-- A number's routing policy (fallbacks, schedule, caller rules: oi/routing_policy.h), canonical
-- JSON, NULL when it has none; policy_agents lists every agent it names, so a change of one of
-- them finds the numbers whose cached decision it affects.
ALTER TABLE dispatch_rules ADD COLUMN IF NOT EXISTS policy jsonb;
ALTER TABLE dispatch_rules ADD COLUMN IF NOT EXISTS policy_agents uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX IF NOT EXISTS dispatch_rules_policy_agents ON dispatch_rules USING gin (policy_agents);
