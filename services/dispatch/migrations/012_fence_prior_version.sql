-- The version a fence row held before the last ApplyNumber that touched it. The shared apply
-- (apply_many.h) moves the fence and writes the routing in one statement: its fence upsert
-- always takes the row (never lowering the version) and returns both, so the statement knows
-- whether the version moved and which one the number is at, without a second snapshot. NULL: the
-- row was inserted by that apply.
ALTER TABLE number_versions ADD COLUMN IF NOT EXISTS prior_version bigint;
