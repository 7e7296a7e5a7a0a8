-- Import and export of the incident log (issue 4, point 8).
-- The VERIS document an incident was imported from, so that exporting it
-- back keeps what sirt has no column for (actor, asset, victim, ...).
CREATE TABLE incident_veris (
	incident_id INTEGER PRIMARY KEY REFERENCES incidents(id),
	org_id INTEGER NOT NULL,
	doc TEXT NOT NULL
) STRICT;
-- Export walks an organisation's incidents in id order (keyset pages).
CREATE INDEX incidents_org_id ON incidents(org_id, id);
