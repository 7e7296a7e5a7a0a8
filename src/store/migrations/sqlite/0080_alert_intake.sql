-- Alert intake (issue 10): configured sources with hashed secrets, the
-- request bodies as received, normalised alerts, routing rules and alert
-- groups. Times are epoch seconds (UTC); JSON values are TEXT.

-- One row per configured sender; the secret is shown once, only its
-- SHA-256 (hex) is kept.
CREATE TABLE intake_sources (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	secret_hash TEXT NOT NULL UNIQUE,
	enabled INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	rotated_at INTEGER,
	last_used_at INTEGER,
	deleted_at INTEGER
) STRICT;
CREATE UNIQUE INDEX intake_sources_name ON intake_sources(org_id, name) WHERE deleted_at IS NULL;

-- Every accepted request body, verbatim, once.
CREATE TABLE alert_payloads (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	intake_source_id INTEGER NOT NULL REFERENCES intake_sources(id),
	kind TEXT NOT NULL,
	digest TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT '',
	content_type TEXT,
	alert_count INTEGER NOT NULL,
	group_key TEXT,
	body TEXT NOT NULL
) STRICT;
CREATE INDEX alert_payloads_digest ON alert_payloads(org_id, digest, received_at);

-- Routing rules: ordered, first match wins.
CREATE TABLE intake_rules (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	name TEXT NOT NULL,
	position INTEGER NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 1,
	match TEXT NOT NULL DEFAULT '{}',
	action TEXT NOT NULL CHECK (action IN ('open','attach','record')),
	category TEXT,
	severity TEXT,
	group_by TEXT NOT NULL DEFAULT '[]',
	group_window INTEGER NOT NULL DEFAULT 3600,
	resolve_note INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
) STRICT;
CREATE INDEX intake_rules_order ON intake_rules(org_id, position, id);

-- One row per group key (rule + the values of its group_by fields); an
-- episode lasts while alerts keep coming within the rule's window.
CREATE TABLE alert_groups (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	group_key TEXT NOT NULL,
	rule_id INTEGER REFERENCES intake_rules(id),
	label TEXT NOT NULL DEFAULT '{}',
	incident_id INTEGER REFERENCES incidents(id),
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	alert_count INTEGER NOT NULL DEFAULT 0,
	UNIQUE (org_id, group_key)
) STRICT;

CREATE TABLE alerts (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	source TEXT NOT NULL,
	intake_source_id INTEGER REFERENCES intake_sources(id),
	source_ref TEXT,
	fingerprint TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low','info')),
	status TEXT NOT NULL CHECK (status IN ('firing','resolved')),
	starts_at INTEGER NOT NULL,
	ends_at INTEGER,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	resolved_at INTEGER,
	count INTEGER NOT NULL DEFAULT 1,
	entities TEXT NOT NULL DEFAULT '[]',
	labels TEXT NOT NULL DEFAULT '{}',
	annotations TEXT NOT NULL DEFAULT '{}',
	link TEXT,
	-- the alert as received is item payload_index of its (latest) payload
	payload_index INTEGER NOT NULL,
	first_payload_id INTEGER NOT NULL REFERENCES alert_payloads(id),
	payload_id INTEGER NOT NULL REFERENCES alert_payloads(id),
	incident_id INTEGER REFERENCES incidents(id),
	group_key TEXT,
	rule_id INTEGER REFERENCES intake_rules(id)
) STRICT;
-- De-duplication: at most one firing alert per (org, source, fingerprint).
CREATE UNIQUE INDEX alerts_open ON alerts(org_id, source, fingerprint) WHERE status = 'firing';
-- Replayed resolved notifications are recognised by their start time.
CREATE INDEX alerts_resolved ON alerts(org_id, source, fingerprint, starts_at) WHERE status = 'resolved';
CREATE INDEX alerts_org ON alerts(org_id, id);
CREATE INDEX alerts_org_status ON alerts(org_id, status, id);
-- Severity and source filters walk alerts_org (an index each would cost every insert).
CREATE INDEX alerts_incident ON alerts(incident_id, id) WHERE incident_id IS NOT NULL;
