-- Issue 4: full-text search over title, description, timeline text and
-- indicators. Three FTS5 external-content tables over the real tables (no
-- copy of the text). The connection runs with trusted_schema off, which
-- forbids virtual tables inside triggers, so the store writes the index
-- entries itself, in the same transaction as each row (incident_fts.c).
-- A search term matches an incident when it occurs in any of the three;
-- several terms must all match the same incident (incident_search.c).
CREATE VIRTUAL TABLE incidents_fts USING fts5(title, description, content='incidents',
	content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE timeline_fts USING fts5(text, content='incident_timeline',
	content_rowid='id', tokenize='unicode61 remove_diacritics 2');

CREATE VIRTUAL TABLE indicators_fts USING fts5(value, description, content='incident_indicators',
	content_rowid='id', tokenize='unicode61 remove_diacritics 2');
