-- Issue 4: full-text search over title, description, timeline text and
-- indicators: a generated tsvector per table (computed in the same
-- statement as every write) with a GIN index each. The 'simple'
-- configuration: no stemming, no stop words, like the SQLite tokenizer.
-- A search term matches an incident when it occurs in any of the three;
-- several terms must all match the same incident (see incident_list()).
ALTER TABLE incidents ADD COLUMN search tsvector
	GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED;
CREATE INDEX incidents_search ON incidents USING GIN (search);

ALTER TABLE incident_timeline ADD COLUMN search tsvector
	GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
CREATE INDEX incident_timeline_search ON incident_timeline USING GIN (search);

ALTER TABLE incident_indicators ADD COLUMN search tsvector
	GENERATED ALWAYS AS (to_tsvector('simple', value || ' ' || description)) STORED;
CREATE INDEX incident_indicators_search ON incident_indicators USING GIN (search);
