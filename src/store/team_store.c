#include "store/team_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/oncall.h"
#include "core/plan_doc.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MEMBER_COLS                                                                            \
	"t.id, t.uid, t.name, u.email, t.email, t.phone, t.ooh_phone, t.chat_handle,"        \
	" t.time_zone, d.uid, d.name, t.active, t.contact_verified_at, t.created_at,"        \
	" t.updated_at, t.version"
#define MEMBER_FROM                                                                            \
	" FROM team_members t LEFT JOIN users u ON u.id = t.user_id"                          \
	" LEFT JOIN team_members d ON d.id = t.deputy_id"

static void fail(struct plan_err *e, int status, const char *field, const char *fmt, ...)
	PRINTF(4, 5);
static json_t *tj(const struct db_res *r, int col);
static json_t *date_json(int64_t t);
static int member_id(struct db *db, int64_t org_id, const char *uid, bool active_only,
		     int64_t *id);

static void fail(struct plan_err *e, int status, const char *field, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->status = status;
	if (field) {
		snprintf(e->detail, sizeof(e->detail), "%s %s", field, msg);
		json_decref(e->errors);
		e->errors = json_pack("[{s:s, s:s}]", "field", field, "message", msg);
	} else {
		snprintf(e->detail, sizeof(e->detail), "%s", msg);
	}
}

static json_t *tj(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

static json_t *date_json(int64_t t)
{
	int64_t y;
	unsigned m, d;
	time_civil_from_days(t >= 0 ? t / 86400 : -((-t + 86399) / 86400), &y, &m, &d);
	char buf[16];
	snprintf(buf, sizeof(buf), "%04d-%02u-%02u", (int)y, m, d);
	return json_string(buf);
}

static json_t *tval(int64_t t)
{
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	return json_string(buf);
}

static int member_id(struct db *db, int64_t org_id, const char *uid, bool active_only,
		     int64_t *id)
{
	return db_query_int(db, id,
			    "SELECT id FROM team_members WHERE org_id = $1 AND uid = $2"
			    " AND (active = 1 OR $3 = 0)",
			    3, DBV(DB_INT(org_id), DB_TEXT(uid), DB_INT(active_only ? 1 : 0)));
}

/* ---------------- roles ---------------- */

bool team_role_exists(struct db *db, int64_t org_id, const char *key)
{
	if (plan_in_list(plan_builtin_roles, key))
		return true;
	int64_t one;
	return db_query_int(db, &one, "SELECT id FROM team_roles WHERE org_id = $1 AND key = $2", 2,
			    DBV(DB_INT(org_id), DB_TEXT(key))) == 0;
}

int team_roles_list(struct db *db, int64_t org_id, json_t **items)
{
	static const char *const names[] = {"Incident commander", "Deputy incident commander",
					    "Technical lead", "Communications lead",
					    "Legal and privacy lead", "Executive sponsor"};
	json_t *arr = json_array();
	for (int i = 0; plan_builtin_roles[i]; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "key", plan_builtin_roles[i],
						     "name", names[i], "builtin", 1));
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT key, name, description FROM team_roles WHERE org_id = $1"
				  " ORDER BY key",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	while (db_next(r))
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "key", db_text(r, 0),
						     "name", db_text(r, 1), "description",
						     db_text(r, 2), "builtin", 0));
	db_res_free(r);
	*items = arr;
	return 0;
}

int team_role_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, json_t *body,
		     json_t **out, struct plan_err *err)
{
	const char *key = json_string_value(json_object_get(body, "key"));
	if (team_role_exists(db, org_id, key)) {
		fail(err, 409, "key", "'%s' is already a role", key);
		return SIRT_ECONFLICT;
	}
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *desc = json_string_value(json_object_get(body, "description"));
	int rc = db_exec(db,
			 "INSERT INTO team_roles(org_id, key, name, description, created_at)"
			 " VALUES ($1, $2, $3, $4, $5)",
			 5, DBV(DB_INT(org_id), DB_TEXT(key), DB_TEXT(name), DB_TEXT(desc ? desc : ""),
				DB_INT(time_now())));
	if (rc < 0)
		return rc;
	rc = audit_append(db, ac, org_id, "team.role.create", "team_role", key, body);
	if (rc < 0)
		return rc;
	*out = json_pack("{s:s, s:s, s:s, s:b}", "key", key, "name", name, "description",
			 desc ? desc : "", "builtin", 0);
	return 0;
}

/* ---------------- members ---------------- */

