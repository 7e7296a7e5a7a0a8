#include "store/import_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/incident_internal.h"
#include "store/incident_store.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

enum col_kind { C_TEXT, C_LIST, C_BOOL, C_TIME };

struct col {
	const char *name;
	enum col_kind kind;
	const char *dflt; /* for NOT NULL text columns; NULL: nullable */
};

/* The record columns import writes and export reads, in this order. */
static const struct col cols[] = {
	{"title", C_TEXT, ""},
	{"description", C_TEXT, ""},
	{"severity", C_TEXT, "medium"},
	{"status", C_TEXT, "new"},
	{"category", C_TEXT, NULL},
	{"attack_vector", C_TEXT, NULL},
	{"veris_action", C_TEXT, NULL},
	{"resolution", C_TEXT, NULL},
	{"resolution_summary", C_TEXT, ""},
	{"root_cause_category", C_TEXT, NULL},
	{"occurred_at", C_TIME, NULL},
	{"detected_at", C_TIME, NULL},
	{"aware_at", C_TIME, NULL},
	{"acknowledged_at", C_TIME, NULL},
	{"contained_at", C_TIME, NULL},
	{"resolved_at", C_TIME, NULL},
	{"closed_at", C_TIME, NULL},
	{"reporter", C_TEXT, ""},
	{"affected_systems", C_LIST, "[]"},
	{"affected_customers", C_LIST, "[]"},
	{"data_types", C_LIST, "[]"},
	{"personal_data", C_BOOL, NULL},
	{"impact_functional", C_TEXT, NULL},
	{"impact_information", C_TEXT, NULL},
	{"impact_recoverability", C_TEXT, NULL},
	{"tlp", C_TEXT, "amber"},
	{"plan_version", C_TEXT, NULL},
	{"reject_reason", C_TEXT, NULL},
	{"source", C_TEXT, "import"},
	{"external_ref", C_TEXT, NULL},
};
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

#define COL_LIST                                                                              \
	"title, description, severity, status, category, attack_vector, veris_action, resolution," \
	" resolution_summary, root_cause_category, occurred_at, detected_at, aware_at,"            \
	" acknowledged_at, contained_at, resolved_at, closed_at, reporter, affected_systems,"      \
	" affected_customers, data_types, personal_data, impact_functional, impact_information,"   \
	" impact_recoverability, tlp, plan_version, reject_reason, source, external_ref"

int import_exists(struct db *db, int64_t org_id, const char *external_ref, bool *exists)
{
	int64_t one;
	int rc = db_query_int(db, &one,
			      "SELECT 1 FROM incidents WHERE org_id = $1 AND external_ref = $2", 2,
			      DBV(DB_INT(org_id), DB_TEXT(external_ref)));
	*exists = rc == 0;
	return rc == SIRT_ENOTFOUND ? 0 : rc;
}

