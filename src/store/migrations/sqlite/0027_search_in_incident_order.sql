-- Issue 4, search at scale: the timeline and indicator full-text indexes
-- are keyed in incident order, so a search walks its matches newest
-- incident first and stops after a page instead of collecting every match
-- (a word found in most of 10,000,000 timeline entries took seconds).
-- Each row gets a search key: its incident's id times 2^24 plus its place
-- among that incident's rows (incident_id = search_key >> 24). The FTS5
-- tables become contentless (content=''): rowid = search key, nothing read
-- back from them but rowids; the store writes and removes their entries
-- with the row's values (incident_fts.c).
ALTER TABLE incident_timeline ADD COLUMN search_key INTEGER
	CHECK (search_key IS NULL OR search_key >> 24 = incident_id);
DROP TRIGGER incident_timeline_no_update;
UPDATE incident_timeline SET search_key = k.key
	FROM (SELECT id, (incident_id << 24) + row_number() OVER (PARTITION BY incident_id ORDER BY id) - 1
	      AS key FROM incident_timeline) k
	WHERE k.id = incident_timeline.id;
CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;
CREATE UNIQUE INDEX incident_timeline_search_key ON incident_timeline(search_key);

ALTER TABLE incident_indicators ADD COLUMN search_key INTEGER
	CHECK (search_key IS NULL OR search_key >> 24 = incident_id);
UPDATE incident_indicators SET search_key = k.key
	FROM (SELECT id, (incident_id << 24) + row_number() OVER (PARTITION BY incident_id ORDER BY id) - 1
	      AS key FROM incident_indicators) k
	WHERE k.id = incident_indicators.id;
CREATE UNIQUE INDEX incident_indicators_search_key ON incident_indicators(search_key);

DROP TABLE timeline_fts;
CREATE VIRTUAL TABLE timeline_fts USING fts5(text, content='',
	tokenize='unicode61 remove_diacritics 2');
INSERT INTO timeline_fts(rowid, text) SELECT search_key, text FROM incident_timeline;

DROP TABLE indicators_fts;
CREATE VIRTUAL TABLE indicators_fts USING fts5(value, description, content='',
	tokenize='unicode61 remove_diacritics 2');
INSERT INTO indicators_fts(rowid, value, description)
	SELECT search_key, value, description FROM incident_indicators;
