#include "store/plan_store.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/plan_doc.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define VERSION_COLS                                                                          \
	"v.id, v.uid, v.number, v.status, v.title, v.approvals_required, v.review_months,"   \
	" v.approvers, v.reason, v.trigger_type, v.trigger_ref, v.note, b.uid, b.number,"    \
	" v.created_by, v.created_at, v.updated_at, v.submitted_by, v.submitted_at,"         \
	" v.approved_at, v.superseded_at, v.version, p.uid, v.submitted_by_user, v.plan_id"
#define VERSION_FROM                                                                          \
	" FROM plan_versions v JOIN plans p ON p.id = v.plan_id"                              \
	" LEFT JOIN plan_versions b ON b.id = v.based_on"

struct vrow {
	int64_t id, plan_id, number, approvals_required, review_months, version;
	int64_t submitted_by_user, approved_at;
	char uid[37], plan_uid[37], status[16];
};

static void fail(struct plan_err *e, int status, const char *fmt, ...) PRINTF(3, 4);
static json_t *tjson(const struct db_res *r, int col);
static int load_version(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
			struct vrow *out);
static int version_json(struct db *db, int64_t org_id, int64_t vid, bool full, json_t **out);
static int sections_json(struct db *db, int64_t vid, json_t **out);
static int in_force_data(struct db *db, int64_t org_id, const char *key, json_t **data);
static int touch_version(struct db *db, int64_t vid);
static int require_draft(const struct vrow *v, struct plan_err *e);
static int check_revision(struct db *db, int64_t org_id, const struct plan_revision *rev,
			  const char *prefix, struct plan_err *e);
static int insert_sections(struct db *db, int64_t org_id, int64_t vid, json_t *sections);

void plan_err_reset(struct plan_err *e)
{
	json_decref(e->errors);
	memset(e, 0, sizeof(*e));
}

static void fail(struct plan_err *e, int status, const char *fmt, ...)
{
	e->status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

static json_t *tjson(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

static json_t *tval(int64_t t)
{
	if (!t)
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	return json_string(buf);
}

static json_t *label_json(int64_t n)
{
	char l[24];
	snprintf(l, sizeof(l), "v%lld", (long long)n);
	return json_string(l);
}

int64_t plan_add_months(int64_t t, int months)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	int64_t mi = (int64_t)m - 1 + months;
	y += mi >= 0 ? mi / 12 : -((-mi + 11) / 12);
	mi = ((mi % 12) + 12) % 12;
	unsigned len = mdays[mi] + (mi == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d > len)
		d = len;
	return time_days_from_civil(y, (unsigned)mi + 1, d) * 86400 + secs;
}

/* ---------------- part 1 ---------------- */

int plan_in_force(struct db *db, int64_t org_id, struct plan_ref *out)
{
	memset(out, 0, sizeof(*out));
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT v.id, v.uid, v.number, v.approved_at, v.review_months, p.id, p.uid"
			  " FROM plan_versions v JOIN plans p ON p.id = v.plan_id"
			  " WHERE v.org_id = $1 AND v.status = 'approved'",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		out->version_id = db_int(r, 0);
		snprintf(out->version_uid, sizeof(out->version_uid), "%s", db_text(r, 1));
		out->number = (int)db_int(r, 2);
		snprintf(out->label, sizeof(out->label), "v%d", out->number);
		out->approved_at = db_int(r, 3);
		out->next_review_due = plan_add_months(out->approved_at, (int)db_int(r, 4));
		out->review_overdue = time_now() > out->next_review_due;
		out->plan_id = db_int(r, 5);
		snprintf(out->plan_uid, sizeof(out->plan_uid), "%s", db_text(r, 6));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

/* The data of a section of the version in force (new reference). */
static int in_force_data(struct db *db, int64_t org_id, const char *key, json_t **data)
{
	*data = NULL;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT s.data FROM plan_sections s JOIN plan_versions v ON v.id = s.version_id"
			  " WHERE v.org_id = $1 AND v.status = 'approved' AND s.key = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		const char *t = db_text(r, 0);
		*data = t ? json_loads(t, 0, NULL) : NULL;
		rc = *data ? 0 : SIRT_ENOTFOUND;
	}
	db_res_free(r);
	return rc;
}

int plan_severity_targets(struct db *db, int64_t org_id, const char *severity,
			  struct plan_target *out)
{
	memset(out, 0, sizeof(*out));
	json_t *d;
	int rc = in_force_data(db, org_id, "severities", &d);
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(d, "levels"), i, x) {
		const char *k = json_string_value(json_object_get(x, "key"));
		if (!k || !severity || strcmp(k, severity) != 0)
			continue;
		snprintf(out->severity, sizeof(out->severity), "%s", k);
		out->acknowledge_minutes = (int)json_integer_value(json_object_get(x, "acknowledge_minutes"));
		out->update_interval_minutes =
			(int)json_integer_value(json_object_get(x, "update_interval_minutes"));
		out->resolve_target_hours = (int)json_integer_value(json_object_get(x, "resolve_target_hours"));
		out->notify = json_deep_copy(json_object_get(x, "notify"));
		rc = 0;
		break;
	}
	json_decref(d);
	return rc;
}

int plan_playbook_tasks(struct db *db, int64_t org_id, const char *category, json_t **tasks)
{
	*tasks = NULL;
	json_t *d;
	int rc = in_force_data(db, org_id, "playbooks", &d);
	if (rc < 0)
		return rc;
	json_t *match = NULL, *fallback = NULL;
	size_t i, j;
	json_t *p, *c;
	json_array_foreach(json_object_get(d, "playbooks"), i, p) {
		json_array_foreach(json_object_get(p, "categories"), j, c) {
			const char *cat = json_string_value(c);
			if (category && !strcmp(cat, category))
				match = p;
			if (!strcmp(cat, "other"))
				fallback = p;
		}
	}
	if (!match)
		match = fallback;
	json_t *arr = json_array();
	json_array_foreach(json_object_get(match, "tasks"), i, p) {
		json_t *t = json_deep_copy(p);
		json_object_set(t, "playbook", json_object_get(match, "key"));
		json_array_append_new(arr, t);
	}
	json_decref(d);
	*tasks = arr;
	return 0;
}

int plan_escalation(struct db *db, int64_t org_id, const char *severity, json_t **levels)
{
	*levels = NULL;
	json_t *d;
	int rc = in_force_data(db, org_id, "escalation", &d);
	if (rc < 0)
		return rc;
	json_t *arr = NULL;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(d, "paths"), i, p) {
		const char *s = json_string_value(json_object_get(p, "severity"));
		if (severity && s && !strcmp(s, severity))
			arr = json_deep_copy(json_object_get(p, "levels"));
	}
	json_decref(d);
	*levels = arr ? arr : json_array();
	return 0;
}