int import_create_incident(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   json_t *rec, json_t *veris_doc, const char *created_by,
			   const char *format, char uid_out[37])
{
	int64_t now = time_now();
	int64_t y;
	unsigned m, d;
	time_civil_from_days(now / 86400, &y, &m, &d);
	int64_t seq;
	int rc = db_query_int(db, &seq,
			      "INSERT INTO incident_counters(org_id, year, next_seq) VALUES ($1, $2, 2)"
			      " ON CONFLICT (org_id, year) DO UPDATE"
			      " SET next_seq = incident_counters.next_seq + 1 RETURNING next_seq - 1",
			      2, DBV(DB_INT(org_id), DB_INT(y)));
	if (rc < 0)
		return rc;
	char prefix[32] = "INC";
	struct db_res *r;
	rc = db_query(db, &r, "SELECT key_prefix FROM orgs WHERE id = $1", 1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r))
		snprintf(prefix, sizeof(prefix), "%s", db_text(r, 0));
	db_res_free(r);
	char key[64], uid[37];
	snprintf(key, sizeof(key), "%s-%04d-%04" PRId64, prefix, (int)y, seq);
	rand_uuid(uid);

	struct db_val v[NCOLS + 7];
	char *owned[NCOLS];
	int nowned = 0;
	for (int i = 0; i < NCOLS; i++) {
		json_t *x = json_object_get(rec, cols[i].name);
		switch (cols[i].kind) {
		case C_TEXT: {
			const char *s = json_string_value(x);
			v[i] = DB_TEXT(s ? s : cols[i].dflt);
			break;
		}
		case C_LIST: {
			char *s = json_is_array(x) ? json_dumps(x, JSON_COMPACT) : NULL;
			if (s)
				owned[nowned++] = s;
			v[i] = DB_TEXT(s ? s : "[]");
			break;
		}
		case C_BOOL:
			v[i] = DB_INT(json_is_true(x) ? 1 : 0);
			break;
		case C_TIME: {
			int64_t t;
			const char *s = json_string_value(x);
			v[i] = s && time_parse_iso8601(s, &t) == 0 ? DB_INT(t) : DB_NULL();
			break;
		}
		}
	}
	v[NCOLS + 0] = DB_TEXT(uid);
	v[NCOLS + 1] = DB_INT(org_id);
	v[NCOLS + 2] = DB_TEXT(key);
	v[NCOLS + 3] = DB_INT(now);
	v[NCOLS + 4] = DB_TEXT(created_by ? created_by : "");
	int64_t id;
	rc = db_query_int(db, &id,
			  "INSERT INTO incidents(" COL_LIST ", uid, org_id, key, created_at, updated_at,"
			  " version, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
			  " $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,"
			  " $27, $28, $29, $30, $31, $32, $33, $34, $34, 1, $35) RETURNING id",
			  NCOLS + 5, v);
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	if (rc < 0)
		return db_last_was_constraint(db) ? SIRT_ECONFLICT : rc;
	/* the search index (SQLite; PostgreSQL computes its own) */
	rc = incident_fts_record(db, id, NULL, NULL, json_string_value(json_object_get(rec, "title")),
				 json_string_value(json_object_get(rec, "description")));
	if (rc < 0)
		return rc;
	json_t *tags = json_object_get(rec, "tags");
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		rc = db_exec(db,
			     "INSERT INTO incident_tags(org_id, incident_id, tag) VALUES ($1, $2, $3)"
			     " ON CONFLICT DO NOTHING",
			     3, DBV(DB_INT(org_id), DB_INT(id), DB_TEXT(json_string_value(t))));
		if (rc < 0)
			return rc;
	}
	if (veris_doc) {
		char *s = json_dumps(veris_doc, JSON_COMPACT | JSON_SORT_KEYS);
		rc = db_exec(db, "INSERT INTO incident_veris(incident_id, org_id, doc) VALUES ($1, $2, $3)",
			     3, DBV(DB_INT(id), DB_INT(org_id), DB_TEXT(s)));
		free(s);
		if (rc < 0)
			return rc;
	}
	json_t *det = json_pack("{s:s, s:s, s:s, s:s?}", "key", key, "title",
				json_string_value(json_object_get(rec, "title")), "format", format,
				"external_ref",
				json_string_value(json_object_get(rec, "external_ref")));
	rc = incident_timeline_system(db, ac, org_id, id,
				      strcmp(format, "veris") == 0 ? "Incident imported from VERIS"
								   : "Incident imported from CSV",
				      det);
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "incident.import", "incident", uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	memcpy(uid_out, uid, 37);
	return 0;
}

int import_find_org(struct db *db, const char *name, int64_t *org_id, char *org_name,
		    size_t org_name_len)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, name FROM orgs WHERE CAST($1 AS TEXT) IS NULL OR name = $1"
			  " ORDER BY id LIMIT 2",
			  1, DBV(DB_TEXT(name)));
	if (rc < 0)
		return rc;
	int n = 0;
	while (db_next(r)) {
		if (n++ == 0) {
			*org_id = db_int(r, 0);
			snprintf(org_name, org_name_len, "%s", db_text(r, 1));
		}
	}
	db_res_free(r);
	if (n == 0)
		return SIRT_ENOTFOUND;
	return n > 1 ? SIRT_EINVAL : 0;
}

int export_count(struct db *db, int64_t org_id, int64_t *n)
{
	return db_query_int(db, n, "SELECT count(*) FROM incidents WHERE org_id = $1", 1,
			    DBV(DB_INT(org_id)));
}

