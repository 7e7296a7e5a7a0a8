#include "store/incident_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define INCIDENT_COLS                                                                      \
	"id, uid, key, title, description, severity, status, detected_at, created_at,"   \
	" updated_at, version, created_by"

static json_t *time_json(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

static json_t *row_to_json(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 1)));
	json_object_set_new(o, "key", json_string(db_text(r, 2)));
	json_object_set_new(o, "title", json_string(db_text(r, 3)));
	json_object_set_new(o, "description", json_string(db_text(r, 4)));
	json_object_set_new(o, "severity", json_string(db_text(r, 5)));
	json_object_set_new(o, "status", json_string(db_text(r, 6)));
	json_object_set_new(o, "detected_at", time_json(r, 7));
	json_object_set_new(o, "created_at", time_json(r, 8));
	json_object_set_new(o, "updated_at", time_json(r, 9));
	json_object_set_new(o, "version", json_integer(db_int(r, 10)));
	json_object_set_new(o, "created_by", json_string(db_text(r, 11)));
	return o;
}

int incident_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " INCIDENT_COLS " FROM incidents WHERE org_id = $1 AND uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = row_to_json(r);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int incident_create(struct db *db, const struct audit_ctx *ac, const struct incident_new *in,
		    json_t **out)
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
			      2, DBV(DB_INT(in->org_id), DB_INT(y)));
	if (rc < 0)
		return rc;
	char prefix[32] = "INC";
	struct db_res *r;
	rc = db_query(db, &r, "SELECT key_prefix FROM orgs WHERE id = $1", 1, DBV(DB_INT(in->org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r))
		snprintf(prefix, sizeof(prefix), "%s", db_text(r, 0));
	db_res_free(r);
	char key[64], uid[37];
	snprintf(key, sizeof(key), "%s-%04d-%04" PRId64, prefix, (int)y, seq);
	rand_uuid(uid);
	rc = db_query(db, &r,
		      "INSERT INTO incidents(uid, org_id, key, title, description, severity, status,"
		      " detected_at, created_at, updated_at, version, created_by)"
		      " VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $8, $8, 1, $9) RETURNING " INCIDENT_COLS,
		      9,
		      DBV(DB_TEXT(uid), DB_INT(in->org_id), DB_TEXT(key), DB_TEXT(in->title),
			  DB_TEXT(in->description ? in->description : ""), DB_TEXT(in->severity),
			  in->detected_at ? DB_INT(in->detected_at) : DB_NULL(), DB_INT(now),
			  DB_TEXT(in->created_by ? in->created_by : "")));
	if (rc < 0)
		return rc;
	json_t *rec = db_next(r) ? row_to_json(r) : NULL;
	db_res_free(r);
	if (!rec)
		return SIRT_EDB;
	json_t *det = json_pack("{s:s, s:s, s:s}", "key", key, "title", in->title, "severity",
				in->severity);
	rc = audit_append(db, ac, in->org_id, "incident.create", "incident", uid, det);
	json_decref(det);
	if (rc < 0) {
		json_decref(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

int incident_cursor_parse(const char *s, int64_t *created, int64_t *id)
{
	/* "<created>.<id>", both decimal */
	char *end;
	if (!s || !*s || strlen(s) > 40)
		return SIRT_EINVAL;
	long long c = strtoll(s, &end, 10);
	if (end == s || *end != '.' || c < 0)
		return SIRT_EINVAL;
	const char *p = end + 1;
	long long i = strtoll(p, &end, 10);
	if (end == p || *end || i <= 0)
		return SIRT_EINVAL;
	*created = c;
	*id = i;
	return 0;
}

int incident_list(struct db *db, int64_t org_id, const struct incident_filter *f, json_t **items,
		  char **next_cursor)
{
	/* SQL from fixed fragments only; every value is a bound parameter. */
	struct strbuf sql;
	sb_init(&sql, 4096);
	sb_puts(&sql, "SELECT " INCIDENT_COLS " FROM incidents WHERE org_id = $1");
	if (f->status)
		sb_puts(&sql, " AND status = $2");
	if (f->severity)
		sb_puts(&sql, " AND severity = $3");
	if (f->cursor_id)
		sb_puts(&sql, " AND (created_at, id) < ($4, $5)");
	sb_puts(&sql, " ORDER BY created_at DESC, id DESC LIMIT $6");
	struct db_res *r;
	int rc = db_query(db, &r, sb_str(&sql), 6,
			  DBV(DB_INT(org_id), DB_TEXT(f->status), DB_TEXT(f->severity),
			      DB_INT(f->cursor_created), DB_INT(f->cursor_id), DB_INT(f->limit + 1)));
	sb_free(&sql);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	int64_t last_created = 0, last_id = 0;
	*next_cursor = NULL;
	while (db_next(r)) {
		if (n == f->limit) {
			*next_cursor = xasprintf("%lld.%lld", (long long)last_created,
						 (long long)last_id);
			break;
		}
		json_array_append_new(arr, row_to_json(r));
		last_created = db_int(r, 8);
		last_id = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	*items = arr;
	return 0;
}

static const char *const patchable[] = {"title", "description", "severity", "detected_at", NULL};

int incident_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		    int64_t expect_version, json_t *patch, json_t **out)
{
	json_t *cur = NULL, *changes = NULL;
	int rc = incident_get(db, org_id, uid, &cur);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (expect_version && version != expect_version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	changes = json_object();
	for (const char *const *k = patchable; *k; k++) {
		json_t *nv = json_object_get(patch, *k);
		json_t *ov = json_object_get(cur, *k);
		if (!nv || json_equal(nv, ov))
			continue;
		json_object_set_new(changes, *k, json_pack("{s:O, s:O}", "from", ov, "to", nv));
	}
	if (json_object_size(changes) == 0) {
		*out = cur;
		cur = NULL;
		rc = 0;
		goto out;
	}
	int64_t det = 0;
	json_t *dv = json_object_get(patch, "detected_at");
	if (json_is_string(dv) && time_parse_iso8601(json_string_value(dv), &det) < 0) {
		rc = SIRT_EINVAL;
		goto out;
	}
	const char *title = json_string_value(json_object_get(patch, "title"));
	const char *desc = json_string_value(json_object_get(patch, "description"));
	const char *sev = json_string_value(json_object_get(patch, "severity"));
	rc = db_exec(db,
		     "UPDATE incidents SET title = COALESCE($3, title),"
		     " description = COALESCE($4, description), severity = COALESCE($5, severity),"
		     " detected_at = CASE WHEN $6 = 1 THEN $7 ELSE detected_at END,"
		     " updated_at = $8, version = version + 1"
		     " WHERE org_id = $1 AND uid = $2 AND version = $9",
		     9,
		     DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(title), DB_TEXT(desc), DB_TEXT(sev),
			 DB_INT(dv ? 1 : 0), det ? DB_INT(det) : DB_NULL(), DB_INT(time_now()),
			 DB_INT(version)));
	if (rc < 0)
		goto out;
	if (db_last_changes(db) != 1) {
		rc = SIRT_EPRECOND; /* changed by someone else between read and write */
		goto out;
	}
	rc = audit_append(db, ac, org_id, "incident.update", "incident", uid, changes);
	if (rc < 0)
		goto out;
	rc = incident_get(db, org_id, uid, out);
out:
	json_decref(cur);
	json_decref(changes);
	return rc;
}