static int sev_rank(const char *s)
{
	for (int i = 0; s && plan_severities[i]; i++)
		if (!strcmp(plan_severities[i], s))
			return i;
	return -1;
}

int plan_reporting(struct db *db, int64_t org_id, const char *category, const char *severity,
		   bool personal_data, json_t **reqs)
{
	*reqs = NULL;
	json_t *d;
	int rc = in_force_data(db, org_id, "reporting", &d);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	size_t i, j;
	json_t *x, *a;
	json_array_foreach(json_object_get(d, "requirements"), i, x) {
		bool cat_ok = !category;
		json_array_foreach(json_object_get(x, "applies_to"), j, a) {
			const char *s = json_string_value(a);
			if (!strcmp(s, "any") || (category && !strcmp(s, category)))
				cat_ok = true;
		}
		if (!cat_ok)
			continue;
		if (json_is_true(json_object_get(x, "personal_data_only")) && !personal_data)
			continue;
		const char *min = json_string_value(json_object_get(x, "min_severity"));
		int have = sev_rank(severity);
		if (min && have >= 0 && have > sev_rank(min))
			continue; /* ranks: 0 = critical ... 3 = low */
		json_array_append(arr, x);
	}
	json_decref(d);
	*reqs = arr;
	return 0;
}

/* ---------------- reading ---------------- */

/* Resolves a version reference within the org's plan. */
static int load_version(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
			struct vrow *out)
{
	memset(out, 0, sizeof(*out));
	int64_t num = 0;
	const char *p = vref && (vref[0] == 'v' || vref[0] == 'V') ? vref + 1 : vref;
	if (p && *p && strlen(p) <= 9 && strspn(p, "0123456789") == strlen(p))
		num = strtoll(p, NULL, 10);
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT v.id, v.plan_id, v.number, v.approvals_required, v.review_months,"
			  " v.version, v.submitted_by_user, v.approved_at, v.uid, p.uid, v.status"
			  " FROM plan_versions v JOIN plans p ON p.id = v.plan_id"
			  " WHERE v.org_id = $1 AND p.uid = $2 AND (v.uid = $3 OR v.number = $4)",
			  4, DBV(DB_INT(org_id), DB_TEXT(plan_uid), DB_TEXT(vref), DB_INT(num)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		out->id = db_int(r, 0);
		out->plan_id = db_int(r, 1);
		out->number = db_int(r, 2);
		out->approvals_required = db_int(r, 3);
		out->review_months = db_int(r, 4);
		out->version = db_int(r, 5);
		out->submitted_by_user = db_isnull(r, 6) ? 0 : db_int(r, 6);
		out->approved_at = db_isnull(r, 7) ? 0 : db_int(r, 7);
		snprintf(out->uid, sizeof(out->uid), "%s", db_text(r, 8));
		snprintf(out->plan_uid, sizeof(out->plan_uid), "%s", db_text(r, 9));
		snprintf(out->status, sizeof(out->status), "%s", db_text(r, 10));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

static int sections_json(struct db *db, int64_t vid, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT key, title, position, body, data FROM plan_sections"
			  " WHERE version_id = $1 ORDER BY position, key",
			  1, DBV(DB_INT(vid)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r)) {
		const char *d = db_text(r, 4);
		json_t *data = d ? json_loads(d, 0, NULL) : NULL;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s, s:o}", "key", db_text(r, 0),
						     "title", db_text(r, 1), "position",
						     (json_int_t)db_int(r, 2), "body", db_text(r, 3),
						     "data", data ? data : json_null()));
	}
	db_res_free(r);
	*out = arr;
	return 0;
}

/* The effective approvals needed: the stricter of this version's and the
 * version in force's setting, so a draft cannot lower the bar for itself. */
static int64_t approvals_needed(struct db *db, int64_t plan_id, int64_t own)
{
	int64_t f = 0;
	if (db_query_int(db, &f,
			 "SELECT approvals_required FROM plan_versions WHERE plan_id = $1"
			 " AND status = 'approved'",
			 1, DBV(DB_INT(plan_id))) < 0)
		f = 0;
	return f > own ? f : own;
}

static int version_json(struct db *db, int64_t org_id, int64_t vid, bool full, json_t **out)
{
	*out = NULL;
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " VERSION_COLS VERSION_FROM " WHERE v.org_id = $1 AND v.id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(vid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	json_t *o = json_object();
	int64_t number = db_int(r, 2), own_req = db_int(r, 5), months = db_int(r, 6);
	int64_t plan_id = db_int(r, 24);
	const char *status = db_text(r, 3);
	json_object_set_new(o, "id", json_string(db_text(r, 1)));
	json_object_set_new(o, "plan_id", json_string(db_text(r, 22)));
	json_object_set_new(o, "number", json_integer(number));
	json_object_set_new(o, "label", label_json(number));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "title", json_string(db_text(r, 4)));
	json_t *approvers = json_loads(db_text(r, 7), 0, NULL);
	json_object_set_new(o, "settings",
			    json_pack("{s:I, s:I, s:o}", "approvals_required", (json_int_t)own_req,
				      "review_interval_months", (json_int_t)months, "approvers",
				      approvers ? approvers : json_array()));
	json_t *trig = db_isnull(r, 9) ? json_null()
				       : json_pack("{s:s, s:s}", "type", db_text(r, 9), "ref",
						   db_text(r, 10) ? db_text(r, 10) : "");
	json_object_set_new(o, "revision", json_pack("{s:s, s:o, s:s}", "reason", db_text(r, 8),
						     "trigger", trig, "note", db_text(r, 11)));
	json_object_set_new(o, "based_on", db_isnull(r, 12) ? json_null()
				: json_pack("{s:s, s:o}", "id", db_text(r, 12), "label",
					    label_json(db_int(r, 13))));
	json_object_set_new(o, "created_by", json_string(db_text(r, 14)));
	json_object_set_new(o, "created_at", tjson(r, 15));
	json_object_set_new(o, "updated_at", tjson(r, 16));
	json_object_set_new(o, "submitted_by", db_isnull(r, 17) ? json_null() : json_string(db_text(r, 17)));
	json_object_set_new(o, "submitted_at", tjson(r, 18));
	json_object_set_new(o, "approved_at", tjson(r, 19));
	json_object_set_new(o, "superseded_at", tjson(r, 20));
	json_object_set_new(o, "version", json_integer(db_int(r, 21)));
	int64_t approved_at = db_isnull(r, 19) ? 0 : db_int(r, 19);
	bool in_force = !strcmp(status, "approved");
	db_res_free(r);
	if (approved_at) {
		int64_t due = plan_add_months(approved_at, (int)months);
		json_object_set_new(o, "next_review_due", tval(due));
		json_object_set_new(o, "review_overdue", json_boolean(in_force && time_now() > due));
	} else {
		json_object_set_new(o, "next_review_due", json_null());
		json_object_set_new(o, "review_overdue", json_false());
	}
	json_object_set_new(o, "in_force", json_boolean(in_force));
	json_object_set_new(o, "approvals_needed",
			    json_integer(approvals_needed(db, plan_id, own_req)));
	rc = db_query(db, &r,
		      "SELECT approver, approver_name, approved_at, comment FROM plan_approvals"
		      " WHERE version_id = $1 ORDER BY approved_at, id",
		      1, DBV(DB_INT(vid)));
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	json_t *ap = json_array();
	while (db_next(r))
		json_array_append_new(ap, json_pack("{s:s, s:s, s:o, s:s}", "approver", db_text(r, 0),
						    "name", db_text(r, 1), "approved_at", tjson(r, 2),
						    "comment", db_text(r, 3)));
	db_res_free(r);
	json_object_set_new(o, "approvals", ap);
	if (full) {
		json_t *secs;
		rc = sections_json(db, vid, &secs);
		if (rc < 0) {
			json_decref(o);
			return rc;
		}
		json_object_set_new(o, "sections", secs);
	}
	*out = o;
	return 0;
}

