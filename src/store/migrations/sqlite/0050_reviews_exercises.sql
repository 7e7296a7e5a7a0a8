-- Post-incident reviews, action items, exercises, quality reviews,
-- organisational changes and the per-organisation compliance mapping
-- (issue 7). Plan versions and team members are referenced loosely (id and
-- label text, names and e-mails) so this area does not depend on the plan
-- and team tables. Times are epoch seconds; dates are midnight UTC.

CREATE TABLE pir_reviews (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	incident_id INTEGER NOT NULL REFERENCES incidents(id),
	revision INTEGER NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('draft','in_review','published','superseded')),
	content TEXT NOT NULL DEFAULT '{}',      -- the sections, JSON
	facts TEXT,                              -- frozen when published, JSON
	author TEXT NOT NULL,
	required_signoffs INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	submitted_at INTEGER,
	published_at INTEGER,
	superseded_at INTEGER,
	version INTEGER NOT NULL DEFAULT 1,
	UNIQUE (incident_id, revision)
) STRICT;
CREATE INDEX pir_reviews_org_status ON pir_reviews(org_id, status, published_at);
CREATE UNIQUE INDEX pir_reviews_one_open ON pir_reviews(incident_id)
	WHERE status IN ('draft','in_review');
-- A published revision's text and facts never change (superseding it only
-- sets status and superseded_at).
CREATE TRIGGER pir_reviews_published_immutable BEFORE UPDATE ON pir_reviews
WHEN OLD.status IN ('published','superseded')
 AND (NEW.content IS NOT OLD.content OR NEW.facts IS NOT OLD.facts
      OR NEW.published_at IS NOT OLD.published_at OR NEW.status NOT IN ('published','superseded'))
BEGIN SELECT RAISE(ABORT, 'a published review is immutable'); END;

CREATE TABLE pir_signoffs (
	review_id INTEGER NOT NULL REFERENCES pir_reviews(id),
	org_id INTEGER NOT NULL,
	reviewer TEXT NOT NULL,                  -- e-mail of the signing user
	name TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	signed_at INTEGER NOT NULL,
	PRIMARY KEY (review_id, reviewer)
) STRICT;

CREATE TABLE action_items (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	source_type TEXT NOT NULL CHECK (source_type IN ('review','exercise','quality_review')),
	source_id TEXT NOT NULL,                 -- uid of the review, exercise or quality review
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL,                     -- user e-mail or team member name
	due_date INTEGER NOT NULL,
	priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low','medium','high','critical')),
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','in_progress','done','wont_do')),
	verification_note TEXT NOT NULL DEFAULT '',
	done_at INTEGER,
	plan_version_id TEXT,                    -- the plan revision it caused (loose reference)
	plan_version_label TEXT,
	plan_linked_at INTEGER,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX action_items_org_status_due ON action_items(org_id, status, due_date, id);
CREATE INDEX action_items_org_due ON action_items(org_id, due_date, id);
CREATE INDEX action_items_source ON action_items(org_id, source_type, source_id);
CREATE INDEX action_items_plan_link ON action_items(org_id, plan_linked_at);

CREATE TABLE exercises (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	kind TEXT NOT NULL CHECK (kind IN ('tabletop','simulation','full_scale')),
	title TEXT NOT NULL,
	scheduled_at INTEGER NOT NULL,
	duration_minutes INTEGER,
	status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','held','cancelled')),
	held_at INTEGER,
	scenario TEXT NOT NULL DEFAULT '',
	objectives TEXT NOT NULL DEFAULT '[]',
	injects TEXT NOT NULL DEFAULT '[]',
	observations TEXT NOT NULL DEFAULT '',
	findings TEXT NOT NULL DEFAULT '[]',
	lessons_learned TEXT NOT NULL DEFAULT '',
	facilitator TEXT NOT NULL DEFAULT '',
	plan_version_id TEXT,
	plan_version_label TEXT,
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX exercises_org_status ON exercises(org_id, status, scheduled_at);
CREATE INDEX exercises_org_scheduled ON exercises(org_id, scheduled_at, id);

CREATE TABLE exercise_participants (
	exercise_id INTEGER NOT NULL REFERENCES exercises(id),
	org_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	email TEXT,
	role TEXT NOT NULL DEFAULT '',
	attended INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (exercise_id, seq)
) STRICT;
CREATE INDEX exercise_participants_email ON exercise_participants(org_id, email);

CREATE TABLE org_changes (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL DEFAULT 'other',
	changed_on INTEGER NOT NULL,
	recorded_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX org_changes_org ON org_changes(org_id, changed_on);

CREATE TABLE quality_reviews (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	subject TEXT NOT NULL CHECK (subject IN ('plan','team','playbooks','clocks')),
	reason TEXT NOT NULL DEFAULT 'scheduled'
		CHECK (reason IN ('scheduled','organisational_change','incident','exercise','other')),
	org_change_id INTEGER REFERENCES org_changes(id),
	due_date INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','cancelled')),
	reviewer TEXT NOT NULL DEFAULT '',
	reviewed_on INTEGER,
	outcome TEXT CHECK (outcome IS NULL OR outcome IN ('pass','changes_required')),
	notes TEXT NOT NULL DEFAULT '',
	changes TEXT NOT NULL DEFAULT '[]',
	created_by TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX quality_reviews_org_subject ON quality_reviews(org_id, subject, status, reviewed_on);
CREATE INDEX quality_reviews_org_due ON quality_reviews(org_id, status, due_date, id);

CREATE TABLE quality_review_cadence (
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	subject TEXT NOT NULL CHECK (subject IN ('plan','team','playbooks','clocks')),
	every_days INTEGER NOT NULL CHECK (every_days BETWEEN 1 AND 3660),
	PRIMARY KEY (org_id, subject)
) STRICT;

CREATE TABLE compliance_mappings (
	org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
	document TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Metrics group incidents by the time they were detected (created when
-- unknown); one range scan per organisation.
CREATE INDEX incidents_org_period ON incidents(org_id, (COALESCE(detected_at, created_at)));
