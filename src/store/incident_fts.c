/*
 * SQLite full-text index maintenance for the incident log; on PostgreSQL
 * the generated tsvector columns do this and these are no-ops.
 *
 * incidents_fts is an external-content table over incidents (rowid = the
 * incident's id). timeline_fts and indicators_fts are contentless, keyed by
 * each row's search_key (incident id << 24 | the row's place among its
 * incident's rows; migration 0027) so their matches come out in incident
 * order (incident_search.c). Removing an entry needs the values it was
 * indexed with, so callers pass the old ones. The writes wait for the
 * transaction's commit (db_exec_at_commit: FTS5 would flush a segment per
 * savepoint otherwise).
 */
#include "store/incident_internal.h"

int incident_fts_record(struct db *db, int64_t id, const char *old_title, const char *old_desc,
			const char *title, const char *desc)
{
	if (db_is_postgres(db))
		return 0;
	int rc = 0;
	if (old_title)
		rc = db_exec_at_commit(db, "INSERT INTO incidents_fts(incidents_fts, rowid, title, description)"
				 " VALUES ('delete', $1, $2, $3)",
			     3, DBV(DB_INT(id), DB_TEXT(old_title), DB_TEXT(old_desc ? old_desc : "")));
	if (rc == 0 && title)
		rc = db_exec_at_commit(db, "INSERT INTO incidents_fts(rowid, title, description) VALUES ($1, $2, $3)",
			     3, DBV(DB_INT(id), DB_TEXT(title), DB_TEXT(desc ? desc : "")));
	return rc;
}

int incident_fts_timeline(struct db *db, int64_t search_key, const char *text)
{
	if (db_is_postgres(db))
		return 0;
	/* VALUES, not INSERT ... SELECT from the row: a statement that reads a
	 * table opens a statement transaction, and FTS5 flushes every table's
	 * pending terms at each one (40 us a create, bench/README.md) */
	return db_exec_at_commit(db, "INSERT INTO timeline_fts(rowid, text) VALUES ($1, $2)", 2,
				 DBV(DB_INT(search_key), DB_TEXT(text)));
}

int incident_fts_indicator(struct db *db, int64_t id, const char *old_value, const char *old_desc,
			   const char *value, const char *desc)
{
	if (db_is_postgres(db))
		return 0;
	int64_t key;
	int rc = db_query_int(db, &key, "SELECT search_key FROM incident_indicators WHERE id = $1", 1,
			      DBV(DB_INT(id)));
	if (rc < 0)
		return rc;
	if (old_value)
		rc = db_exec_at_commit(db, "INSERT INTO indicators_fts(indicators_fts, rowid, value, description)"
				 " VALUES ('delete', $1, $2, $3)",
			     3, DBV(DB_INT(key), DB_TEXT(old_value), DB_TEXT(old_desc ? old_desc : "")));
	if (rc == 0 && value)
		rc = db_exec_at_commit(db, "INSERT INTO indicators_fts(rowid, value, description) VALUES ($1, $2, $3)",
			     3, DBV(DB_INT(key), DB_TEXT(value), DB_TEXT(desc ? desc : "")));
	return rc;
}
