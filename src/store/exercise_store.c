#include "store/exercise_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/action_store.h"
#include "store/compliance_inputs.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define EX_COLS                                                                              \
	"id, uid, kind, title, scheduled_at, duration_minutes, status, held_at, scenario,"    \
	" objectives, injects, observations, findings, lessons_learned, facilitator,"         \
	" plan_version_id, plan_version_label, created_by, created_at, updated_at, version"

static json_t *row_json(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(rs_text(r, 1)));
	json_object_set_new(o, "kind", json_string(rs_text(r, 2)));
	json_object_set_new(o, "title", json_string(rs_text(r, 3)));
	json_object_set_new(o, "scheduled_at", rs_time(r, 4));
	json_object_set_new(o, "duration_minutes",
			    db_isnull(r, 5) ? json_null() : json_integer(db_int(r, 5)));
	json_object_set_new(o, "status", json_string(rs_text(r, 6)));
	json_object_set_new(o, "held_at", rs_time(r, 7));
	json_object_set_new(o, "scenario", json_string(rs_text(r, 8)));
	json_object_set_new(o, "objectives", rs_json(r, 9, false));
	json_object_set_new(o, "injects", rs_json(r, 10, false));
	json_object_set_new(o, "observations", json_string(rs_text(r, 11)));
	json_object_set_new(o, "findings", rs_json(r, 12, false));
	json_object_set_new(o, "lessons_learned", json_string(rs_text(r, 13)));
	json_object_set_new(o, "facilitator", json_string(rs_text(r, 14)));
	if (db_isnull(r, 15))
		json_object_set_new(o, "plan_version", json_null());
	else
		json_object_set_new(o, "plan_version", json_pack("{s:s, s:s}", "id", rs_text(r, 15),
								 "label", rs_text(r, 16)));
	json_object_set_new(o, "created_by", json_string(rs_text(r, 17)));
	json_object_set_new(o, "created_at", rs_time(r, 18));
	json_object_set_new(o, "updated_at", rs_time(r, 19));
	json_object_set_new(o, "version", json_integer(db_int(r, 20)));
	return o;
}

static int participants(struct db *db, int64_t ex_id, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT name, email, role, attended FROM exercise_participants"
			  " WHERE exercise_id = $1 ORDER BY seq",
			  1, DBV(DB_INT(ex_id)));
	if (rc < 0)
		return rc;
	*out = json_array();
	while (db_next(r)) {
		json_t *p = json_pack("{s:s, s:s, s:b}", "name", rs_text(r, 0), "role", rs_text(r, 2),
				      "attended", db_int(r, 3) != 0);
		json_object_set_new(p, "email", db_isnull(r, 1) ? json_null() : json_string(rs_text(r, 1)));
		json_array_append_new(*out, p);
	}
	db_res_free(r);
	return 0;
}

int exercise_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " EX_COLS " FROM exercises WHERE org_id = $1 AND uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	json_t *o = NULL;
	int64_t id = 0;
	if (db_next(r)) {
		o = row_json(r);
		id = db_int(r, 0);
	}
	db_res_free(r);
	if (!o)
		return SIRT_ENOTFOUND;
	json_t *ps = NULL, *items = NULL, *uids = json_pack("[s]", uid);
	if ((rc = participants(db, id, &ps)) < 0 ||
	    (rc = action_list_for_sources(db, org_id, "exercise", uids, now, &items)) < 0) {
		json_decref(o);
		json_decref(ps);
		json_decref(uids);
		return rc;
	}
	json_decref(uids);
	/* lessons -> action items -> plan revisions */
	json_t *revs = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(items, i, a) {
		json_t *pv = json_object_get(a, "plan_version");
		if (json_is_object(pv))
			json_array_append_new(revs, json_pack("{s:O, s:O, s:O, s:O}", "id",
							      json_object_get(pv, "id"), "label",
							      json_object_get(pv, "label"), "action_id",
							      json_object_get(a, "id"), "linked_at",
							      json_object_get(a, "plan_linked_at")));
	}
	int attended = 0;
	json_array_foreach(ps, i, a)
		attended += json_is_true(json_object_get(a, "attended"));
	json_object_set_new(o, "participants", ps);
	json_object_set_new(o, "attendance", json_pack("{s:i, s:i}", "invited",
						       (int)json_array_size(ps), "attended", attended));
	json_object_set_new(o, "action_items", items);
	json_object_set_new(o, "plan_revisions", revs);
	*out = o;
	return 0;
}

