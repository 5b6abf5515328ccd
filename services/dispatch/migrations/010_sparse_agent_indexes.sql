-- Most rules name no fallback agent and no agent in a policy, yet every rule written put an entry
-- into both indexes: a NULL, and for an empty array GIN's placeholder item (GIN's pending list is
-- then merged by whichever write overflows it). Only the rules that name one are indexed now; the
-- query of an agent's rules (agents.c) states the same conditions, so it still uses them.
DROP INDEX IF EXISTS dispatch_rules_fallback;
CREATE INDEX IF NOT EXISTS dispatch_rules_fallback ON dispatch_rules (fallback_agent_id)
    WHERE fallback_agent_id IS NOT NULL;
DROP INDEX IF EXISTS dispatch_rules_policy_agents;
CREATE INDEX IF NOT EXISTS dispatch_rules_policy_agents ON dispatch_rules USING gin (policy_agents)
    WHERE policy_agents <> '{}';