int plan_version_get(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
		     json_t **out)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_version_list(struct db *db, int64_t org_id, const char *plan_uid, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id"
			  " WHERE v.org_id = $1 AND p.uid = $2 ORDER BY v.number DESC",
			  2, DBV(DB_INT(org_id), DB_TEXT(plan_uid)));
	if (rc < 0)
		return rc;
	int64_t ids[1000];
	size_t n = 0;
	while (db_next(r) && n < 1000)
		ids[n++] = db_int(r, 0);
	db_res_free(r);
	if (n == 0) {
		int64_t one;
		rc = db_query_int(db, &one, "SELECT id FROM plans WHERE org_id = $1 AND uid = $2", 2,
				  DBV(DB_INT(org_id), DB_TEXT(plan_uid)));
		if (rc < 0)
			return rc;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *v;
		rc = version_json(db, org_id, ids[i], false, &v);
		if (rc < 0) {
			json_decref(arr);
			return rc;
		}
		json_array_append_new(arr, v);
	}
	*items = arr;
	return 0;
}

static json_t *plan_row_json(const struct db_res *r)
{
	return json_pack("{s:s, s:s, s:o, s:s}", "id", db_text(r, 1), "name", db_text(r, 2),
			 "created_at", tjson(r, 3), "created_by", db_text(r, 4));
}

/* Adds in_force, open, review and attestation summaries to a plan object. */
static int plan_summary(struct db *db, int64_t org_id, int64_t plan_id, json_t *o)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT uid, number, status, approved_at, review_months FROM plan_versions"
			  " WHERE plan_id = $1 AND status IN ('approved','draft','in_review')",
			  1, DBV(DB_INT(plan_id)));
	if (rc < 0)
		return rc;
	json_object_set_new(o, "in_force", json_null());
	json_object_set_new(o, "open_version", json_null());
	json_t *review = json_pack("{s:n, s:n, s:n, s:b, s:n}", "interval_months", "last_approved_at",
				   "next_review_due", "overdue", 0, "days_until_due");
	while (db_next(r)) {
		const char *st = db_text(r, 2);
		json_t *ref = json_pack("{s:s, s:o, s:s}", "id", db_text(r, 0), "label",
					label_json(db_int(r, 1)), "status", st);
		if (!strcmp(st, "approved")) {
			int64_t at = db_int(r, 3), months = db_int(r, 4);
			int64_t due = plan_add_months(at, (int)months), now = time_now();
			json_object_set_new(ref, "approved_at", tjson(r, 3));
			json_object_set_new(o, "in_force", ref);
			json_object_set_new(review, "interval_months", json_integer(months));
			json_object_set_new(review, "last_approved_at", tval(at));
			json_object_set_new(review, "next_review_due", tval(due));
			json_object_set_new(review, "overdue", json_boolean(now > due));
			int64_t left = due - now;
			json_object_set_new(review, "days_until_due",
					    json_integer(left >= 0 ? left / 86400 : -((-left + 86399) / 86400)));
		} else {
			json_object_set_new(o, "open_version", ref);
		}
	}
	db_res_free(r);
	json_object_set_new(o, "review", review);
	return 0;
}

int plan_list(struct db *db, int64_t org_id, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT id, uid, name, created_at, created_by FROM plans"
				  " WHERE org_id = $1 ORDER BY id",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int64_t ids[16];
	size_t n = 0;
	while (db_next(r) && n < 16) {
		ids[n++] = db_int(r, 0);
		json_array_append_new(arr, plan_row_json(r));
	}
	db_res_free(r);
	for (size_t i = 0; i < n; i++) {
		rc = plan_summary(db, org_id, ids[i], json_array_get(arr, i));
		if (rc < 0) {
			json_decref(arr);
			return rc;
		}
	}
	*items = arr;
	return 0;
}

int plan_get(struct db *db, int64_t org_id, const char *plan_uid, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT id, uid, name, created_at, created_by FROM plans"
				  " WHERE org_id = $1 AND uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(plan_uid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	int64_t id = db_int(r, 0);
	json_t *o = plan_row_json(r);
	db_res_free(r);
	json_t *versions = NULL;
	if ((rc = plan_summary(db, org_id, id, o)) < 0 ||
	    (rc = plan_version_list(db, org_id, plan_uid, &versions)) < 0) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "versions", versions);
	*out = o;
	return 0;
}

int plan_find(struct db *db, int64_t org_id, char uid_out[37])
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT uid FROM plans WHERE org_id = $1", 1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		snprintf(uid_out, 37, "%s", db_text(r, 0));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

/* ---------------- writing ---------------- */

static int touch_version(struct db *db, int64_t vid)
{
	return db_exec(db, "UPDATE plan_versions SET updated_at = $2, version = version + 1 WHERE id = $1",
		       2, DBV(DB_INT(vid), DB_INT(time_now())));
}

static int require_draft(const struct vrow *v, struct plan_err *e)
{
	if (!strcmp(v->status, "draft"))
		return 0;
	if (!strcmp(v->status, "in_review"))
		fail(e, 409, "v%lld is in review and cannot be edited: withdraw it to draft first"
			     " (POST .../versions/v%lld/withdraw)",
		     (long long)v->number, (long long)v->number);
	else
		fail(e, 409, "v%lld is %s and cannot be changed: an approved version is immutable."
			     " Start a new version (POST /api/v1/plans/%s/versions); it begins as a"
			     " draft copy of the version in force",
		     (long long)v->number, v->status, v->plan_uid);
	return SIRT_ECONFLICT;
}