static int training_state(struct db *db, int64_t member, int64_t now, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT MAX(expires_on), MAX(completed_on), COUNT(*) FROM team_trainings"
			  " WHERE member_id = $1",
			  1, DBV(DB_INT(member)));
	if (rc < 0)
		return rc;
	json_t *o = NULL;
	if (db_next(r)) {
		int64_t n = db_int(r, 2);
		if (n == 0) {
			o = json_pack("{s:s, s:n, s:n}", "status", "missing", "last_completed_on",
				      "expires_on");
		} else {
			int64_t exp = db_int(r, 0);
			const char *st = exp <= now ? "expired" : exp <= now + 30 * 86400 ? "expiring"
											   : "current";
			o = json_pack("{s:s, s:o, s:o}", "status", st, "last_completed_on",
				      date_json(db_int(r, 1)), "expires_on", date_json(exp));
		}
	}
	db_res_free(r);
	*out = o ? o : json_pack("{s:s}", "status", "missing");
	return 0;
}

static int member_rows(struct db *db, int64_t org_id, const char *uid, bool inactive,
		       json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " MEMBER_COLS MEMBER_FROM
			  " WHERE t.org_id = $1 AND (CAST($2 AS TEXT) IS NULL OR t.uid = $2)"
			  " AND (t.active = 1 OR $3 = 1) ORDER BY t.name, t.id",
			  3, DBV(DB_INT(org_id), DB_TEXT(uid), DB_INT(inactive ? 1 : 0)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	json_t *ids = json_array();
	while (db_next(r)) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(db_text(r, 1)));
		json_object_set_new(o, "name", json_string(db_text(r, 2)));
		json_object_set_new(o, "user", db_text(r, 3) ? json_string(db_text(r, 3)) : json_null());
		for (int c = 4; c <= 7; c++) {
			static const char *const k[] = {"email", "phone", "ooh_phone", "chat_handle"};
			json_object_set_new(o, k[c - 4], db_text(r, c) ? json_string(db_text(r, c))
								     : json_null());
		}
		json_object_set_new(o, "time_zone", json_string(db_text(r, 8)));
		json_object_set_new(o, "deputy", db_isnull(r, 9) ? json_null()
					: json_pack("{s:s, s:s}", "id", db_text(r, 9), "name",
						    db_text(r, 10)));
		json_object_set_new(o, "active", json_boolean(db_int(r, 11) != 0));
		json_object_set_new(o, "contact_verified_at", tj(r, 12));
		json_object_set_new(o, "created_at", tj(r, 13));
		json_object_set_new(o, "updated_at", tj(r, 14));
		json_object_set_new(o, "version", json_integer(db_int(r, 15)));
		json_array_append_new(arr, o);
		json_array_append_new(ids, json_integer(db_int(r, 0)));
	}
	db_res_free(r);
	int64_t now = time_now();
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) {
		int64_t id = json_integer_value(json_array_get(ids, i));
		json_t *roles = json_array(), *tr = NULL;
		rc = db_query(db, &r, "SELECT role FROM team_member_roles WHERE member_id = $1 ORDER BY role",
			      1, DBV(DB_INT(id)));
		if (rc == 0) {
			while (db_next(r))
				json_array_append_new(roles, json_string(db_text(r, 0)));
			db_res_free(r);
			rc = training_state(db, id, now, &tr);
		}
		json_object_set_new(o, "roles", roles);
		if (rc < 0) {
			json_decref(arr);
			json_decref(ids);
			return rc;
		}
		json_object_set_new(o, "training", tr);
	}
	json_decref(ids);
	*items = arr;
	return 0;
}

int team_member_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	json_t *arr;
	int rc = member_rows(db, org_id, uid, true, &arr);
	if (rc < 0)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return SIRT_ENOTFOUND;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

int team_member_list(struct db *db, int64_t org_id, bool include_inactive, json_t **items)
{
	return member_rows(db, org_id, NULL, include_inactive, items);
}

