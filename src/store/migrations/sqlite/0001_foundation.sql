-- Foundation: organisations, users, memberships, API tokens, incidents and
-- the hash-chained audit trail. Times are epoch seconds (UTC).
CREATE TABLE orgs (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL UNIQUE,
	key_prefix TEXT NOT NULL DEFAULT 'INC',
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	email TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	time_zone TEXT NOT NULL DEFAULT 'UTC',
	password_hash TEXT,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	user_id INTEGER NOT NULL REFERENCES users(id),
	role TEXT NOT NULL CHECK (role IN ('admin','manager','responder','viewer','auditor')),
	expires_at INTEGER,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (org_id, user_id)
) STRICT;

CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	user_id INTEGER NOT NULL REFERENCES users(id),
	name TEXT NOT NULL,
	scope TEXT NOT NULL CHECK (scope IN ('read','write','admin')),
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	last_used_at INTEGER,
	revoked_at INTEGER
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(org_id, user_id);

CREATE TABLE incident_counters (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	year INTEGER NOT NULL,
	next_seq INTEGER NOT NULL,
	PRIMARY KEY (org_id, year)
) STRICT;

CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	key TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	severity TEXT NOT NULL CHECK (severity IN ('critical','high','medium','low')),
	status TEXT NOT NULL DEFAULT 'new',
	detected_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	UNIQUE (org_id, key)
) STRICT;
CREATE INDEX incidents_org_created ON incidents(org_id, created_at DESC, id DESC);
CREATE INDEX incidents_org_status ON incidents(org_id, status, created_at DESC, id DESC);
CREATE INDEX incidents_org_severity ON incidents(org_id, severity, created_at DESC, id DESC);

-- The audit trail: one hash chain per organisation (org_id 0 holds
-- installation-wide events). Rows are append-only; triggers refuse changes.
CREATE TABLE audit_log (
	org_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	ts INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	details TEXT NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT '',
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL,
	PRIMARY KEY (org_id, seq)
) STRICT;
CREATE INDEX audit_log_ts ON audit_log(org_id, ts);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE audit_head (
	org_id INTEGER PRIMARY KEY,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL
) STRICT;

CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
