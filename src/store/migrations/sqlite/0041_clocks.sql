-- Regulatory clocks (issue 6): definitions per organisation (the built-ins
-- are copied in on first use), clocks applied to incidents, the decisions
-- that start them and the submissions that end their stages.
CREATE TABLE clock_definitions (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	key TEXT NOT NULL,
	definition TEXT NOT NULL,
	reminders TEXT NOT NULL DEFAULT '[24,4,1]',
	builtin INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, key)
) STRICT;

CREATE TABLE incident_clocks (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	definition_key TEXT NOT NULL,
	definition TEXT NOT NULL,
	reminders TEXT NOT NULL,
	applied_by TEXT NOT NULL,
	applied_at INTEGER NOT NULL,
	applied_how TEXT NOT NULL CHECK (applied_how IN ('manual','rule')),
	rule TEXT,
	done INTEGER NOT NULL DEFAULT 0,
	UNIQUE (incident_id, definition_key)
) STRICT;
CREATE INDEX incident_clocks_active ON incident_clocks(done, org_id);

CREATE TABLE incident_decisions (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	decision TEXT NOT NULL,
	decided_at INTEGER NOT NULL,
	decided_by TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX incident_decisions_inc ON incident_decisions(incident_id, decision, id);

CREATE TABLE clock_submissions (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	clock_id INTEGER NOT NULL REFERENCES incident_clocks(id),
	stage TEXT NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('submitted','not_required')),
	submitted_at INTEGER NOT NULL,
	authority TEXT NOT NULL DEFAULT '',
	reference TEXT NOT NULL DEFAULT '',
	submitted_by TEXT NOT NULL,
	evidence_id TEXT,
	justification TEXT NOT NULL DEFAULT '',
	decision TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX clock_submissions_clock ON clock_submissions(clock_id, stage, submitted_at);

-- Reminders and breach notices already raised, so each goes out once
-- across all nodes: alert is "breach" or "remind_<hours>h".
CREATE TABLE clock_alerts (
	clock_id INTEGER NOT NULL REFERENCES incident_clocks(id),
	stage TEXT NOT NULL,
	alert TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (clock_id, stage, alert)
) STRICT;
