#include "store/review_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"

void op_reset(struct op_result *r)
{
	r->why[0] = '\0';
	json_decref(r->errors);
	r->errors = NULL;
}

void op_free(struct op_result *r)
{
	json_decref(r->errors);
	r->errors = NULL;
}

int op_fail(struct op_result *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return code;
}

int op_field(struct op_result *r, const char *field, const char *msg)
{
	if (!r->errors)
		r->errors = json_array();
	json_array_append_new(r->errors, json_pack("{s:s, s:s}", "field", field, "message", msg));
	if (!r->why[0])
		snprintf(r->why, sizeof(r->why), "%s %s", field, msg);
	return SIRT_EINVAL;
}

json_t *rs_time(const struct db_res *res, int col)
{
	if (db_isnull(res, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(res, col), buf);
	return json_string(buf);
}

void rs_date_str(int64_t t, char out[16])
{
	int64_t y;
	unsigned m, d;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	time_civil_from_days(days, &y, &m, &d);
	snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}

json_t *rs_date(const struct db_res *res, int col)
{
	if (db_isnull(res, col))
		return json_null();
	char buf[16];
	rs_date_str(db_int(res, col), buf);
	return json_string(buf);
}

json_t *rs_json(const struct db_res *res, int col, bool object)
{
	const char *s = db_text(res, col);
	json_t *v = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (v && (object ? json_is_object(v) : json_is_array(v)))
		return v;
	json_decref(v);
	return object ? json_object() : json_array();
}

const char *rs_text(const struct db_res *res, int col)
{
	const char *s = db_text(res, col);
	return s ? s : "";
}

#define INC_COLS                                                                            \
	"id, uid, key, title, severity, status, category, resolution, occurred_at,"          \
	" detected_at, aware_at, acknowledged_at, contained_at, resolved_at, closed_at"

static int64_t int_or_zero(const struct db_res *r, int col)
{
	return db_isnull(r, col) ? 0 : db_int(r, col);
}

static void fill_incident(const struct db_res *r, struct rs_incident *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_int(r, 0);
	snprintf(o->uid, sizeof(o->uid), "%s", rs_text(r, 1));
	snprintf(o->key, sizeof(o->key), "%s", rs_text(r, 2));
	snprintf(o->title, sizeof(o->title), "%s", rs_text(r, 3));
	snprintf(o->severity, sizeof(o->severity), "%s", rs_text(r, 4));
	snprintf(o->status, sizeof(o->status), "%s", rs_text(r, 5));
	snprintf(o->category, sizeof(o->category), "%s", rs_text(r, 6));
	const char *res = db_text(r, 7);
	o->has_resolution = res && *res;
	o->times.occurred_at = int_or_zero(r, 8);
	o->times.detected_at = int_or_zero(r, 9);
	o->times.aware_at = int_or_zero(r, 10);
	o->times.acknowledged_at = int_or_zero(r, 11);
	o->times.contained_at = int_or_zero(r, 12);
	o->times.resolved_at = int_or_zero(r, 13);
	o->times.closed_at = int_or_zero(r, 14);
}

int rs_incident_find(struct db *db, int64_t org_id, const char *ref, struct rs_incident *out)
{
	struct db_res *r;
	if (!ref || !*ref || strlen(ref) > 64)
		return SIRT_ENOTFOUND;
	int rc = db_query(db, &r,
			  "SELECT " INC_COLS " FROM incidents WHERE org_id = $1 AND (uid = $2 OR key = $2)",
			  2, DBV(DB_INT(org_id), DB_TEXT(ref)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		fill_incident(r, out);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int rs_incident_by_id(struct db *db, int64_t org_id, int64_t id, struct rs_incident *out)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " INC_COLS " FROM incidents WHERE org_id = $1 AND id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		fill_incident(r, out);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

json_t *rs_incident_json(const struct rs_incident *in)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", in->uid, "key", in->key, "title",
			      in->title, "severity", in->severity, "status", in->status);
	json_object_set_new(o, "category", in->category[0] ? json_string(in->category) : json_null());
	return o;
}

bool rs_table_exists(struct db *db, const char *table, const char *const *cols)
{
	struct db_res *r;
	int64_t n = 0;
	int rc;
	if (db_is_postgres(db))
		rc = db_query_int(db, &n,
				  "SELECT count(*) FROM information_schema.tables"
				  " WHERE table_schema = current_schema() AND table_name = $1",
				  1, DBV(DB_TEXT(table)));
	else
		rc = db_query_int(db, &n,
				  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
				  1, DBV(DB_TEXT(table)));
	if (rc < 0 || n == 0)
		return false;
	if (!cols)
		return true;
	for (const char *const *c = cols; *c; c++) {
		if (db_is_postgres(db))
			rc = db_query(db, &r,
				      "SELECT 1 FROM information_schema.columns WHERE table_schema ="
				      " current_schema() AND table_name = $1 AND column_name = $2",
				      2, DBV(DB_TEXT(table), DB_TEXT(*c)));
		else
			rc = db_query(db, &r, "SELECT 1 FROM pragma_table_info($1) WHERE name = $2", 2,
				      DBV(DB_TEXT(table), DB_TEXT(*c)));
		if (rc < 0)
			return false;
		bool found = db_next(r);
		db_res_free(r);
		if (!found)
			return false;
	}
	return true;
}

void rs_user_name(struct db *db, int64_t org_id, const char *email, char *out, size_t n)
{
	struct db_res *r;
	out[0] = '\0';
	if (!email || db_query(db, &r,
			       "SELECT u.display_name FROM users u JOIN memberships m ON m.user_id = u.id"
			       " WHERE m.org_id = $1 AND u.email = $2",
			       2, DBV(DB_INT(org_id), DB_TEXT(email))) < 0)
		return;
	if (db_next(r))
		snprintf(out, n, "%s", rs_text(r, 0));
	db_res_free(r);
}
