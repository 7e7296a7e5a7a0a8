#include "store/action_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define ACTION_COLS                                                                          \
	"id, uid, source_type, source_id, title, description, owner, due_date, priority,"     \
	" status, verification_note, done_at, plan_version_id, plan_version_label,"           \
	" plan_linked_at, created_by, created_at, updated_at, version"

static json_t *row_json(const struct db_res *r, int64_t now);
static int get_by_uid(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out);

static bool is_open(const char *status)
{
	return !strcmp(status, "open") || !strcmp(status, "in_progress");
}

static json_t *row_json(const struct db_res *r, int64_t now)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(rs_text(r, 1)));
	json_object_set_new(o, "source", json_pack("{s:s, s:s}", "type", rs_text(r, 2), "id",
						   rs_text(r, 3)));
	json_object_set_new(o, "title", json_string(rs_text(r, 4)));
	json_object_set_new(o, "description", json_string(rs_text(r, 5)));
	json_object_set_new(o, "owner", json_string(rs_text(r, 6)));
	json_object_set_new(o, "due_date", rs_date(r, 7));
	json_object_set_new(o, "priority", json_string(rs_text(r, 8)));
	json_object_set_new(o, "status", json_string(rs_text(r, 9)));
	json_object_set_new(o, "verification_note", json_string(rs_text(r, 10)));
	json_object_set_new(o, "done_at", rs_time(r, 11));
	if (db_isnull(r, 12))
		json_object_set_new(o, "plan_version", json_null());
	else
		json_object_set_new(o, "plan_version",
				    json_pack("{s:s, s:s}", "id", rs_text(r, 12), "label",
					      rs_text(r, 13)));
	json_object_set_new(o, "plan_linked_at", rs_time(r, 14));
	int64_t due = db_int(r, 7);
	bool overdue = is_open(rs_text(r, 9)) && due + 86400 <= now;
	json_object_set_new(o, "overdue", json_boolean(overdue));
	json_object_set_new(o, "days_overdue",
			    json_integer(overdue ? (now - due) / 86400 : 0));
	json_object_set_new(o, "created_by", json_string(rs_text(r, 15)));
	json_object_set_new(o, "created_at", rs_time(r, 16));
	json_object_set_new(o, "updated_at", rs_time(r, 17));
	json_object_set_new(o, "version", json_integer(db_int(r, 18)));
	return o;
}

static int get_by_uid(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " ACTION_COLS " FROM action_items WHERE org_id = $1 AND uid = $2", 2,
			  DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = row_json(r, now);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int action_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out)
{
	return get_by_uid(db, org_id, uid, now, out);
}

int action_resolve_source(struct db *db, int64_t org_id, const char *type, const char *ref,
			  char uid[40], struct op_result *res)
{
	struct db_res *r;
	const char *sql;
	if (!strcmp(type, "review"))
		/* a review revision's uid, or the incident's uid or key: its newest revision */
		sql = "SELECT p.uid FROM pir_reviews p JOIN incidents i ON i.id = p.incident_id"
		      " WHERE p.org_id = $1 AND (p.uid = $2 OR i.uid = $2 OR i.key = $2)"
		      " ORDER BY CASE WHEN p.uid = $2 THEN 0 ELSE 1 END, p.revision DESC LIMIT 1";
	else if (!strcmp(type, "exercise"))
		sql = "SELECT uid FROM exercises WHERE org_id = $1 AND uid = $2";
	else
		sql = "SELECT uid FROM quality_reviews WHERE org_id = $1 AND uid = $2";
	int rc = db_query(db, &r, sql, 2, DBV(DB_INT(org_id), DB_TEXT(ref)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		snprintf(uid, 40, "%s", rs_text(r, 0));
		rc = 0;
	}
	db_res_free(r);
	if (rc == SIRT_ENOTFOUND) {
		op_field(res, "source_id",
			 !strcmp(type, "review")
				 ? "names no post-incident review (give a review id, or an incident id or key that has one)"
			 : !strcmp(type, "exercise") ? "names no exercise"
						     : "names no quality review");
		return SIRT_EINVAL;
	}
	return rc;
}

int action_create(struct db *db, const struct audit_ctx *ac, const struct action_new *in,
		  int64_t now, struct op_result *res, json_t **out)
{
	char src[40], uid[37];
	int rc = action_resolve_source(db, in->org_id, in->source_type, in->source_ref, src, res);
	if (rc < 0)
		return rc;
	rand_uuid(uid);
	bool link = in->plan_version_id && *in->plan_version_id;
	rc = db_exec(db,
		     "INSERT INTO action_items(uid, org_id, source_type, source_id, title, description,"
		     " owner, due_date, priority, status, plan_version_id, plan_version_label,"
		     " plan_linked_at, created_by, created_at, updated_at, version)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13, $14, $14, 1)",
		     14,
		     DBV(DB_TEXT(uid), DB_INT(in->org_id), DB_TEXT(in->source_type), DB_TEXT(src),
			 DB_TEXT(in->title), DB_TEXT(in->description ? in->description : ""),
			 DB_TEXT(in->owner), DB_INT(in->due_date),
			 DB_TEXT(in->priority ? in->priority : "medium"),
			 DB_TEXT(link ? in->plan_version_id : NULL),
			 DB_TEXT(link ? (in->plan_version_label ? in->plan_version_label : "") : NULL),
			 link ? DB_INT(now) : DB_NULL(), DB_TEXT(in->created_by ? in->created_by : ""),
			 DB_INT(now)));
	if (rc < 0)
		return rc;
	char due[16];
	rs_date_str(in->due_date, due);
	json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s}", "source_type", in->source_type,
			      "source_id", src, "title", in->title, "owner", in->owner, "due_date",
			      due);
	if (link)
		json_object_set_new(d, "plan_version_id", json_string(in->plan_version_id));
	rc = audit_append(db, ac, in->org_id, "action.create", "action_item", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	return get_by_uid(db, in->org_id, uid, now, out);
}