int team_member_save(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		     int64_t expect_version, json_t *body, json_t **out, struct plan_err *err)
{
	int64_t id = 0, version = 0;
	int rc;
	if (uid) {
		struct db_res *r;
		rc = db_query(db, &r, "SELECT id, version FROM team_members WHERE org_id = $1 AND uid = $2",
			      2, DBV(DB_INT(org_id), DB_TEXT(uid)));
		if (rc < 0)
			return rc;
		if (db_next(r)) {
			id = db_int(r, 0);
			version = db_int(r, 1);
		}
		db_res_free(r);
		if (!id) {
			fail(err, 404, NULL, "no such team member");
			return SIRT_ENOTFOUND;
		}
		if (expect_version && expect_version != version) {
			fail(err, 412, NULL, "the member was changed since you read it (ETag mismatch)");
			return SIRT_EPRECOND;
		}
	}
	/* references: the sirt user, the deputy, the roles */
	json_t *user = json_object_get(body, "user");
	int64_t user_id = 0;
	if (json_is_string(user)) {
		rc = db_query_int(db, &user_id,
				  "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id"
				  " WHERE m.org_id = $1 AND u.email = $2",
				  2, DBV(DB_INT(org_id), DB_TEXT(json_string_value(user))));
		if (rc == SIRT_ENOTFOUND) {
			fail(err, 422, "user", "is not the e-mail of a sirt user in this organisation");
			return SIRT_EINVAL;
		}
		if (rc < 0)
			return rc;
		int64_t other = 0;
		rc = db_query_int(db, &other,
				  "SELECT id FROM team_members WHERE org_id = $1 AND user_id = $2 AND id <> $3",
				  3, DBV(DB_INT(org_id), DB_INT(user_id), DB_INT(id)));
		if (rc == 0) {
			fail(err, 409, "user", "is already linked to another team member");
			return SIRT_ECONFLICT;
		}
		if (rc != SIRT_ENOTFOUND)
			return rc;
	}
	json_t *dep = json_object_get(body, "deputy");
	int64_t dep_id = 0;
	if (json_is_string(dep)) {
		if (uid && !strcmp(json_string_value(dep), uid)) {
			fail(err, 422, "deputy", "must be another member, not the member themself");
			return SIRT_EINVAL;
		}
		rc = member_id(db, org_id, json_string_value(dep), true, &dep_id);
		if (rc == SIRT_ENOTFOUND) {
			fail(err, 422, "deputy", "is not the id of an active team member");
			return SIRT_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	json_t *roles = json_object_get(body, "roles");
	size_t i;
	json_t *x;
	json_array_foreach(roles, i, x) {
		if (!team_role_exists(db, org_id, json_string_value(x))) {
			char f[32];
			snprintf(f, sizeof(f), "roles[%zu]", i);
			fail(err, 422, f, "'%s' is not a role: use a built-in role or define it first"
					  " (POST /api/v1/team/roles)",
			     json_string_value(x));
			return SIRT_EINVAL;
		}
	}
	int64_t now = time_now();
	const char *tz = json_string_value(json_object_get(body, "time_zone"));
	json_t *active = json_object_get(body, "active");
	/* each optional text column: kept when absent, cleared by null */
	static const char *const cols[] = {"email", "phone", "ooh_phone", "chat_handle"};
	int set[4];
	const char *val[4];
	for (int c = 0; c < 4; c++) {
		json_t *v = json_object_get(body, cols[c]);
		set[c] = v != NULL;
		val[c] = json_string_value(v);
	}
	char nuid[37];
	if (!uid) {
		rand_uuid(nuid);
		uid = nuid;
		rc = db_query_int(db, &id,
				  "INSERT INTO team_members(uid, org_id, name, user_id, email, phone, ooh_phone,"
				  " chat_handle, time_zone, deputy_id, active, created_at, updated_at)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING id",
				  11, DBV(DB_TEXT(uid), DB_INT(org_id),
					  DB_TEXT(json_string_value(json_object_get(body, "name"))),
					  user_id ? DB_INT(user_id) : DB_NULL(), DB_TEXT(val[0]),
					  DB_TEXT(val[1]), DB_TEXT(val[2]), DB_TEXT(val[3]),
					  DB_TEXT(tz ? tz : "UTC"), dep_id ? DB_INT(dep_id) : DB_NULL(),
					  DB_INT(now)));
	} else {
		rc = db_exec(db,
			     "UPDATE team_members SET name = COALESCE($2, name),"
			     " user_id = CASE WHEN $3 = 1 THEN $4 ELSE user_id END,"
			     " email = CASE WHEN $5 = 1 THEN $6 ELSE email END,"
			     " phone = CASE WHEN $7 = 1 THEN $8 ELSE phone END,"
			     " ooh_phone = CASE WHEN $9 = 1 THEN $10 ELSE ooh_phone END,"
			     " chat_handle = CASE WHEN $11 = 1 THEN $12 ELSE chat_handle END,"
			     " time_zone = COALESCE($13, time_zone),"
			     " deputy_id = CASE WHEN $14 = 1 THEN $15 ELSE deputy_id END,"
			     " active = COALESCE($16, active), updated_at = $17, version = version + 1"
			     " WHERE id = $1",
			     17,
			     DBV(DB_INT(id), DB_TEXT(json_string_value(json_object_get(body, "name"))),
				 DB_INT(user ? 1 : 0), user_id ? DB_INT(user_id) : DB_NULL(),
				 DB_INT(set[0]), DB_TEXT(val[0]), DB_INT(set[1]), DB_TEXT(val[1]),
				 DB_INT(set[2]), DB_TEXT(val[2]), DB_INT(set[3]), DB_TEXT(val[3]),
				 DB_TEXT(tz), DB_INT(dep ? 1 : 0), dep_id ? DB_INT(dep_id) : DB_NULL(),
				 active ? DB_INT(json_is_true(active) ? 1 : 0) : DB_NULL(), DB_INT(now)));
	}
	if (rc < 0)
		return rc;
	if (roles) {
		rc = db_exec(db, "DELETE FROM team_member_roles WHERE member_id = $1", 1, DBV(DB_INT(id)));
		json_array_foreach(roles, i, x) {
			if (rc < 0)
				break;
			rc = db_exec(db,
				     "INSERT INTO team_member_roles(org_id, member_id, role) VALUES ($1, $2, $3)"
				     " ON CONFLICT DO NOTHING",
				     3, DBV(DB_INT(org_id), DB_INT(id), DB_TEXT(json_string_value(x))));
		}
		if (rc < 0)
			return rc;
	}
	rc = audit_append(db, ac, org_id, version ? "team.member.update" : "team.member.create",
			  "team_member", uid, body);
	if (rc < 0)
		return rc;
	return team_member_get(db, org_id, uid, out);
}

/* ---------------- training ---------------- */

int team_training_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      const char *member_uid, json_t *body, int64_t completed_on,
		      int64_t expires_on, json_t **out, struct plan_err *err)
{
	int64_t mid;
	int rc = member_id(db, org_id, member_uid, false, &mid);
	if (rc == SIRT_ENOTFOUND) {
		fail(err, 422, "member", "is not the id of a team member");
		return SIRT_EINVAL;
	}
	if (rc < 0)
		return rc;
	if (!expires_on)
		expires_on = plan_add_months(completed_on, TRAINING_DEFAULT_MONTHS);
	char uid[37];
	rand_uuid(uid);
	const char *provider = json_string_value(json_object_get(body, "provider"));
	const char *notes = json_string_value(json_object_get(body, "notes"));
	rc = db_exec(db,
		     "INSERT INTO team_trainings(uid, org_id, member_id, course, provider, completed_on,"
		     " expires_on, notes, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7,"
		     " $8, $9, $10)",
		     10, DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(mid),
			     DB_TEXT(json_string_value(json_object_get(body, "course"))),
			     DB_TEXT(provider ? provider : ""), DB_INT(completed_on), DB_INT(expires_on),
			     DB_TEXT(notes ? notes : ""), DB_INT(time_now()), DB_TEXT(ac->actor)));
	if (rc < 0)
		return rc;
	rc = audit_append(db, ac, org_id, "team.training.create", "team_training", uid, body);
	if (rc < 0)
		return rc;
	*out = json_pack("{s:s, s:s, s:O, s:s, s:o, s:o, s:s}", "id", uid, "member", member_uid,
			 "course", json_object_get(body, "course"), "provider", provider ? provider : "",
			 "completed_on", date_json(completed_on), "expires_on", date_json(expires_on),
			 "notes", notes ? notes : "");
	return 0;
}

