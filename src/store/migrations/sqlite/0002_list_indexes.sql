-- The incident list filtered by status and severity together ("open
-- critical incidents"): without this index the page is found through the
-- status index, reading the record of every row with that status until 50
-- have the severity asked for (about 1,000 records for a 5% status and a 5%
-- severity over 1,000,000 incidents). See bench/README.md.
CREATE INDEX incidents_org_status_severity ON incidents(org_id, status, severity, created_at DESC, id DESC);
