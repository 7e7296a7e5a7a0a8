-- The evidence pack reads the incidents of a period in (detection time,
-- id) order, a page at a time (keyset); the creation time stands in when
-- the detection time is unknown.
CREATE INDEX IF NOT EXISTS incidents_org_period_id
	ON incidents(org_id, (COALESCE(detected_at, created_at)), id);