static int check_revision(struct db *db, int64_t org_id, const struct plan_revision *rev,
			  const char *prefix, struct plan_err *e)
{
	char f[96];
	const char *reason = rev->reason;
	if (!reason || !plan_in_list(plan_reasons, reason)) {
		snprintf(f, sizeof(f), "%sreason", prefix);
		e->errors = json_pack("[{s:s, s:s}]", "field", f, "message",
				      "must be one of: tabletop_exercise, real_incident,"
				      " organisational_change, periodic_review, other");
		fail(e, 422, "%s must be one of: tabletop_exercise, real_incident,"
			     " organisational_change, periodic_review, other", f);
		return SIRT_EINVAL;
	}
	const char *tt = rev->trigger_type;
	snprintf(f, sizeof(f), "%strigger", prefix);
	if (!strcmp(reason, "real_incident") && (!tt || strcmp(tt, "incident") != 0)) {
		fail(e, 422, "%s: a revision after a real incident must cite it:"
			     " {\"type\": \"incident\", \"ref\": \"<incident key>\"}", f);
		e->errors = json_pack("[{s:s, s:s}]", "field", f, "message",
				      "must be {\"type\": \"incident\", \"ref\": \"<incident key>\"}");
		return SIRT_EINVAL;
	}
	if (!strcmp(reason, "tabletop_exercise") && (!tt || strcmp(tt, "exercise") != 0)) {
		fail(e, 422, "%s: a revision after a tabletop exercise must cite it:"
			     " {\"type\": \"exercise\", \"ref\": \"<exercise id>\"}", f);
		e->errors = json_pack("[{s:s, s:s}]", "field", f, "message",
				      "must be {\"type\": \"exercise\", \"ref\": \"<exercise id>\"}");
		return SIRT_EINVAL;
	}
	if (tt && !strcmp(tt, "incident")) {
		int64_t one;
		int rc = db_query_int(db, &one, "SELECT id FROM incidents WHERE org_id = $1 AND key = $2",
				      2, DBV(DB_INT(org_id), DB_TEXT(rev->trigger_ref)));
		if (rc == SIRT_ENOTFOUND) {
			snprintf(f, sizeof(f), "%strigger.ref", prefix);
			fail(e, 422, "%s: there is no incident %s in this organisation", f,
			     rev->trigger_ref);
			e->errors = json_pack("[{s:s, s:s}]", "field", f, "message",
					      "is not the key of an incident in this organisation");
			return SIRT_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int insert_sections(struct db *db, int64_t org_id, int64_t vid, json_t *sections)
{
	size_t i;
	json_t *s;
	json_array_foreach(sections, i, s) {
		json_t *data = json_object_get(s, "data");
		char *dtext = data && !json_is_null(data) ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS)
							    : NULL;
		json_t *pos = json_object_get(s, "position");
		int rc = db_exec(db,
				 "INSERT INTO plan_sections(org_id, version_id, key, position, title, body, data)"
				 " VALUES ($1, $2, $3, $4, $5, $6, $7)",
				 7,
				 DBV(DB_INT(org_id), DB_INT(vid), DB_TEXT(json_string_value(json_object_get(s, "key"))),
				     DB_INT(pos ? json_integer_value(pos) : (json_int_t)(i + 1) * 10),
				     DB_TEXT(json_string_value(json_object_get(s, "title"))),
				     DB_TEXT(json_string_value(json_object_get(s, "body"))
						     ? json_string_value(json_object_get(s, "body"))
						     : ""),
				     DB_TEXT(dtext)));
		free(dtext);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int insert_plan(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *name,
		       const char *title, const struct plan_actor *who, json_t *sections,
		       json_t **out)
{
	char puid[37], vuid[37];
	rand_uuid(puid);
	rand_uuid(vuid);
	int64_t now = time_now(), pid, vid;
	int rc = db_query_int(db, &pid,
			      "INSERT INTO plans(uid, org_id, name, created_at, created_by)"
			      " VALUES ($1, $2, $3, $4, $5) RETURNING id",
			      5, DBV(DB_TEXT(puid), DB_INT(org_id), DB_TEXT(name), DB_INT(now),
				     DB_TEXT(who->actor)));
	if (rc < 0)
		return rc;
	rc = db_query_int(db, &vid,
			  "INSERT INTO plan_versions(uid, org_id, plan_id, number, status, title, reason,"
			  " created_by, created_at, updated_at) VALUES ($1, $2, $3, 1, 'draft', $4,"
			  " 'initial', $5, $6, $6) RETURNING id",
			  6, DBV(DB_TEXT(vuid), DB_INT(org_id), DB_INT(pid), DB_TEXT(title),
				 DB_TEXT(who->actor), DB_INT(now)));
	if (rc < 0)
		return rc;
	if (sections && (rc = insert_sections(db, org_id, vid, sections)) < 0)
		return rc;
	json_t *det = json_pack("{s:s, s:s, s:b}", "name", name, "version", vuid, "starter",
				sections != NULL);
	rc = audit_append(db, ac, org_id, "plan.create", "plan", puid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return plan_get(db, org_id, puid, out);
}

int plan_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *name,
		const struct plan_actor *who, json_t **out, struct plan_err *err)
{
	char uid[37];
	int rc = plan_find(db, org_id, uid);
	if (rc == 0) {
		fail(err, 409, "this organisation already has a plan (%s); revise it with a new version",
		     uid);
		return SIRT_ECONFLICT;
	}
	if (rc != SIRT_ENOTFOUND)
		return rc;
	return insert_plan(db, ac, org_id, name, name, who, NULL, out);
}

int plan_create_starter(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const struct plan_actor *who, json_t **out, bool *created)
{
	*created = false;
	*out = NULL;
	char uid[37];
	int rc = plan_find(db, org_id, uid);
	if (rc == 0)
		return out ? plan_get(db, org_id, uid, out) : 0;
	if (rc != SIRT_ENOTFOUND)
		return rc;
	json_t *doc = json_loads(plan_starter_json, JSON_REJECT_DUPLICATES, NULL);
	if (!doc)
		return SIRT_EINVAL;
	rc = insert_plan(db, ac, org_id, "Incident response plan",
			 json_string_value(json_object_get(doc, "title")), who,
			 json_object_get(doc, "sections"), out);
	json_decref(doc);
	if (rc == 0)
		*created = true;
	return rc;
}

int plan_init_starter(struct db *db, const struct audit_ctx *ac, int64_t org_id)
{
	struct plan_actor who = {.actor = ac->actor};
	json_t *out = NULL;
	bool created;
	int rc = plan_create_starter(db, ac, org_id, &who, &out, &created);
	json_decref(out);
	return rc;
}

int plan_version_new(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		     const char *plan_uid, const struct plan_revision *rev,
		     const struct plan_actor *who, json_t **out, struct plan_err *err)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT p.id, (SELECT max(number) FROM plan_versions WHERE plan_id = p.id),"
			  " (SELECT number FROM plan_versions WHERE plan_id = p.id AND status IN"
			  " ('draft','in_review')),"
			  " (SELECT id FROM plan_versions WHERE plan_id = p.id AND status = 'approved'),"
			  " (SELECT id FROM plan_versions WHERE plan_id = p.id ORDER BY number DESC LIMIT 1)"
			  " FROM plans p WHERE p.org_id = $1 AND p.uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(plan_uid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		fail(err, 404, "no such plan");
		return SIRT_ENOTFOUND;
	}
	int64_t pid = db_int(r, 0), maxn = db_isnull(r, 1) ? 0 : db_int(r, 1);
	int64_t open = db_isnull(r, 2) ? 0 : db_int(r, 2);
	int64_t base = db_isnull(r, 3) ? (db_isnull(r, 4) ? 0 : db_int(r, 4)) : db_int(r, 3);
	db_res_free(r);
	if (open) {
		fail(err, 409, "v%lld is already open (draft or in review): edit it, or withdraw and"
			       " finish it, before starting another version",
		     (long long)open);
		return SIRT_ECONFLICT;
	}
	if ((rc = check_revision(db, org_id, rev, "", err)) < 0)
		return rc;
	char vuid[37];
	rand_uuid(vuid);
	int64_t now = time_now(), vid;
	/* the new draft copies the base version's settings and sections */
	rc = db_query_int(db, &vid,
			  "INSERT INTO plan_versions(uid, org_id, plan_id, number, status, title,"
			  " approvals_required, review_months, approvers, reason, trigger_type,"
			  " trigger_ref, note, based_on, created_by, created_at, updated_at)"
			  " SELECT $1, $2, $3, $4, 'draft', b.title, b.approvals_required,"
			  " b.review_months, b.approvers, $5, $6, $7, $8, b.id, $9, $10, $10"
			  " FROM plan_versions b WHERE b.id = $11 RETURNING id",
			  11, DBV(DB_TEXT(vuid), DB_INT(org_id), DB_INT(pid), DB_INT(maxn + 1),
				  DB_TEXT(rev->reason), DB_TEXT(rev->trigger_type),
				  DB_TEXT(rev->trigger_ref), DB_TEXT(rev->note ? rev->note : ""),
				  DB_TEXT(who->actor), DB_INT(now), DB_INT(base)));
	if (rc < 0)
		return rc;
	rc = db_exec(db,
		     "INSERT INTO plan_sections(org_id, version_id, key, position, title, body, data)"
		     " SELECT org_id, $1, key, position, title, body, data FROM plan_sections"
		     " WHERE version_id = $2",
		     2, DBV(DB_INT(vid), DB_INT(base)));
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:I, s:s, s:s?, s:s?}", "number", (json_int_t)(maxn + 1), "reason",
				rev->reason, "trigger_type", rev->trigger_type, "trigger_ref",
				rev->trigger_ref);
	rc = audit_append(db, ac, org_id, "plan.version.create", "plan_version", vuid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, vid, true, out);
}