int team_training_list(struct db *db, int64_t org_id, const char *member_uid, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT tr.uid, m.uid, m.name, tr.course, tr.provider, tr.completed_on,"
			  " tr.expires_on, tr.notes FROM team_trainings tr JOIN team_members m"
			  " ON m.id = tr.member_id WHERE tr.org_id = $1"
			  " AND (CAST($2 AS TEXT) IS NULL OR m.uid = $2)"
			  " ORDER BY tr.completed_on DESC, tr.id DESC",
			  2, DBV(DB_INT(org_id), DB_TEXT(member_uid)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int64_t now = time_now();
	while (db_next(r))
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b}", "id",
				       db_text(r, 0), "member", db_text(r, 1), "member_name",
				       db_text(r, 2), "course", db_text(r, 3), "provider",
				       db_text(r, 4), "completed_on", date_json(db_int(r, 5)),
				       "expires_on", date_json(db_int(r, 6)), "notes", db_text(r, 7),
				       "expired", db_int(r, 6) <= now));
	db_res_free(r);
	*items = arr;
	return 0;
}

int team_training_gaps(struct db *db, int64_t org_id, int64_t now, json_t **out)
{
	json_t *members;
	int rc = member_rows(db, org_id, NULL, false, &members);
	if (rc < 0)
		return rc;
	json_t *missing = json_array(), *expired = json_array(), *expiring = json_array();
	size_t i;
	json_t *m;
	size_t current = 0;
	json_array_foreach(members, i, m) {
		json_t *tr = json_object_get(m, "training");
		const char *st = json_string_value(json_object_get(tr, "status"));
		json_t *e = json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(m, "id"), "name",
				      json_object_get(m, "name"), "roles", json_object_get(m, "roles"),
				      "expires_on",
				      json_object_get(tr, "expires_on") ? json_object_get(tr, "expires_on")
									: json_null());
		if (!strcmp(st, "missing"))
			json_array_append_new(missing, e);
		else if (!strcmp(st, "expired"))
			json_array_append_new(expired, e);
		else {
			if (!strcmp(st, "expiring"))
				json_array_append(expiring, e);
			json_decref(e);
			current++;
		}
	}
	size_t total = json_array_size(members);
	json_decref(members);
	*out = json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:o}", "as_of", tval(now),
			 "summary", "members", (json_int_t)total, "trained", (json_int_t)current,
			 "missing", (json_int_t)json_array_size(missing), "expired",
			 (json_int_t)json_array_size(expired), "expiring_within_30_days",
			 (json_int_t)json_array_size(expiring), "missing", missing, "expired", expired,
			 "expiring", expiring);
	return 0;
}

