-- The incident response plan (issue 5): one plan per organisation, its
-- versions (draft -> in_review -> approved -> superseded), their sections,
-- approvals and read attestations. An approved or superseded version is
-- immutable: the triggers below refuse changes even from direct SQL.
CREATE TABLE plans (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL UNIQUE REFERENCES orgs(id),
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE plan_versions (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	plan_id INTEGER NOT NULL REFERENCES plans(id),
	number INTEGER NOT NULL CHECK (number >= 1),
	status TEXT NOT NULL CHECK (status IN ('draft','in_review','approved','superseded')),
	title TEXT NOT NULL,
	approvals_required INTEGER NOT NULL DEFAULT 2 CHECK (approvals_required BETWEEN 1 AND 10),
	review_months INTEGER NOT NULL DEFAULT 12 CHECK (review_months BETWEEN 1 AND 36),
	approvers TEXT NOT NULL DEFAULT '[]',   -- JSON array of e-mails; empty: any admin or manager
	reason TEXT NOT NULL CHECK (reason IN ('initial','tabletop_exercise','real_incident',
		'organisational_change','periodic_review','other')),
	trigger_type TEXT CHECK (trigger_type IN ('incident','exercise','text')),
	trigger_ref TEXT,
	note TEXT NOT NULL DEFAULT '',
	based_on INTEGER REFERENCES plan_versions(id),
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	submitted_by TEXT,
	submitted_by_user INTEGER,
	submitted_at INTEGER,
	approved_at INTEGER,
	superseded_at INTEGER,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (plan_id, number)
) STRICT;
-- at most one open (draft or in review) and one approved version per plan
CREATE UNIQUE INDEX plan_versions_open ON plan_versions(plan_id) WHERE status IN ('draft','in_review');
CREATE UNIQUE INDEX plan_versions_in_force ON plan_versions(plan_id) WHERE status = 'approved';
CREATE INDEX plan_versions_org ON plan_versions(org_id, status);

CREATE TRIGGER plan_versions_frozen BEFORE UPDATE ON plan_versions
WHEN OLD.status IN ('approved','superseded') AND (
	NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'superseded'))
	OR NEW.uid IS NOT OLD.uid OR NEW.org_id IS NOT OLD.org_id OR NEW.plan_id IS NOT OLD.plan_id
	OR NEW.number IS NOT OLD.number OR NEW.title IS NOT OLD.title
	OR NEW.approvals_required IS NOT OLD.approvals_required
	OR NEW.review_months IS NOT OLD.review_months OR NEW.approvers IS NOT OLD.approvers
	OR NEW.reason IS NOT OLD.reason OR NEW.trigger_type IS NOT OLD.trigger_type
	OR NEW.trigger_ref IS NOT OLD.trigger_ref OR NEW.note IS NOT OLD.note
	OR NEW.based_on IS NOT OLD.based_on OR NEW.created_by IS NOT OLD.created_by
	OR NEW.created_at IS NOT OLD.created_at OR NEW.submitted_by IS NOT OLD.submitted_by
	OR NEW.submitted_at IS NOT OLD.submitted_at OR NEW.approved_at IS NOT OLD.approved_at
	OR (OLD.status = 'superseded' AND NEW.superseded_at IS NOT OLD.superseded_at))
BEGIN SELECT RAISE(ABORT, 'plan version is approved and immutable'); END;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
WHEN OLD.status <> 'draft'
BEGIN SELECT RAISE(ABORT, 'only a draft plan version can be deleted'); END;

CREATE TABLE plan_sections (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	version_id INTEGER NOT NULL REFERENCES plan_versions(id),
	key TEXT NOT NULL,
	position INTEGER NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',          -- Markdown
	data TEXT,                              -- JSON, for the structured sections
	UNIQUE (version_id, key)
) STRICT;
CREATE TRIGGER plan_sections_frozen_ins BEFORE INSERT ON plan_sections
WHEN (SELECT status FROM plan_versions WHERE id = NEW.version_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, 'plan version is not a draft: its sections are immutable'); END;
CREATE TRIGGER plan_sections_frozen_upd BEFORE UPDATE ON plan_sections
WHEN (SELECT status FROM plan_versions WHERE id = OLD.version_id) IS NOT 'draft'
	OR NEW.version_id IS NOT OLD.version_id
BEGIN SELECT RAISE(ABORT, 'plan version is not a draft: its sections are immutable'); END;
CREATE TRIGGER plan_sections_frozen_del BEFORE DELETE ON plan_sections
WHEN (SELECT status FROM plan_versions WHERE id = OLD.version_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, 'plan version is not a draft: its sections are immutable'); END;

CREATE TABLE plan_approvals (
	id INTEGER PRIMARY KEY,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	version_id INTEGER NOT NULL REFERENCES plan_versions(id),
	user_id INTEGER NOT NULL REFERENCES users(id),
	approver TEXT NOT NULL,                 -- e-mail at the time
	approver_name TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	approved_at INTEGER NOT NULL,
	UNIQUE (version_id, user_id)
) STRICT;
CREATE TRIGGER plan_approvals_ins BEFORE INSERT ON plan_approvals
WHEN (SELECT status FROM plan_versions WHERE id = NEW.version_id) IS NOT 'in_review'
BEGIN SELECT RAISE(ABORT, 'only a plan version in review can be approved'); END;
CREATE TRIGGER plan_approvals_upd BEFORE UPDATE ON plan_approvals
BEGIN SELECT RAISE(ABORT, 'approvals are immutable'); END;
CREATE TRIGGER plan_approvals_del BEFORE DELETE ON plan_approvals
WHEN (SELECT status FROM plan_versions WHERE id = OLD.version_id) IS NOT 'in_review'
BEGIN SELECT RAISE(ABORT, 'approvals of an approved plan version are immutable'); END;

CREATE TABLE plan_attestations (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	version_id INTEGER NOT NULL REFERENCES plan_versions(id),
	user_id INTEGER NOT NULL REFERENCES users(id),
	attested_at INTEGER NOT NULL,
	PRIMARY KEY (version_id, user_id)
) STRICT;
CREATE TRIGGER plan_attestations_ins BEFORE INSERT ON plan_attestations
WHEN (SELECT status FROM plan_versions WHERE id = NEW.version_id) IS NOT 'approved'
BEGIN SELECT RAISE(ABORT, 'only the plan version in force can be attested'); END;