static bool is_manager(struct db *db, int64_t org_id, const char *email)
{
	int64_t one;
	return db_query_int(db, &one,
			    "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id"
			    " WHERE m.org_id = $1 AND u.email = $2 AND m.role IN ('admin','manager')"
			    " AND u.disabled = 0",
			    2, DBV(DB_INT(org_id), DB_TEXT(email))) == 0;
}

int plan_version_patch(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *plan_uid, const char *vref, int64_t expect_version,
		       json_t *patch, json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if ((rc = require_draft(&v, err)) < 0)
		return rc;
	if (expect_version && expect_version != v.version) {
		fail(err, 412, "v%lld was changed since you read it (ETag mismatch); fetch it again",
		     (long long)v.number);
		return SIRT_EPRECOND;
	}
	json_t *set = json_object_get(patch, "settings");
	json_t *rev = json_object_get(patch, "revision");
	json_t *approvers = json_object_get(set, "approvers");
	size_t i;
	json_t *a;
	json_array_foreach(approvers, i, a) {
		if (!is_manager(db, org_id, json_string_value(a))) {
			char f[64];
			snprintf(f, sizeof(f), "settings.approvers[%zu]", i);
			fail(err, 422, "%s: %s is not an admin or manager of this organisation", f,
			     json_string_value(a));
			err->errors = json_pack("[{s:s, s:s}]", "field", f, "message",
						"is not an admin or manager of this organisation");
			return SIRT_EINVAL;
		}
	}
	if (rev) {
		if (v.number == 1) {
			fail(err, 422, "revision: the first version has no revision reason");
			err->errors = json_pack("[{s:s, s:s}]", "field", "revision", "message",
						"cannot be set on v1, the initial version");
			return SIRT_EINVAL;
		}
		json_t *t = json_object_get(rev, "trigger");
		struct plan_revision pr = {
			.reason = json_string_value(json_object_get(rev, "reason")),
			.trigger_type = json_string_value(json_object_get(t, "type")),
			.trigger_ref = json_string_value(json_object_get(t, "ref")),
			.note = json_string_value(json_object_get(rev, "note")),
		};
		if ((rc = check_revision(db, org_id, &pr, "revision.", err)) < 0)
			return rc;
		rc = db_exec(db,
			     "UPDATE plan_versions SET reason = $2, trigger_type = $3, trigger_ref = $4,"
			     " note = COALESCE($5, note) WHERE id = $1",
			     5, DBV(DB_INT(v.id), DB_TEXT(pr.reason), DB_TEXT(pr.trigger_type),
				    DB_TEXT(pr.trigger_ref), DB_TEXT(pr.note)));
		if (rc < 0)
			return rc;
	}
	char *apr = approvers ? json_dumps(approvers, JSON_COMPACT) : NULL;
	json_t *req = json_object_get(set, "approvals_required");
	json_t *mon = json_object_get(set, "review_interval_months");
	rc = db_exec(db,
		     "UPDATE plan_versions SET title = COALESCE($2, title),"
		     " approvals_required = COALESCE($3, approvals_required),"
		     " review_months = COALESCE($4, review_months), approvers = COALESCE($5, approvers)"
		     " WHERE id = $1",
		     5, DBV(DB_INT(v.id), DB_TEXT(json_string_value(json_object_get(patch, "title"))),
			    req ? DB_INT(json_integer_value(req)) : DB_NULL(),
			    mon ? DB_INT(json_integer_value(mon)) : DB_NULL(), DB_TEXT(apr)));
	free(apr);
	if (rc < 0 || (rc = touch_version(db, v.id)) < 0)
		return rc;
	rc = audit_append(db, ac, org_id, "plan.version.update", "plan_version", v.uid, patch);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_section_put(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		     const char *plan_uid, const char *vref, const char *key, json_t *fields,
		     int64_t expect_version, json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if ((rc = require_draft(&v, err)) < 0)
		return rc;
	if (expect_version && expect_version != v.version) {
		fail(err, 412, "v%lld was changed since you read it (ETag mismatch); fetch it again",
		     (long long)v.number);
		return SIRT_EPRECOND;
	}
	int64_t sid = 0;
	rc = db_query_int(db, &sid, "SELECT id FROM plan_sections WHERE version_id = $1 AND key = $2",
			  2, DBV(DB_INT(v.id), DB_TEXT(key)));
	if (rc < 0 && rc != SIRT_ENOTFOUND)
		return rc;
	const char *title = json_string_value(json_object_get(fields, "title"));
	const char *body = json_string_value(json_object_get(fields, "body"));
	json_t *data = json_object_get(fields, "data");
	json_t *pos = json_object_get(fields, "position");
	char *dtext = data && !json_is_null(data) ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (rc == SIRT_ENOTFOUND) {
		int64_t n = 0;
		rc = db_query_int(db, &n,
				  "SELECT COUNT(*) FROM plan_sections WHERE version_id = $1", 1,
				  DBV(DB_INT(v.id)));
		if (rc == 0 && n >= PLAN_SECTIONS_MAX) {
			free(dtext);
			fail(err, 422, "a plan version has at most %d sections", PLAN_SECTIONS_MAX);
			return SIRT_EINVAL;
		}
		int64_t maxpos = 0;
		if (rc == 0)
			rc = db_query_int(db, &maxpos,
					  "SELECT COALESCE(MAX(position), 0) FROM plan_sections"
					  " WHERE version_id = $1",
					  1, DBV(DB_INT(v.id)));
		if (!title)
			title = plan_section_title(key);
		if (rc == 0)
			rc = db_exec(db,
				     "INSERT INTO plan_sections(org_id, version_id, key, position, title,"
				     " body, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
				     7, DBV(DB_INT(org_id), DB_INT(v.id), DB_TEXT(key),
					    DB_INT(pos ? json_integer_value(pos) : maxpos + 10),
					    DB_TEXT(title), DB_TEXT(body ? body : ""), DB_TEXT(dtext)));
	} else {
		rc = db_exec(db,
			     "UPDATE plan_sections SET title = COALESCE($2, title), body = COALESCE($3, body),"
			     " data = CASE WHEN $4 = 1 THEN $5 ELSE data END,"
			     " position = COALESCE($6, position) WHERE id = $1",
			     6, DBV(DB_INT(sid), DB_TEXT(title), DB_TEXT(body), DB_INT(data ? 1 : 0),
				    DB_TEXT(dtext), pos ? DB_INT(json_integer_value(pos)) : DB_NULL()));
	}
	free(dtext);
	if (rc < 0 || (rc = touch_version(db, v.id)) < 0)
		return rc;
	json_t *det = json_pack("{s:s, s:I, s:b, s:b, s:b}", "section", key, "number",
				(json_int_t)v.number, "title", title != NULL, "body", body != NULL,
				"data", data != NULL);
	rc = audit_append(db, ac, org_id, sid ? "plan.section.update" : "plan.section.create",
			  "plan_version", v.uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_section_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const char *key,
			json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if ((rc = require_draft(&v, err)) < 0)
		return rc;
	rc = db_exec(db, "DELETE FROM plan_sections WHERE version_id = $1 AND key = $2", 2,
		     DBV(DB_INT(v.id), DB_TEXT(key)));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) != 1) {
		fail(err, 404, "v%lld has no section '%s'", (long long)v.number, key);
		return SIRT_ENOTFOUND;
	}
	if ((rc = touch_version(db, v.id)) < 0)
		return rc;
	json_t *det = json_pack("{s:s}", "section", key);
	rc = audit_append(db, ac, org_id, "plan.section.delete", "plan_version", v.uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_version_submit(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const struct plan_actor *who,
			const char *comment, json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if (strcmp(v.status, "draft") != 0) {
		fail(err, 409, "v%lld is %s; only a draft can be submitted for review",
		     (long long)v.number, v.status);
		return SIRT_ECONFLICT;
	}
	json_t *doc;
	if ((rc = version_json(db, org_id, v.id, true, &doc)) < 0)
		return rc;
	json_t *errors = NULL;
	rc = plan_doc_check_complete(doc, &errors);
	json_decref(doc);
	if (rc < 0) {
		json_t *first = json_array_get(errors, 0);
		fail(err, 422, "v%lld is not complete: %zu problem%s, first %s %s", (long long)v.number,
		     json_array_size(errors), json_array_size(errors) == 1 ? "" : "s",
		     json_string_value(json_object_get(first, "field")),
		     json_string_value(json_object_get(first, "message")));
		err->errors = errors;
		return SIRT_EINVAL;
	}
	int64_t now = time_now();
	rc = db_exec(db,
		     "UPDATE plan_versions SET status = 'in_review', submitted_by = $2,"
		     " submitted_by_user = $3, submitted_at = $4, updated_at = $4, version = version + 1"
		     " WHERE id = $1",
		     4, DBV(DB_INT(v.id), DB_TEXT(who->email ? who->email : who->actor),
			    who->user_id ? DB_INT(who->user_id) : DB_NULL(), DB_INT(now)));
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:I, s:s}", "number", (json_int_t)v.number, "comment",
				comment ? comment : "");
	rc = audit_append(db, ac, org_id, "plan.version.submit", "plan_version", v.uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_version_withdraw(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  const char *plan_uid, const char *vref, const struct plan_actor *who,
			  const char *comment, json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if (strcmp(v.status, "in_review") != 0) {
		fail(err, 409, "v%lld is %s; only a version in review can be withdrawn to draft",
		     (long long)v.number, v.status);
		return SIRT_ECONFLICT;
	}
	/* approvals given so far were for the text under review: they lapse */
	if ((rc = db_exec(db, "DELETE FROM plan_approvals WHERE version_id = $1", 1,
			  DBV(DB_INT(v.id)))) < 0)
		return rc;
	rc = db_exec(db,
		     "UPDATE plan_versions SET status = 'draft', submitted_by = NULL,"
		     " submitted_by_user = NULL, submitted_at = NULL, updated_at = $2,"
		     " version = version + 1 WHERE id = $1",
		     2, DBV(DB_INT(v.id), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:I, s:s}", "number", (json_int_t)v.number, "comment",
				comment ? comment : "");
	rc = audit_append(db, ac, org_id, "plan.version.withdraw", "plan_version", v.uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return version_json(db, org_id, v.id, true, out);
}

int plan_version_approve(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *plan_uid, const char *vref, const struct plan_actor *who,
			 const char *comment, json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if (strcmp(v.status, "in_review") != 0) {
		fail(err, 409, !strcmp(v.status, "draft")
				       ? "v%lld is a draft: submit it for review before approving it"
				       : "v%lld is already %s",
		     (long long)v.number, v.status);
		return SIRT_ECONFLICT;
	}
	if (!who->user_id) {
		fail(err, 403, "approvals are given by named people signed in to sirt, not by the CLI");
		return SIRT_EPERM;
	}
	int64_t needed = approvals_needed(db, v.plan_id, v.approvals_required);
	if (who->user_id == v.submitted_by_user && needed >= 2) {
		fail(err, 403, "you submitted v%lld for review; the plan requires %lld approvals by"
			       " people other than the submitter",
		     (long long)v.number, (long long)needed);
		return SIRT_EPERM;
	}
	struct db_res *r;
	rc = db_query(db, &r, "SELECT approvers FROM plan_versions WHERE id = $1", 1, DBV(DB_INT(v.id)));
	if (rc < 0)
		return rc;
	json_t *named = db_next(r) ? json_loads(db_text(r, 0), 0, NULL) : NULL;
	db_res_free(r);
	bool listed = json_array_size(named) == 0;
	size_t i;
	json_t *x;
	json_array_foreach(named, i, x)
		if (who->email && !strcmp(json_string_value(x), who->email))
			listed = true;
	json_decref(named);
	if (!listed) {
		fail(err, 403, "the plan names its approvers and you (%s) are not one of them",
		     who->email ? who->email : "?");
		return SIRT_EPERM;
	}
	int64_t one;
	rc = db_query_int(db, &one, "SELECT id FROM plan_approvals WHERE version_id = $1 AND user_id = $2",
			  2, DBV(DB_INT(v.id), DB_INT(who->user_id)));
	if (rc == 0) {
		fail(err, 409, "you have already approved v%lld", (long long)v.number);
		return SIRT_ECONFLICT;
	}
	if (rc != SIRT_ENOTFOUND)
		return rc;
	int64_t now = time_now();
	rc = db_exec(db,
		     "INSERT INTO plan_approvals(org_id, version_id, user_id, approver, approver_name,"
		     " comment, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		     7, DBV(DB_INT(org_id), DB_INT(v.id), DB_INT(who->user_id), DB_TEXT(who->email),
			    DB_TEXT(who->name ? who->name : ""), DB_TEXT(comment ? comment : ""),
			    DB_INT(now)));
	if (rc < 0)
		return rc;
	int64_t count = 0;
	rc = db_query_int(db, &count, "SELECT COUNT(*) FROM plan_approvals WHERE version_id = $1", 1,
			  DBV(DB_INT(v.id)));
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:I, s:s, s:I, s:I}", "number", (json_int_t)v.number, "comment",
				comment ? comment : "", "approvals", (json_int_t)count, "needed",
				(json_int_t)needed);
	rc = audit_append(db, ac, org_id, "plan.version.approve", "plan_version", v.uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	if (count >= needed) {
		/* the version in force steps down first: one approved version per plan */
		rc = db_exec(db,
			     "UPDATE plan_versions SET status = 'superseded', superseded_at = $2"
			     " WHERE plan_id = $1 AND status = 'approved'",
			     2, DBV(DB_INT(v.plan_id), DB_INT(now)));
		if (rc < 0)
			return rc;
		rc = db_exec(db,
			     "UPDATE plan_versions SET status = 'approved', approved_at = $2,"
			     " updated_at = $2, version = version + 1 WHERE id = $1",
			     2, DBV(DB_INT(v.id), DB_INT(now)));
		if (rc < 0)
			return rc;
		det = json_pack("{s:I}", "number", (json_int_t)v.number);
		rc = audit_append(db, ac, org_id, "plan.version.in_force", "plan_version", v.uid, det);
		json_decref(det);
		if (rc < 0)
			return rc;
	}
	return version_json(db, org_id, v.id, true, out);
}

int plan_version_attest(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const struct plan_actor *who,
			json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc = load_version(db, org_id, plan_uid, vref, &v);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	if (strcmp(v.status, "approved") != 0) {
		fail(err, 409, "v%lld is %s: only the version in force can be attested",
		     (long long)v.number, v.status);
		return SIRT_ECONFLICT;
	}
	if (!who->user_id) {
		fail(err, 403, "attestations are made by people signed in to sirt");
		return SIRT_EPERM;
	}
	int64_t at = 0;
	rc = db_query_int(db, &at,
			  "SELECT attested_at FROM plan_attestations WHERE version_id = $1 AND user_id = $2",
			  2, DBV(DB_INT(v.id), DB_INT(who->user_id)));
	bool fresh = rc == SIRT_ENOTFOUND;
	if (rc < 0 && !fresh)
		return rc;
	if (fresh) {
		at = time_now();
		rc = db_exec(db,
			     "INSERT INTO plan_attestations(org_id, version_id, user_id, attested_at)"
			     " VALUES ($1, $2, $3, $4)",
			     4, DBV(DB_INT(org_id), DB_INT(v.id), DB_INT(who->user_id), DB_INT(at)));
		if (rc < 0)
			return rc;
		json_t *det = json_pack("{s:I}", "number", (json_int_t)v.number);
		rc = audit_append(db, ac, org_id, "plan.version.attest", "plan_version", v.uid, det);
		json_decref(det);
		if (rc < 0)
			return rc;
	}
	*out = json_pack("{s:s, s:o, s:s, s:o, s:b}", "version", v.uid, "label",
			 label_json(v.number), "user", who->email ? who->email : "", "attested_at",
			 tval(at), "new", fresh);
	return 0;
}

int plan_attestations(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
		      json_t **out, struct plan_err *err)
{
	struct vrow v;
	int rc;
	if (vref) {
		rc = load_version(db, org_id, plan_uid, vref, &v);
	} else {
		struct plan_ref pr;
		rc = plan_in_force(db, org_id, &pr);
		if (rc == 0 && strcmp(pr.plan_uid, plan_uid) != 0)
			rc = SIRT_ENOTFOUND;
		if (rc == 0)
			rc = load_version(db, org_id, plan_uid, pr.version_uid, &v);
		if (rc == SIRT_ENOTFOUND) {
			fail(err, 409, "the plan has no approved version in force yet");
			return SIRT_ECONFLICT;
		}
	}
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no such plan version");
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT t.uid, t.name, u.email, a.attested_at, t.user_id FROM team_members t"
		      " LEFT JOIN users u ON u.id = t.user_id"
		      " LEFT JOIN plan_attestations a ON a.version_id = $2 AND a.user_id = t.user_id"
		      " WHERE t.org_id = $1 AND t.active = 1 ORDER BY t.name, t.id",
		      2, DBV(DB_INT(org_id), DB_INT(v.id)));
	if (rc < 0)
		return rc;
	json_t *done = json_array(), *pending = json_array(), *no_account = json_array();
	while (db_next(r)) {
		json_t *m = json_pack("{s:s, s:s}", "member_id", db_text(r, 0), "name", db_text(r, 1));
		if (db_isnull(r, 4)) {
			json_array_append_new(no_account, m);
			continue;
		}
		json_object_set_new(m, "user", json_string(db_text(r, 2) ? db_text(r, 2) : ""));
		if (db_isnull(r, 3)) {
			json_array_append_new(pending, m);
		} else {
			json_object_set_new(m, "attested_at", tjson(r, 3));
			json_array_append_new(done, m);
		}
	}
	db_res_free(r);
	size_t total = json_array_size(done) + json_array_size(pending) + json_array_size(no_account);
	*out = json_pack("{s:s, s:o, s:s, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o}", "version", v.uid,
			 "label", label_json(v.number), "status", v.status, "summary", "members",
			 (json_int_t)total, "attested", (json_int_t)json_array_size(done),
			 "not_attested", (json_int_t)json_array_size(pending), "without_account",
			 (json_int_t)json_array_size(no_account), "attested", done, "not_attested",
			 pending, "without_account", no_account);
	return 0;
}

