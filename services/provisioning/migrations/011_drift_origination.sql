-- Carrier drift compares where our trunks send inbound calls too (drift.h): a finding
-- origination_mismatch when a number's trunk no longer sends calls to our SIP ingress (or is
-- gone), fixed by the admin's repair (resolution 'repaired'), as a trunk_mismatch can be.
ALTER TABLE drift_findings DROP CONSTRAINT IF EXISTS drift_findings_kind_check;
ALTER TABLE drift_findings ADD CONSTRAINT drift_findings_kind_check
    CHECK (kind IN ('orphan', 'missing', 'trunk_mismatch', 'origination_mismatch'));
ALTER TABLE drift_findings DROP CONSTRAINT IF EXISTS drift_findings_resolution_check;
ALTER TABLE drift_findings ADD CONSTRAINT drift_findings_resolution_check
    CHECK (resolution IN ('no_longer_seen', 'released', 'marked_released', 'dismissed', 'repaired'));