/* ---------------- contact verification ---------------- */

int team_verify_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *member_uid, json_t **out, struct plan_err *err)
{
	json_t *m;
	int rc = team_member_get(db, org_id, member_uid, &m);
	if (rc == SIRT_ENOTFOUND) {
		fail(err, 404, NULL, "no such team member");
		return rc;
	}
	if (rc < 0)
		return rc;
	json_t *details = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(m, "name"),
				    "email", json_object_get(m, "email"), "phone",
				    json_object_get(m, "phone"), "ooh_phone",
				    json_object_get(m, "ooh_phone"), "chat_handle",
				    json_object_get(m, "chat_handle"), "time_zone",
				    json_object_get(m, "time_zone"));
	json_decref(m);
	char token[65], hash[65], uid[37];
	rand_hex(token, 32);
	sha256_hex(hash, token, 64);
	rand_uuid(uid);
	int64_t now = time_now(), exp = now + VERIFY_TTL_DAYS * 86400, mid;
	char *dtext = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	rc = member_id(db, org_id, member_uid, false, &mid);
	if (rc == 0)
		rc = db_exec(db,
			     "INSERT INTO contact_verifications(uid, org_id, member_id, token_hash, details,"
			     " created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			     8, DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(mid), DB_TEXT(hash),
				    DB_TEXT(dtext), DB_INT(now), DB_TEXT(ac->actor), DB_INT(exp)));
	free(dtext);
	json_decref(details);
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:s, s:s}", "member", member_uid, "verification", uid);
	rc = audit_append(db, ac, org_id, "team.contact.verify_request", "team_member", member_uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	char link[100];
	snprintf(link, sizeof(link), "/verify/%s", token);
	*out = json_pack("{s:s, s:s, s:s, s:o}", "id", uid, "link", link, "token", token,
			 "expires_at", tval(exp));
	return 0;
}

static bool token_shape_ok(const char *t)
{
	return t && strlen(t) == 64 && strspn(t, "0123456789abcdef") == 64;
}

struct vrec {
	int64_t id, org_id, member_id, expires_at, answered_at;
	char member_uid[37], name[256], answer[16];
	json_t *details;
};

static int verify_load(struct db *db, const char *token, struct vrec *v, struct plan_err *err)
{
	memset(v, 0, sizeof(*v));
	if (!token_shape_ok(token)) {
		fail(err, 404, NULL, "this verification link is not valid");
		return SIRT_ENOTFOUND;
	}
	char hash[65];
	sha256_hex(hash, token, 64);
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT c.id, c.org_id, c.member_id, c.expires_at, c.answered_at, m.uid, m.name,"
			  " c.answer, c.details FROM contact_verifications c JOIN team_members m"
			  " ON m.id = c.member_id WHERE c.token_hash = $1",
			  1, DBV(DB_TEXT(hash)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		v->id = db_int(r, 0);
		v->org_id = db_int(r, 1);
		v->member_id = db_int(r, 2);
		v->expires_at = db_int(r, 3);
		v->answered_at = db_isnull(r, 4) ? 0 : db_int(r, 4);
		snprintf(v->member_uid, sizeof(v->member_uid), "%s", db_text(r, 5));
		snprintf(v->name, sizeof(v->name), "%s", db_text(r, 6));
		snprintf(v->answer, sizeof(v->answer), "%s", db_text(r, 7) ? db_text(r, 7) : "");
		v->details = json_loads(db_text(r, 8), 0, NULL);
		rc = 0;
	}
	db_res_free(r);
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, NULL, "this verification link is not valid");
	return rc;
}

int team_verify_show(struct db *db, const char *token, int64_t now, json_t **out,
		     struct plan_err *err)
{
	struct vrec v;
	int rc = verify_load(db, token, &v, err);
	if (rc < 0)
		return rc;
	*out = json_pack("{s:s, s:o, s:o, s:b, s:b, s:o}", "name", v.name, "details",
			 v.details ? v.details : json_object(), "expires_at", tval(v.expires_at),
			 "expired", now >= v.expires_at, "answered", v.answered_at != 0, "answer",
			 v.answered_at ? json_string(v.answer) : json_null());
	return 0;
}

