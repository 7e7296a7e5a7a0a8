-- The incident response team (issue 5): members and their IR roles,
-- user-defined roles, training records, contact verification and on-call.
CREATE TABLE team_roles (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	key TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (org_id, key)
) STRICT;

CREATE TABLE team_members (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	name TEXT NOT NULL,
	user_id INTEGER REFERENCES users(id),
	email TEXT,
	phone TEXT,                 -- E.164
	ooh_phone TEXT,             -- out of hours, E.164
	chat_handle TEXT,
	time_zone TEXT NOT NULL DEFAULT 'UTC',
	deputy_id INTEGER REFERENCES team_members(id),
	active INTEGER NOT NULL DEFAULT 1,
	contact_verified_at INTEGER,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX team_members_org ON team_members(org_id, name);
CREATE UNIQUE INDEX team_members_user ON team_members(org_id, user_id) WHERE user_id IS NOT NULL;

CREATE TABLE team_member_roles (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	member_id INTEGER NOT NULL REFERENCES team_members(id),
	role TEXT NOT NULL,
	PRIMARY KEY (member_id, role)
) STRICT;
CREATE INDEX team_member_roles_role ON team_member_roles(org_id, role);

CREATE TABLE team_trainings (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	member_id INTEGER NOT NULL REFERENCES team_members(id),
	course TEXT NOT NULL,
	provider TEXT NOT NULL DEFAULT '',
	completed_on INTEGER NOT NULL,   -- midnight UTC of the date
	expires_on INTEGER NOT NULL,
	notes TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	CHECK (expires_on > completed_on)
) STRICT;
CREATE INDEX team_trainings_member ON team_trainings(org_id, member_id, expires_on);

CREATE TABLE contact_verifications (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	member_id INTEGER NOT NULL REFERENCES team_members(id),
	token_hash TEXT NOT NULL UNIQUE,  -- SHA-256 of the token, hex
	details TEXT NOT NULL,            -- JSON: the contact details as asked
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	expires_at INTEGER NOT NULL,
	answered_at INTEGER,
	answer TEXT CHECK (answer IN ('confirmed','correction')),
	correction TEXT
) STRICT;
CREATE INDEX contact_verifications_member ON contact_verifications(org_id, member_id, created_at);

CREATE TABLE oncall_rotations (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	role TEXT NOT NULL,
	name TEXT NOT NULL,
	time_zone TEXT NOT NULL,
	layers TEXT NOT NULL,             -- JSON, see src/core/oncall.h
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, role)
) STRICT;

CREATE TABLE oncall_overrides (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	rotation_id INTEGER NOT NULL REFERENCES oncall_rotations(id),
	member_id INTEGER NOT NULL REFERENCES team_members(id),
	starts_at INTEGER NOT NULL,
	ends_at INTEGER NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX oncall_overrides_rotation ON oncall_overrides(rotation_id, starts_at);