int exercise_list(struct db *db, int64_t org_id, const struct exercise_filter *f, json_t **items,
		  char **next_cursor)
{
	struct strbuf sql;
	sb_init(&sql, 4096);
	sb_puts(&sql, "SELECT " EX_COLS " FROM exercises WHERE org_id = $1");
	if (f->status)
		sb_puts(&sql, " AND status = $2");
	if (f->kind)
		sb_puts(&sql, " AND kind = $3");
	if (f->cursor_id)
		sb_puts(&sql, " AND (scheduled_at < $4 OR (scheduled_at = $4 AND id < $5))");
	sb_puts(&sql, " ORDER BY scheduled_at DESC, id DESC LIMIT $6");
	struct db_res *r;
	int rc = db_query(db, &r, sb_str(&sql), 6,
			  DBV(DB_INT(org_id), DB_TEXT(f->status), DB_TEXT(f->kind),
			      DB_INT(f->cursor_at), DB_INT(f->cursor_id), DB_INT(f->limit + 1)));
	sb_free(&sql);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	int64_t la = 0, li = 0;
	*next_cursor = NULL;
	while (db_next(r)) {
		if (n == f->limit) {
			*next_cursor = xasprintf("%lld.%lld", (long long)la, (long long)li);
			break;
		}
		json_array_append_new(arr, row_json(r));
		la = db_int(r, 4);
		li = db_int(r, 0);
		n++;
	}
	db_res_free(r);
	*items = arr;
	return 0;
}

static int put_participants(struct db *db, int64_t org_id, int64_t ex_id, const json_t *ps)
{
	int rc = db_exec(db, "DELETE FROM exercise_participants WHERE exercise_id = $1", 1,
			 DBV(DB_INT(ex_id)));
	size_t i;
	json_t *p;
	json_array_foreach(ps, i, p) {
		if (rc < 0)
			break;
		json_t *att = json_object_get(p, "attended");
		rc = db_exec(db,
			     "INSERT INTO exercise_participants(exercise_id, org_id, seq, name, email,"
			     " role, attended) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			     7,
			     DBV(DB_INT(ex_id), DB_INT(org_id), DB_INT((int64_t)i),
				 DB_TEXT(json_string_value(json_object_get(p, "name"))),
				 DB_TEXT(json_string_value(json_object_get(p, "email"))),
				 DB_TEXT(json_string_value(json_object_get(p, "role"))
						 ? json_string_value(json_object_get(p, "role"))
						 : ""),
				 DB_INT(json_is_true(att) ? 1 : 0)));
	}
	return rc;
}

static char *dump_or(const json_t *v, const char *dflt)
{
	return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT) : xstrdup(dflt);
}

