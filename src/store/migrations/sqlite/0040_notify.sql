-- Notifications (issue 6): channels per organisation and the durable outbox.
-- A channel's secrets (SMTP password, webhook URL or signing secret) are
-- sealed with libsodium secretbox under the key file; config holds the rest.
CREATE TABLE notify_channels (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('email','teams','slack','webhook')),
	config TEXT NOT NULL DEFAULT '{}',
	secret BLOB,
	secret_names TEXT NOT NULL DEFAULT '[]',
	events TEXT NOT NULL DEFAULT '["*"]',
	enabled INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, name)
) STRICT;

-- One row per message and channel. status: pending (due at next_attempt_at;
-- a live lease means a node is delivering it), sent, failed (gave up after
-- max_attempts), cancelled.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	channel_id INTEGER REFERENCES notify_channels(id),  -- NULL once the channel is deleted
	channel_name TEXT NOT NULL,
	channel_kind TEXT NOT NULL,
	incident_id INTEGER REFERENCES incidents(id),
	idem_key TEXT NOT NULL,
	event TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	payload TEXT NOT NULL DEFAULT '{}',
	recipients TEXT,
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed','cancelled')),
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	leased_until INTEGER,
	leased_by TEXT,
	last_error TEXT,
	last_status INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	sent_at INTEGER,
	UNIQUE (org_id, idem_key)
) STRICT;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_incident ON outbox(org_id, incident_id, id);
CREATE INDEX outbox_org_status ON outbox(org_id, status, id);

CREATE TABLE outbox_attempts (
	id INTEGER PRIMARY KEY,
	outbox_id INTEGER NOT NULL REFERENCES outbox(id),
	attempt INTEGER NOT NULL,
	started_at INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	node TEXT NOT NULL,
	ok INTEGER NOT NULL,
	response_status INTEGER,
	error TEXT
) STRICT;
CREATE INDEX outbox_attempts_msg ON outbox_attempts(outbox_id, attempt);