int team_verify_answer(struct db *db, const char *token, const char *answer,
		       const char *correction, const char *client_addr, const char *request_id,
		       int64_t now, json_t **out, struct plan_err *err)
{
	struct vrec v;
	int rc = verify_load(db, token, &v, err);
	if (rc < 0)
		return rc;
	json_decref(v.details);
	if (v.answered_at) {
		fail(err, 409, NULL, "this link has already been used (answered %s)", v.answer);
		return SIRT_ECONFLICT;
	}
	if (now >= v.expires_at) {
		fail(err, 410, NULL, "this verification link has expired; ask for a new one");
		return SIRT_ECONFLICT;
	}
	rc = db_exec(db,
		     "UPDATE contact_verifications SET answered_at = $2, answer = $3, correction = $4"
		     " WHERE id = $1 AND answered_at IS NULL",
		     4, DBV(DB_INT(v.id), DB_INT(now), DB_TEXT(answer), DB_TEXT(correction)));
	if (rc < 0)
		return rc;
	if (!strcmp(answer, "confirmed"))
		rc = db_exec(db, "UPDATE team_members SET contact_verified_at = $2 WHERE id = $1", 2,
			     DBV(DB_INT(v.member_id), DB_INT(now)));
	if (rc < 0)
		return rc;
	char actor[80];
	snprintf(actor, sizeof(actor), "verify-link:%s", v.member_uid);
	struct audit_ctx ac = {.actor = actor, .request_id = request_id, .client_addr = client_addr};
	json_t *det = json_pack("{s:s, s:s?}", "answer", answer, "correction", correction);
	rc = audit_append(db, &ac, v.org_id, "team.contact.verify_answer", "team_member",
			  v.member_uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	*out = json_pack("{s:s, s:s, s:o}", "name", v.name, "answer", answer, "answered_at", tval(now));
	return 0;
}

/* ---------------- on-call ---------------- */

static int rotation_json(struct db *db, int64_t org_id, int64_t id, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT uid, role, name, time_zone, layers, created_at, updated_at, version"
			  " FROM oncall_rotations WHERE org_id = $1 AND id = $2",
			  2, DBV(DB_INT(org_id), DB_INT(id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	json_t *layers = json_loads(db_text(r, 4), 0, NULL);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "id", db_text(r, 0), "role",
			      db_text(r, 1), "name", db_text(r, 2), "time_zone", db_text(r, 3),
			      "layers", layers ? layers : json_array(), "created_at", tj(r, 5),
			      "updated_at", tj(r, 6), "version", (json_int_t)db_int(r, 7));
	db_res_free(r);
	rc = db_query(db, &r,
		      "SELECT o.uid, m.uid, m.name, o.starts_at, o.ends_at, o.reason FROM oncall_overrides o"
		      " JOIN team_members m ON m.id = o.member_id WHERE o.rotation_id = $1"
		      " ORDER BY o.starts_at",
		      1, DBV(DB_INT(id)));
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	json_t *ov = json_array();
	while (db_next(r))
		json_array_append_new(ov, json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "id", db_text(r, 0),
						    "member", db_text(r, 1), "member_name",
						    db_text(r, 2), "starts_at", tj(r, 3), "ends_at",
						    tj(r, 4), "reason", db_text(r, 5)));
	db_res_free(r);
	json_object_set_new(o, "overrides", ov);
	*out = o;
	return 0;
}

int oncall_rotation_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	int64_t id;
	int rc = db_query_int(db, &id, "SELECT id FROM oncall_rotations WHERE org_id = $1 AND uid = $2",
			      2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	return rotation_json(db, org_id, id, out);
}

int oncall_rotation_list(struct db *db, int64_t org_id, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT id FROM oncall_rotations WHERE org_id = $1 ORDER BY role", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	int64_t ids[256];
	size_t n = 0;
	while (db_next(r) && n < 256)
		ids[n++] = db_int(r, 0);
	db_res_free(r);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o;
		if ((rc = rotation_json(db, org_id, ids[i], &o)) < 0) {
			json_decref(arr);
			return rc;
		}
		json_array_append_new(arr, o);
	}
	*items = arr;
	return 0;
}