static const char *sv(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The rule a stored or new exercise must keep: held only when it has happened. */
static int check_held(const char *status, int64_t scheduled_at, int64_t now,
		      struct op_result *res)
{
	if (strcmp(status, "held") != 0 || scheduled_at <= now + EXERCISE_SKEW)
		return 0;
	char ts[ISO8601_LEN], msg[200];
	time_format_iso8601(scheduled_at, ts);
	snprintf(msg, sizeof(msg),
		 "cannot be held: the exercise is scheduled for %s, in the future", ts);
	op_field(res, "status", msg);
	snprintf(res->why, sizeof(res->why), "an exercise scheduled for %s (in the future) cannot be"
		 " marked held", ts);
	return SIRT_EINVAL;
}

int exercise_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const json_t *b,
		    const char *created_by, int64_t now, struct op_result *res, json_t **out)
{
	int64_t at = 0;
	if (time_parse_iso8601(sv(b, "scheduled_at"), &at) < 0)
		return op_field(res, "scheduled_at", "must be an RFC 3339 date-time with offset");
	const char *status = sv(b, "status") ? sv(b, "status") : "planned";
	int rc = check_held(status, at, now, res);
	if (rc < 0)
		return rc;
	char pid[40], plabel[64];
	const char *pv = sv(b, "plan_version_id"), *pl = sv(b, "plan_version_label");
	if (!pv) {
		if ((rc = compliance_plan_current(db, org_id, pid, plabel)) < 0)
			return rc;
		if (pid[0]) {
			pv = pid;
			pl = plabel;
		}
	}
	char uid[37];
	rand_uuid(uid);
	char *obj = dump_or(json_object_get(b, "objectives"), "[]");
	char *inj = dump_or(json_object_get(b, "injects"), "[]");
	char *fnd = dump_or(json_object_get(b, "findings"), "[]");
	json_t *dur = json_object_get(b, "duration_minutes");
	struct db_res *r = NULL;
	rc = db_query(db, &r,
		      "INSERT INTO exercises(uid, org_id, kind, title, scheduled_at, duration_minutes,"
		      " status, held_at, scenario, objectives, injects, observations, findings,"
		      " lessons_learned, facilitator, plan_version_id, plan_version_label, created_by,"
		      " created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
		      " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, 1) RETURNING id",
		      19,
		      DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(sv(b, "kind")), DB_TEXT(sv(b, "title")),
			  DB_INT(at), json_is_integer(dur) ? DB_INT(json_integer_value(dur)) : DB_NULL(),
			  DB_TEXT(status), !strcmp(status, "held") ? DB_INT(at) : DB_NULL(),
			  DB_TEXT(sv(b, "scenario") ? sv(b, "scenario") : ""), DB_TEXT(obj),
			  DB_TEXT(inj), DB_TEXT(sv(b, "observations") ? sv(b, "observations") : ""),
			  DB_TEXT(fnd),
			  DB_TEXT(sv(b, "lessons_learned") ? sv(b, "lessons_learned") : ""),
			  DB_TEXT(sv(b, "facilitator") ? sv(b, "facilitator") : ""), DB_TEXT(pv),
			  DB_TEXT(pv ? (pl ? pl : "") : NULL), DB_TEXT(created_by ? created_by : ""),
			  DB_INT(now)));
	free(obj);
	free(inj);
	free(fnd);
	if (rc < 0)
		return rc;
	int64_t id = db_next(r) ? db_int(r, 0) : 0;
	db_res_free(r);
	if (!id)
		return SIRT_EDB;
	json_t *ps = json_object_get(b, "participants");
	if (ps && (rc = put_participants(db, org_id, id, ps)) < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:s}", "kind", sv(b, "kind"), "title", sv(b, "title"),
			      "status", status);
	rc = audit_append(db, ac, org_id, "exercise.create", "exercise", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	return exercise_get(db, org_id, uid, now, out);
}

static const char *const text_cols[] = {"kind", "title", "scenario", "observations",
					"lessons_learned", "facilitator", NULL};