int action_list(struct db *db, int64_t org_id, const struct action_filter *f, json_t **items,
		char **next_cursor)
{
	struct strbuf sql;
	sb_init(&sql, 4096);
	sb_puts(&sql, "SELECT " ACTION_COLS " FROM action_items WHERE org_id = $1");
	if (f->status)
		sb_puts(&sql, " AND status = $2");
	if (f->source_type)
		sb_puts(&sql, " AND source_type = $3");
	if (f->source_id)
		sb_puts(&sql, " AND source_id = $4");
	if (f->owner)
		sb_puts(&sql, " AND owner = $5");
	if (f->overdue)
		sb_puts(&sql, " AND status IN ('open','in_progress') AND due_date <= $6");
	if (f->cursor_id)
		sb_puts(&sql, " AND (due_date > $7 OR (due_date = $7 AND id > $8))");
	sb_puts(&sql, " ORDER BY due_date, id LIMIT $9");
	struct db_res *r;
	int rc = db_query(db, &r, sb_str(&sql), 9,
			  DBV(DB_INT(org_id), DB_TEXT(f->status), DB_TEXT(f->source_type),
			      DB_TEXT(f->source_id), DB_TEXT(f->owner), DB_INT(f->now - 86400),
			      DB_INT(f->cursor_due), DB_INT(f->cursor_id), DB_INT(f->limit + 1)));
	sb_free(&sql);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	int64_t last_due = 0, last_id = 0;
	*next_cursor = NULL;
	while (db_next(r)) {
		if (n == f->limit) {
			*next_cursor = xasprintf("%lld.%lld", (long long)last_due, (long long)last_id);
			break;
		}
		json_array_append_new(arr, row_json(r, f->now));
		last_due = db_int(r, 7);
		last_id = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	*items = arr;
	return 0;
}

int action_list_for_sources(struct db *db, int64_t org_id, const char *type, const json_t *uids,
			    int64_t now, json_t **items)
{
	*items = json_array();
	size_t i;
	json_t *u;
	json_array_foreach(uids, i, u) {
		struct db_res *r;
		int rc = db_query(db, &r,
				  "SELECT " ACTION_COLS " FROM action_items WHERE org_id = $1"
				  " AND source_type = $2 AND source_id = $3 ORDER BY due_date, id",
				  3, DBV(DB_INT(org_id), DB_TEXT(type), DB_TEXT(json_string_value(u))));
		if (rc < 0) {
			json_decref(*items);
			*items = NULL;
			return rc;
		}
		while (db_next(r))
			json_array_append_new(*items, row_json(r, now));
		db_res_free(r);
	}
	return 0;
}

int actions_overdue(struct db *db, int64_t org_id, int64_t now, int limit, json_t **items,
		    int64_t *count)
{
	int rc = db_query_int(db, count,
			      "SELECT count(*) FROM action_items WHERE org_id = $1"
			      " AND status IN ('open','in_progress') AND due_date <= $2",
			      2, DBV(DB_INT(org_id), DB_INT(now - 86400)));
	if (rc < 0 || !items)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT " ACTION_COLS " FROM action_items WHERE org_id = $1"
		      " AND status IN ('open','in_progress') AND due_date <= $2"
		      " ORDER BY due_date, id LIMIT $3",
		      3, DBV(DB_INT(org_id), DB_INT(now - 86400), DB_INT(limit)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r))
		json_array_append_new(*items, row_json(r, now));
	db_res_free(r);
	return 0;
}

static const char *const patchable[] = {"title", "description", "owner", "due_date", "priority",
					"status", "verification_note", "plan_version_id",
					"plan_version_label", NULL};

static bool blank(const char *s)
{
	return !s || strspn(s, " \t\r\n") == strlen(s);
}