int oncall_rotation_save(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *uid, json_t *body, json_t **out, struct plan_err *err)
{
	const char *role = json_string_value(json_object_get(body, "role"));
	json_t *layers = json_object_get(body, "layers");
	int rc;
	if (role && !team_role_exists(db, org_id, role)) {
		fail(err, 422, "role", "'%s' is not a role", role);
		return SIRT_EINVAL;
	}
	/* every member named in the layers is an active member of this organisation */
	size_t i, j;
	json_t *l, *m;
	json_array_foreach(layers, i, l) {
		json_array_foreach(json_object_get(l, "members"), j, m) {
			int64_t mid;
			rc = member_id(db, org_id, json_string_value(m), true, &mid);
			if (rc == SIRT_ENOTFOUND) {
				char f[64];
				snprintf(f, sizeof(f), "layers[%zu].members[%zu]", i, j);
				fail(err, 422, f, "is not the id of an active team member");
				return SIRT_EINVAL;
			}
			if (rc < 0)
				return rc;
		}
	}
	int64_t now = time_now(), id = 0;
	char *ltext = json_dumps(layers, JSON_COMPACT);
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *tz = json_string_value(json_object_get(body, "time_zone"));
	char nuid[37];
	if (!uid) {
		int64_t other;
		rc = db_query_int(db, &other, "SELECT id FROM oncall_rotations WHERE org_id = $1 AND role = $2",
				  2, DBV(DB_INT(org_id), DB_TEXT(role)));
		if (rc == 0) {
			free(ltext);
			fail(err, 409, "role", "already has a rotation: change that one instead");
			return SIRT_ECONFLICT;
		}
		rand_uuid(nuid);
		uid = nuid;
		rc = db_query_int(db, &id,
				  "INSERT INTO oncall_rotations(uid, org_id, role, name, time_zone, layers,"
				  " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
				  7, DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(role),
					 DB_TEXT(name ? name : role), DB_TEXT(tz ? tz : "UTC"),
					 DB_TEXT(ltext), DB_INT(now)));
	} else {
		rc = db_query_int(db, &id, "SELECT id FROM oncall_rotations WHERE org_id = $1 AND uid = $2",
				  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
		if (rc == SIRT_ENOTFOUND)
			fail(err, 404, NULL, "no such rotation");
		if (rc == 0)
			rc = db_exec(db,
				     "UPDATE oncall_rotations SET name = COALESCE($2, name),"
				     " time_zone = COALESCE($3, time_zone), layers = COALESCE($4, layers),"
				     " updated_at = $5, version = version + 1 WHERE id = $1",
				     5, DBV(DB_INT(id), DB_TEXT(name), DB_TEXT(tz),
					    DB_TEXT(layers ? ltext : NULL), DB_INT(now)));
	}
	free(ltext);
	if (rc < 0)
		return rc;
	rc = audit_append(db, ac, org_id, id && uid != nuid ? "oncall.rotation.update"
							    : "oncall.rotation.create",
			  "oncall_rotation", uid, body);
	if (rc < 0)
		return rc;
	return rotation_json(db, org_id, id, out);
}

int oncall_override_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *rotation_uid, const char *member_uid, int64_t starts_at,
			int64_t ends_at, const char *reason, json_t **out, struct plan_err *err)
{
	int64_t rid, mid;
	int rc = db_query_int(db, &rid, "SELECT id FROM oncall_rotations WHERE org_id = $1 AND uid = $2",
			      2, DBV(DB_INT(org_id), DB_TEXT(rotation_uid)));
	if (rc == SIRT_ENOTFOUND)
		fail(err, 404, NULL, "no such rotation");
	if (rc < 0)
		return rc;
	rc = member_id(db, org_id, member_uid, true, &mid);
	if (rc == SIRT_ENOTFOUND) {
		fail(err, 422, "member", "is not the id of an active team member");
		return SIRT_EINVAL;
	}
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT o.uid, o.starts_at, o.ends_at, m.name FROM oncall_overrides o"
		      " JOIN team_members m ON m.id = o.member_id"
		      " WHERE o.rotation_id = $1 AND o.starts_at < $3 AND $2 < o.ends_at"
		      " ORDER BY o.starts_at LIMIT 1",
		      3, DBV(DB_INT(rid), DB_INT(starts_at), DB_INT(ends_at)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		char a[ISO8601_LEN], b[ISO8601_LEN];
		time_format_iso8601(db_int(r, 1), a);
		time_format_iso8601(db_int(r, 2), b);
		fail(err, 422, "starts_at", "overlaps the override %s (%s, %s to %s): overrides of a"
					    " rotation must not overlap",
		     db_text(r, 0), db_text(r, 3), a, b);
		db_res_free(r);
		return SIRT_EINVAL;
	}
	db_res_free(r);
	char uid[37];
	rand_uuid(uid);
	rc = db_exec(db,
		     "INSERT INTO oncall_overrides(uid, org_id, rotation_id, member_id, starts_at,"
		     " ends_at, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		     9, DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(rid), DB_INT(mid), DB_INT(starts_at),
			    DB_INT(ends_at), DB_TEXT(reason ? reason : ""), DB_INT(time_now()),
			    DB_TEXT(ac->actor)));
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:s, s:s, s:o, s:o}", "override", uid, "member", member_uid,
				"starts_at", tval(starts_at), "ends_at", tval(ends_at));
	rc = audit_append(db, ac, org_id, "oncall.override.create", "oncall_rotation", rotation_uid, det);
	json_decref(det);
	if (rc < 0)
		return rc;
	return rotation_json(db, org_id, rid, out);
}

