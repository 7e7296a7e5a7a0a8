-- The full incident record (issue 4). JSON field names in the API are the
-- column names; list-valued fields are JSON arrays stored as TEXT.
ALTER TABLE incidents ADD COLUMN category TEXT;            -- sirt category (playbooks), e.g. malware
ALTER TABLE incidents ADD COLUMN attack_vector TEXT;       -- NIST/CISA attack vector
ALTER TABLE incidents ADD COLUMN veris_action TEXT;        -- VERIS action: hacking, malware, social, ...
ALTER TABLE incidents ADD COLUMN resolution TEXT;          -- fixed, mitigated, accepted_risk, false_positive, duplicate, ...
ALTER TABLE incidents ADD COLUMN resolution_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN root_cause_category TEXT;
ALTER TABLE incidents ADD COLUMN occurred_at BIGINT;
ALTER TABLE incidents ADD COLUMN aware_at BIGINT;
ALTER TABLE incidents ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE incidents ADD COLUMN contained_at BIGINT;
ALTER TABLE incidents ADD COLUMN resolved_at BIGINT;
ALTER TABLE incidents ADD COLUMN closed_at BIGINT;
ALTER TABLE incidents ADD COLUMN reporter TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN commander_id BIGINT REFERENCES users(id);
ALTER TABLE incidents ADD COLUMN affected_systems TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN affected_customers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN data_types TEXT NOT NULL DEFAULT '[]';
ALTER TABLE incidents ADD COLUMN personal_data BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN impact_functional TEXT;     -- none, low, medium, high
ALTER TABLE incidents ADD COLUMN impact_information TEXT;    -- none, privacy, proprietary, integrity
ALTER TABLE incidents ADD COLUMN impact_recoverability TEXT; -- regular, supplemented, extended, not_recoverable
ALTER TABLE incidents ADD COLUMN tlp TEXT NOT NULL DEFAULT 'amber';  -- clear, green, amber, amber+strict, red
ALTER TABLE incidents ADD COLUMN plan_version TEXT;          -- IR plan version in force when opened
ALTER TABLE incidents ADD COLUMN reject_reason TEXT;         -- false_positive, duplicate
ALTER TABLE incidents ADD COLUMN duplicate_of BIGINT REFERENCES incidents(id);
ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'; -- manual, alert, import
ALTER TABLE incidents ADD COLUMN external_ref TEXT;          -- import identity (e.g. VERIS incident_id)

CREATE UNIQUE INDEX incidents_external_ref ON incidents(org_id, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX incidents_org_category ON incidents(org_id, category, created_at DESC, id DESC);
CREATE INDEX incidents_org_commander ON incidents(org_id, commander_id, created_at DESC, id DESC);
CREATE INDEX incidents_org_personal ON incidents(org_id, personal_data, created_at DESC, id DESC);
CREATE INDEX incidents_org_detected ON incidents(org_id, detected_at DESC, id DESC);
CREATE INDEX incidents_org_resolved ON incidents(org_id, resolved_at DESC, id DESC);

CREATE TABLE incident_assignees (
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_assignees_user ON incident_assignees(user_id, incident_id);

CREATE TABLE incident_tags (
	org_id BIGINT NOT NULL,
	incident_id BIGINT NOT NULL REFERENCES incidents(id),
	tag TEXT NOT NULL,
	PRIMARY KEY (incident_id, tag)
);
CREATE INDEX incident_tags_tag ON incident_tags(org_id, tag, incident_id);

CREATE TABLE incident_links (
	org_id BIGINT NOT NULL,
	from_id BIGINT NOT NULL REFERENCES incidents(id),
	to_id BIGINT NOT NULL REFERENCES incidents(id),
	kind TEXT NOT NULL DEFAULT 'related',  -- related, duplicate_of, caused_by
	created_at BIGINT NOT NULL,
	PRIMARY KEY (from_id, to_id)
);