int action_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		  int64_t expect_version, const json_t *patch, int64_t now, struct op_result *res,
		  json_t **out)
{
	json_t *cur = NULL, *changes = NULL;
	int rc = get_by_uid(db, org_id, uid, now, &cur);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (expect_version && version != expect_version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	/* the record as it would be */
	const char *status = json_string_value(json_object_get(patch, "status"));
	if (!status)
		status = json_string_value(json_object_get(cur, "status"));
	json_t *nv = json_object_get(patch, "verification_note");
	const char *note = nv ? json_string_value(nv)
			      : json_string_value(json_object_get(cur, "verification_note"));
	if (!strcmp(status, "done") && blank(note)) {
		rc = op_field(res, "verification_note",
			      "is required when status is done: say how the fix was verified");
		goto out;
	}
	json_t *pv = json_object_get(patch, "plan_version_id");
	json_t *pl = json_object_get(patch, "plan_version_label");
	json_t *cur_pv = json_object_get(cur, "plan_version");
	if (pl && !json_is_null(pl) && !pv && json_is_null(cur_pv)) {
		rc = op_field(res, "plan_version_label", "needs plan_version_id as well");
		goto out;
	}
	changes = json_object();
	for (const char *const *k = patchable; *k; k++) {
		json_t *v = json_object_get(patch, *k);
		if (!v)
			continue;
		json_t *ov;
		if (!strcmp(*k, "plan_version_id"))
			ov = json_object_get(cur_pv, "id");
		else if (!strcmp(*k, "plan_version_label"))
			ov = json_object_get(cur_pv, "label");
		else
			ov = json_object_get(cur, *k);
		if (json_equal(v, ov ? ov : json_null()))
			continue;
		json_object_set_new(changes, *k, json_pack("{s:O?, s:O}", "from", ov, "to", v));
	}
	if (json_object_size(changes) == 0) {
		*out = cur;
		cur = NULL;
		rc = 0;
		goto out;
	}
	int64_t due = 0;
	const char *dd = json_string_value(json_object_get(patch, "due_date"));
	if (dd && time_parse_date(dd, &due) < 0) {
		rc = op_field(res, "due_date", "must be a date as YYYY-MM-DD");
		goto out;
	}
	const char *old_status = json_string_value(json_object_get(cur, "status"));
	bool now_done = !strcmp(status, "done") && strcmp(old_status, "done") != 0;
	bool left_done = strcmp(status, "done") != 0 && !strcmp(old_status, "done");
	int pv_mode = !pv ? 0 : json_is_null(pv) ? 2 : 1; /* 0 keep, 1 set, 2 clear */
	const char *pvs = json_string_value(pv);
	const char *pls = pl ? json_string_value(pl) : NULL;
	rc = db_exec(db,
		     "UPDATE action_items SET title = COALESCE($3, title),"
		     " description = COALESCE($4, description), owner = COALESCE($5, owner),"
		     " due_date = CASE WHEN $6 = 1 THEN CAST($7 AS BIGINT) ELSE due_date END,"
		     " priority = COALESCE($8, priority), status = $9,"
		     " verification_note = COALESCE($10, verification_note),"
		     " done_at = CASE WHEN $11 = 1 THEN CAST($12 AS BIGINT) WHEN $13 = 1 THEN NULL"
		     "  ELSE done_at END,"
		     " plan_version_id = CASE WHEN $14 = 1 THEN CAST($15 AS TEXT) WHEN $14 = 2 THEN NULL"
		     "  ELSE plan_version_id END,"
		     " plan_version_label = CASE WHEN $14 = 1 THEN COALESCE($16, plan_version_label, '')"
		     "  WHEN $14 = 2 THEN NULL WHEN $17 = 1 THEN CAST($16 AS TEXT) ELSE plan_version_label END,"
		     " plan_linked_at = CASE WHEN $14 = 1 AND (plan_version_id IS NULL OR"
		     "  plan_version_id <> $15) THEN CAST($12 AS BIGINT) WHEN $14 = 2 THEN NULL"
		     "  ELSE plan_linked_at END,"
		     " updated_at = CAST($12 AS BIGINT), version = version + 1"
		     " WHERE org_id = $1 AND uid = $2 AND version = $18",
		     18,
		     DBV(DB_INT(org_id), DB_TEXT(uid),
			 DB_TEXT(json_string_value(json_object_get(patch, "title"))),
			 DB_TEXT(json_string_value(json_object_get(patch, "description"))),
			 DB_TEXT(json_string_value(json_object_get(patch, "owner"))),
			 DB_INT(dd ? 1 : 0), DB_INT(due),
			 DB_TEXT(json_string_value(json_object_get(patch, "priority"))),
			 DB_TEXT(status), DB_TEXT(nv ? json_string_value(nv) : NULL),
			 DB_INT(now_done ? 1 : 0), DB_INT(now), DB_INT(left_done ? 1 : 0),
			 DB_INT(pv_mode), DB_TEXT(pvs), DB_TEXT(pls),
			 DB_INT(pl && !json_is_null(pl) ? 1 : 0), DB_INT(version)));
	if (rc < 0)
		goto out;
	if (db_last_changes(db) != 1) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	rc = audit_append(db, ac, org_id, "action.update", "action_item", uid, changes);
	if (rc < 0)
		goto out;
	rc = get_by_uid(db, org_id, uid, now, out);
out:
	json_decref(cur);
	json_decref(changes);
	return rc;
}
