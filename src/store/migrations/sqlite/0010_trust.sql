-- Trust (issue 3): installation administrators, organisation slugs, web
-- sessions, login throttling and signed audit checkpoints.
ALTER TABLE users ADD COLUMN superadmin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
ALTER TABLE orgs ADD COLUMN slug TEXT;
UPDATE orgs SET slug = uid WHERE slug IS NULL;
CREATE UNIQUE INDEX orgs_slug ON orgs(slug);

-- Only the SHA-256 of a session id is stored; uid is the public handle used
-- to list and revoke sessions.
CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	id_hash BLOB NOT NULL UNIQUE,
	user_id INTEGER NOT NULL REFERENCES users(id),
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	created_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER,
	client_addr TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id, created_at);

-- Failed sign-ins per account ("account:EMAIL") and per client address
-- ("address:IP"), shared by every node through the database.
CREATE TABLE login_throttle (
	key TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	last_failure_at INTEGER NOT NULL,
	locked_until INTEGER NOT NULL
) STRICT;

-- Signed heads of the audit chains (the signing key is never stored here).
CREATE TABLE audit_checkpoints (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	ts INTEGER NOT NULL,
	public_key TEXT NOT NULL,
	signature TEXT NOT NULL
) STRICT;
CREATE INDEX audit_checkpoints_org ON audit_checkpoints(org_id, seq);
