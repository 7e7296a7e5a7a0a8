-- Issue 4: timeline, tasks and indicators of an incident, and the indexes
-- the incident list's filters and sorts need. Which index serves which filter
-- of GET /api/v1/incidents (all start with org_id):
--   (none)/sort=created_at  incidents_org_created            (0001)
--   status                  incidents_org_status             (0001)
--   severity                incidents_org_severity           (0001)
--   category                incidents_org_category           (0020)
--   commander               incidents_org_commander          (0020)
--   personal_data           incidents_org_personal           (0020)
--   detected_* / sort       incidents_org_detected           (0020)
--   resolved_* / sort       incidents_org_resolved           (0020)
--   created_*               incidents_org_created            (0001)
--   sort=updated_at         incidents_org_updated            (here)
--   assignee                incident_assignees_user          (0020)
--   tag                     incident_tags_tag                (0020)
--   q                       the full-text tables of 0022
ALTER TABLE incidents ADD COLUMN playbook_category TEXT; -- category whose playbook tasks were added

CREATE INDEX incidents_org_updated ON incidents(org_id, updated_at DESC, id DESC);
-- related incidents are listed from both ends of a link
CREATE INDEX incident_links_to ON incident_links(to_id, from_id);

-- The timeline: append-only. A correction is a new entry whose `corrects`
-- names the old one; the triggers below refuse UPDATE and DELETE.
CREATE TABLE incident_timeline (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	kind TEXT NOT NULL CHECK (kind IN ('action','note','decision','communication','system')),
	text TEXT NOT NULL,
	author TEXT NOT NULL,
	recorded_at INTEGER NOT NULL,
	occurred_at INTEGER,
	corrects INTEGER REFERENCES incident_timeline(id),
	details TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, id);
CREATE INDEX incident_timeline_corrects ON incident_timeline(corrects) WHERE corrects IS NOT NULL;
CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;
CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;

CREATE TABLE incident_tasks (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	title TEXT NOT NULL,
	assignee_id INTEGER REFERENCES users(id),
	due_at INTEGER,
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','in_progress','done','cancelled')),
	source TEXT NOT NULL DEFAULT 'manual',  -- manual, playbook
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	completed_at INTEGER,
	created_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id, id);
CREATE INDEX incident_tasks_assignee ON incident_tasks(org_id, assignee_id, status)
	WHERE assignee_id IS NOT NULL;

-- Indicators, de-duplicated per incident on (type, canonical value).
CREATE TABLE incident_indicators (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	type TEXT NOT NULL,
	value TEXT NOT NULL,
	tlp TEXT NOT NULL DEFAULT 'amber',
	description TEXT NOT NULL DEFAULT '',
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	UNIQUE (incident_id, type, value)
) STRICT;
-- "where else did we see this?" (GET /api/v1/indicators?value=)
CREATE INDEX incident_indicators_value ON incident_indicators(org_id, value);