int exercise_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		    int64_t expect_version, const json_t *patch, int64_t now,
		    struct op_result *res, json_t **out)
{
	json_t *cur = NULL, *changes = NULL;
	char *obj = NULL, *inj = NULL, *fnd = NULL;
	int rc = exercise_get(db, org_id, uid, now, &cur);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (expect_version && expect_version != version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	const char *old_status = sv(cur, "status");
	const char *status = sv(patch, "status") ? sv(patch, "status") : old_status;
	int64_t at = 0;
	const char *sat = sv(patch, "scheduled_at") ? sv(patch, "scheduled_at") : sv(cur, "scheduled_at");
	if (time_parse_iso8601(sat, &at) < 0) {
		rc = op_field(res, "scheduled_at", "must be an RFC 3339 date-time with offset");
		goto out;
	}
	if ((rc = check_held(status, at, now, res)) < 0)
		goto out;
	changes = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v) {
		json_t *ov = json_object_get(cur, k);
		if (!strcmp(k, "plan_version_id"))
			ov = json_object_get(json_object_get(cur, "plan_version"), "id");
		else if (!strcmp(k, "plan_version_label"))
			ov = json_object_get(json_object_get(cur, "plan_version"), "label");
		if (!json_equal(v, ov ? ov : json_null()))
			json_object_set_new(changes, k, json_pack("{s:O?, s:O}", "from",
								  !strcmp(k, "participants") ? NULL : ov,
								  "to", !strcmp(k, "participants") ? json_integer((json_int_t)json_array_size(v)) : v));
	}
	if (json_object_size(changes) == 0) {
		*out = cur;
		cur = NULL;
		rc = 0;
		goto out;
	}
	const char *tv[6];
	for (int i = 0; text_cols[i]; i++)
		tv[i] = sv(patch, text_cols[i]);
	obj = json_object_get(patch, "objectives") ? json_dumps(json_object_get(patch, "objectives"), JSON_COMPACT) : NULL;
	inj = json_object_get(patch, "injects") ? json_dumps(json_object_get(patch, "injects"), JSON_COMPACT) : NULL;
	fnd = json_object_get(patch, "findings") ? json_dumps(json_object_get(patch, "findings"), JSON_COMPACT) : NULL;
	json_t *dur = json_object_get(patch, "duration_minutes");
	json_t *pv = json_object_get(patch, "plan_version_id");
	json_t *pl = json_object_get(patch, "plan_version_label");
	int pv_mode = !pv ? 0 : json_is_null(pv) ? 2 : 1;
	bool held = !strcmp(status, "held");
	rc = db_exec(db,
		     "UPDATE exercises SET kind = COALESCE($3, kind), title = COALESCE($4, title),"
		     " scenario = COALESCE($5, scenario), observations = COALESCE($6, observations),"
		     " lessons_learned = COALESCE($7, lessons_learned),"
		     " facilitator = COALESCE($8, facilitator),"
		     " objectives = COALESCE($9, objectives), injects = COALESCE($10, injects),"
		     " findings = COALESCE($11, findings), scheduled_at = CAST($12 AS BIGINT),"
		     " duration_minutes = CASE WHEN $13 = 1 THEN CAST($14 AS BIGINT)"
		     "  WHEN $13 = 2 THEN NULL ELSE duration_minutes END,"
		     " status = $15, held_at = CASE WHEN $16 = 1 THEN CAST($12 AS BIGINT) ELSE NULL END,"
		     " plan_version_id = CASE WHEN $17 = 1 THEN CAST($18 AS TEXT) WHEN $17 = 2 THEN NULL"
		     "  ELSE plan_version_id END,"
		     " plan_version_label = CASE WHEN $17 = 1 THEN COALESCE(CAST($19 AS TEXT), plan_version_label, '')"
		     "  WHEN $17 = 2 THEN NULL WHEN $20 = 1 THEN CAST($19 AS TEXT) ELSE plan_version_label END,"
		     " updated_at = $21, version = version + 1"
		     " WHERE org_id = $1 AND uid = $2 AND version = $22",
		     22,
		     DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(tv[0]), DB_TEXT(tv[1]), DB_TEXT(tv[2]),
			 DB_TEXT(tv[3]), DB_TEXT(tv[4]), DB_TEXT(tv[5]), DB_TEXT(obj), DB_TEXT(inj),
			 DB_TEXT(fnd), DB_INT(at), DB_INT(!dur ? 0 : json_is_null(dur) ? 2 : 1),
			 DB_INT(json_integer_value(dur)), DB_TEXT(status), DB_INT(held ? 1 : 0),
			 DB_INT(pv_mode), DB_TEXT(json_string_value(pv)),
			 DB_TEXT(json_string_value(pl)), DB_INT(pl && !json_is_null(pl) ? 1 : 0),
			 DB_INT(now), DB_INT(version)));
	if (rc < 0)
		goto out;
	if (db_last_changes(db) != 1) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	json_t *ps = json_object_get(patch, "participants");
	if (ps) {
		int64_t id = 0;
		if ((rc = db_query_int(db, &id, "SELECT id FROM exercises WHERE org_id = $1 AND uid = $2",
				       2, DBV(DB_INT(org_id), DB_TEXT(uid)))) < 0)
			goto out;
		if ((rc = put_participants(db, org_id, id, ps)) < 0)
			goto out;
	}
	rc = audit_append(db, ac, org_id, "exercise.update", "exercise", uid, changes);
	if (rc < 0)
		goto out;
	rc = exercise_get(db, org_id, uid, now, out);
out:
	free(obj);
	free(inj);
	free(fnd);
	json_decref(cur);
	json_decref(changes);
	return rc;
}

int exercise_attendance(struct db *db, int64_t org_id, int64_t since, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT p.name, p.email, p.role, e.uid, e.title, e.kind, e.held_at"
			  " FROM exercise_participants p JOIN exercises e ON e.id = p.exercise_id"
			  " WHERE e.org_id = $1 AND e.status = 'held' AND p.attended = 1"
			  " AND e.held_at >= $2 ORDER BY e.held_at DESC, p.seq",
			  2, DBV(DB_INT(org_id), DB_INT(since)));
	if (rc < 0)
		return rc;
	*out = json_array();
	while (db_next(r)) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", rs_text(r, 0), "role",
				      rs_text(r, 2), "exercise_id", rs_text(r, 3), "exercise_title",
				      rs_text(r, 4), "kind", rs_text(r, 5), "held_at", rs_time(r, 6));
		json_object_set_new(o, "email", db_isnull(r, 1) ? json_null() : json_string(rs_text(r, 1)));
		json_array_append_new(*out, o);
	}
	db_res_free(r);
	return 0;
}
