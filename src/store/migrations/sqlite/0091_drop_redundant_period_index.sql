-- incidents_org_period (org_id, COALESCE(detected_at, created_at)) is a
-- prefix of incidents_org_period_id (0071), which serves every query it
-- served; each create paid for keeping both up to date.
DROP INDEX IF EXISTS incidents_org_period;