int oncall_override_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const char *rotation_uid, const char *override_uid, struct plan_err *err)
{
	int rc = db_exec(db,
			 "DELETE FROM oncall_overrides WHERE org_id = $1 AND uid = $3 AND rotation_id ="
			 " (SELECT id FROM oncall_rotations WHERE org_id = $1 AND uid = $2)",
			 3, DBV(DB_INT(org_id), DB_TEXT(rotation_uid), DB_TEXT(override_uid)));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) != 1) {
		fail(err, 404, NULL, "no such override");
		return SIRT_ENOTFOUND;
	}
	json_t *det = json_pack("{s:s}", "override", override_uid);
	rc = audit_append(db, ac, org_id, "oncall.override.delete", "oncall_rotation", rotation_uid, det);
	json_decref(det);
	return rc;
}

int oncall_now(struct db *db, int64_t org_id, int64_t t, json_t **out)
{
	json_t *rots;
	int rc = oncall_rotation_list(db, org_id, &rots);
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	size_t i;
	json_t *ro;
	json_array_foreach(rots, i, ro) {
		struct oncall_rotation *rot = xcalloc(1, sizeof(*rot));
		json_t *errors = NULL;
		struct oncall_tz *tz = NULL;
		json_t *e = json_pack("{s:O, s:O, s:O}", "role", json_object_get(ro, "role"),
				      "rotation", json_object_get(ro, "id"), "rotation_name",
				      json_object_get(ro, "name"));
		if (oncall_layers_parse(json_object_get(ro, "layers"), "layers", rot, &errors) < 0 ||
		    oncall_tz_load(json_string_value(json_object_get(ro, "time_zone")), &tz) < 0) {
			json_decref(errors);
			json_object_set_new(e, "member", json_null());
			json_object_set_new(e, "problem", json_string("the rotation cannot be read"));
			json_array_append_new(arr, e);
			free(rot);
			continue;
		}
		rot->tz = tz;
		/* the overrides in force at t (at most one: they do not overlap) */
		json_t *ovs = json_object_get(ro, "overrides");
		struct oncall_override ov[1];
		size_t nov = 0;
		size_t k;
		json_t *o;
		json_array_foreach(ovs, k, o) {
			int64_t s, en;
			if (time_parse_iso8601(json_string_value(json_object_get(o, "starts_at")), &s) < 0 ||
			    time_parse_iso8601(json_string_value(json_object_get(o, "ends_at")), &en) < 0)
				continue;
			if (t >= s && t < en && nov == 0) {
				ov[0].member = json_string_value(json_object_get(o, "member"));
				ov[0].start = s;
				ov[0].end = en;
				nov = 1;
			}
		}
		struct oncall_answer a;
		if (oncall_who(rot, ov, nov, t, &a) < 0) {
			json_object_set_new(e, "member", json_null());
			json_object_set_new(e, "problem", json_string("no layer covers this time"));
		} else {
			json_t *m = NULL;
			if (team_member_get(db, org_id, a.member, &m) < 0)
				m = json_pack("{s:s}", "id", a.member);
			json_object_set_new(e, "member",
					    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id",
						      json_object_get(m, "id"), "name",
						      json_object_get(m, "name") ? json_object_get(m, "name") : json_null(),
						      "email", json_object_get(m, "email") ? json_object_get(m, "email") : json_null(),
						      "phone", json_object_get(m, "phone") ? json_object_get(m, "phone") : json_null(),
						      "ooh_phone", json_object_get(m, "ooh_phone") ? json_object_get(m, "ooh_phone") : json_null(),
						      "chat_handle", json_object_get(m, "chat_handle") ? json_object_get(m, "chat_handle") : json_null()));
			json_decref(m);
			json_object_set_new(e, "source", json_string(a.layer < 0 ? "override" : "schedule"));
			json_object_set_new(e, "layer", a.layer < 0 ? json_null()
							: json_string(rot->layers[a.layer].name));
			json_object_set_new(e, "from", tval(a.from));
			json_object_set_new(e, "until", tval(a.until));
		}
		oncall_tz_free(tz);
		free(rot);
		json_array_append_new(arr, e);
	}
	json_decref(rots);
	*out = json_pack("{s:o, s:o}", "at", tval(t), "roles", arr);
	return 0;
}