static json_t *time_json(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

int export_page(struct db *db, int64_t org_id, int64_t after_id, int limit, bool want_veris,
		json_t **rows, int64_t *last_id)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT i.id, i.uid, i.key, i.created_at, i.updated_at, i.version,"
			  " i.created_by, u.email, " COL_LIST
			  " FROM incidents i LEFT JOIN users u ON u.id = i.commander_id"
			  " WHERE i.org_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3",
			  3, DBV(DB_INT(org_id), DB_INT(after_id), DB_INT(limit)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int64_t first = 0, last = after_id;
	while (db_next(r)) {
		json_t *o = json_object();
		last = db_int(r, 0);
		if (!first)
			first = last;
		json_object_set_new(o, "_rowid", json_integer(last));
		json_object_set_new(o, "key", json_string(db_text(r, 2)));
		json_object_set_new(o, "id", json_string(db_text(r, 1)));
		for (int i = 0; i < NCOLS; i++) {
			int c = 8 + i;
			json_t *x;
			switch (cols[i].kind) {
			case C_TEXT:
				x = db_isnull(r, c) ? json_null() : json_string(db_text(r, c));
				break;
			case C_LIST: {
				const char *s = db_text(r, c);
				x = s ? json_loads(s, 0, NULL) : NULL;
				if (!json_is_array(x)) {
					json_decref(x);
					x = json_array();
				}
				break;
			}
			case C_BOOL: x = json_boolean(db_int(r, c) != 0); break;
			default: x = time_json(r, c); break;
			}
			json_object_set_new(o, cols[i].name, x);
		}
		json_object_set_new(o, "commander", db_isnull(r, 7) ? json_null() : json_string(db_text(r, 7)));
		json_object_set_new(o, "tags", json_array());
		json_object_set_new(o, "created_at", time_json(r, 3));
		json_object_set_new(o, "updated_at", time_json(r, 4));
		json_object_set_new(o, "version", json_integer(db_int(r, 5)));
		json_object_set_new(o, "created_by", json_string(db_text(r, 6)));
		json_array_append_new(arr, o);
	}
	db_res_free(r);
	if (json_array_size(arr) == 0) {
		*rows = arr;
		*last_id = after_id;
		return 0;
	}
	/* tags and VERIS originals of the page: one range query each */
	size_t idx = 0;
	rc = db_query(db, &r,
		      "SELECT incident_id, tag FROM incident_tags WHERE org_id = $1"
		      " AND incident_id >= $2 AND incident_id <= $3 ORDER BY incident_id, tag",
		      3, DBV(DB_INT(org_id), DB_INT(first), DB_INT(last)));
	if (rc < 0)
		goto fail;
	while (db_next(r)) {
		int64_t iid = db_int(r, 0);
		while (idx < json_array_size(arr) &&
		       json_integer_value(json_object_get(json_array_get(arr, idx), "_rowid")) < iid)
			idx++;
		json_t *o = json_array_get(arr, idx);
		if (o && json_integer_value(json_object_get(o, "_rowid")) == iid)
			json_array_append_new(json_object_get(o, "tags"), json_string(db_text(r, 1)));
	}
	db_res_free(r);
	if (want_veris) {
		idx = 0;
		rc = db_query(db, &r,
			      "SELECT incident_id, doc FROM incident_veris WHERE org_id = $1"
			      " AND incident_id >= $2 AND incident_id <= $3 ORDER BY incident_id",
			      3, DBV(DB_INT(org_id), DB_INT(first), DB_INT(last)));
		if (rc < 0)
			goto fail;
		while (db_next(r)) {
			int64_t iid = db_int(r, 0);
			while (idx < json_array_size(arr) &&
			       json_integer_value(json_object_get(json_array_get(arr, idx), "_rowid")) <
				       iid)
				idx++;
			json_t *o = json_array_get(arr, idx);
			if (o && json_integer_value(json_object_get(o, "_rowid")) == iid)
				json_object_set_new(o, "_veris", json_loads(db_text(r, 1), 0, NULL));
		}
		db_res_free(r);
	}
	size_t k;
	json_t *o;
	json_array_foreach(arr, k, o)
		json_object_del(o, "_rowid");
	*rows = arr;
	*last_id = last;
	return 0;
fail:
	json_decref(arr);
	return rc;
}
