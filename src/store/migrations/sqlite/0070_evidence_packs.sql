-- Evidence packs built through the API (issue 9). The zip itself lives in
-- the data directory (packs/<uid>.zip); the row records who built it, for
-- which period, its size, SHA-256 and the freshness warnings.
CREATE TABLE evidence_packs (
	id INTEGER PRIMARY KEY,
	uid TEXT NOT NULL UNIQUE,
	org_id INTEGER NOT NULL REFERENCES orgs(id),
	period_from INTEGER NOT NULL,
	period_to INTEGER NOT NULL,
	framework TEXT NOT NULL CHECK (framework IN ('all','m365','soc2','iso27001')),
	status TEXT NOT NULL CHECK (status IN ('ready','failed')),
	file TEXT,                        -- relative to the data directory
	size INTEGER,
	sha256 TEXT,
	public_key TEXT,
	incidents INTEGER NOT NULL DEFAULT 0,
	reports INTEGER NOT NULL DEFAULT 0,
	warnings TEXT NOT NULL DEFAULT '[]',
	error TEXT,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX evidence_packs_org ON evidence_packs(org_id, created_at DESC, id DESC);
