-- Evidence items and their chain of custody (issue 4, point 6).
-- An item's bytes live in the blob store under their SHA-256 (filesystem
-- under the data directory, or PostgreSQL large objects: blob_objects).
CREATE TABLE evidence (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	file_name TEXT NOT NULL,
	size INTEGER NOT NULL CHECK (size >= 0),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
	description TEXT NOT NULL DEFAULT '',
	collected_by TEXT NOT NULL,
	collected_at INTEGER NOT NULL,
	source TEXT NOT NULL DEFAULT '',
	blob_store TEXT NOT NULL CHECK (blob_store IN ('fs','db')),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX evidence_incident ON evidence(org_id, incident_id, id);
CREATE INDEX evidence_sha256 ON evidence(org_id, sha256);

-- The custody log: append-only, like the audit trail.
CREATE TABLE evidence_custody (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL,
	evidence_id INTEGER NOT NULL REFERENCES evidence(id),
	action TEXT NOT NULL CHECK (action IN
		('upload','view','download','export','handover','integrity_failure')),
	actor TEXT NOT NULL,
	at INTEGER NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	to_party TEXT,
	sha256 TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX evidence_custody_item ON evidence_custody(evidence_id, id);
CREATE TRIGGER evidence_custody_no_update BEFORE UPDATE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'evidence_custody is append-only'); END;
CREATE TRIGGER evidence_custody_no_delete BEFORE DELETE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'evidence_custody is append-only'); END;

-- Content stored as PostgreSQL large objects (unused on SQLite).
CREATE TABLE blob_objects (
	sha256 TEXT PRIMARY KEY,
	oid INTEGER NOT NULL,
	size INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