/* ---------------- diff ---------------- */

static json_t *body_diff(const char *a, const char *b, json_int_t *added, json_int_t *deleted)
{
	struct diff_result d;
	if (diff_lines(a, b, &d) < 0)
		return json_null();
	json_t *arr = json_array();
	for (size_t i = 0; i < d.n; i++) {
		const char *op = d.lines[i].op == DIFF_ADD ? "add" : d.lines[i].op == DIFF_DEL ? "del" : "same";
		json_t *t = json_stringn(d.lines[i].text, d.lines[i].len);
		json_array_append_new(arr, json_pack("{s:s, s:o}", "op", op, "text", t ? t : json_string("")));
	}
	*added = (json_int_t)d.added;
	*deleted = (json_int_t)d.deleted;
	diff_free(&d);
	return arr;
}

int plan_diff(struct db *db, int64_t org_id, const char *plan_uid, const char *from,
	      const char *to, json_t **out, struct plan_err *err)
{
	json_t *va = NULL, *vb = NULL;
	int rc = plan_version_get(db, org_id, plan_uid, from, &va);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no version '%s' in this plan (from)", from);
	if (rc < 0)
		return rc;
	rc = plan_version_get(db, org_id, plan_uid, to, &vb);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, "no version '%s' in this plan (to)", to);
	if (rc < 0) {
		json_decref(va);
		return rc;
	}
	json_t *secs = json_array();
	json_int_t n_add = 0, n_rem = 0, n_chg = 0, n_same = 0;
	size_t i;
	json_t *sb, *sa;
	/* sections of `to` in its order, then those only in `from` */
	json_array_foreach(json_object_get(vb, "sections"), i, sb) {
		const char *key = json_string_value(json_object_get(sb, "key"));
		sa = plan_doc_section(va, key);
		json_t *o = json_pack("{s:s, s:s}", "key", key, "title",
				      json_string_value(json_object_get(sb, "title")));
		if (!sa) {
			json_object_set_new(o, "change", json_string("added"));
			json_int_t ad = 0, de = 0;
			json_object_set_new(o, "body", body_diff("", json_string_value(json_object_get(sb, "body")), &ad, &de));
			json_object_set_new(o, "lines", json_pack("{s:I, s:I}", "added", ad, "deleted", de));
			json_object_set(o, "data_to", json_object_get(sb, "data"));
			n_add++;
			json_array_append_new(secs, o);
			continue;
		}
		bool tchg = !json_equal(json_object_get(sa, "title"), json_object_get(sb, "title"));
		bool bchg = !json_equal(json_object_get(sa, "body"), json_object_get(sb, "body"));
		bool dchg = !json_equal(json_object_get(sa, "data"), json_object_get(sb, "data"));
		bool pchg = !json_equal(json_object_get(sa, "position"), json_object_get(sb, "position"));
		if (!tchg && !bchg && !dchg && !pchg) {
			json_object_set_new(o, "change", json_string("unchanged"));
			n_same++;
			json_array_append_new(secs, o);
			continue;
		}
		n_chg++;
		json_object_set_new(o, "change", json_string("changed"));
		if (tchg)
			json_object_set_new(o, "title_from", json_copy(json_object_get(sa, "title")));
		json_object_set_new(o, "moved", json_boolean(pchg));
		json_int_t ad = 0, de = 0;
		if (bchg)
			json_object_set_new(o, "body",
					    body_diff(json_string_value(json_object_get(sa, "body")),
						      json_string_value(json_object_get(sb, "body")), &ad, &de));
		json_object_set_new(o, "lines", json_pack("{s:I, s:I}", "added", ad, "deleted", de));
		json_object_set_new(o, "data_changed", json_boolean(dchg));
		if (dchg) {
			json_object_set(o, "data_from", json_object_get(sa, "data"));
			json_object_set(o, "data_to", json_object_get(sb, "data"));
		}
		json_array_append_new(secs, o);
	}
	json_array_foreach(json_object_get(va, "sections"), i, sa) {
		const char *key = json_string_value(json_object_get(sa, "key"));
		if (plan_doc_section(vb, key))
			continue;
		json_int_t ad = 0, de = 0;
		json_t *o = json_pack("{s:s, s:s, s:s}", "key", key, "title",
				      json_string_value(json_object_get(sa, "title")), "change", "removed");
		json_object_set_new(o, "body", body_diff(json_string_value(json_object_get(sa, "body")), "", &ad, &de));
		json_object_set_new(o, "lines", json_pack("{s:I, s:I}", "added", ad, "deleted", de));
		json_object_set(o, "data_from", json_object_get(sa, "data"));
		n_rem++;
		json_array_append_new(secs, o);
	}
	json_t *meta = json_object();
	const char *mk[] = {"title", "settings", "revision"};
	for (size_t k = 0; k < 3; k++)
		if (!json_equal(json_object_get(va, mk[k]), json_object_get(vb, mk[k])))
			json_object_set_new(meta, mk[k], json_pack("{s:O, s:O}", "from",
								   json_object_get(va, mk[k]), "to",
								   json_object_get(vb, mk[k])));
	*out = json_pack("{s:{s:O, s:O, s:O}, s:{s:O, s:O, s:O}, s:{s:I, s:I, s:I, s:I}, s:o, s:o}",
			 "from", "id", json_object_get(va, "id"), "label", json_object_get(va, "label"),
			 "status", json_object_get(va, "status"), "to", "id", json_object_get(vb, "id"),
			 "label", json_object_get(vb, "label"), "status", json_object_get(vb, "status"),
			 "summary", "added", n_add, "removed", n_rem, "changed", n_chg, "unchanged",
			 n_same, "metadata", meta, "sections", secs);
	json_decref(va);
	json_decref(vb);
	return 0;
}
