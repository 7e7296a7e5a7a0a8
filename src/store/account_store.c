#include "store/account_store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int user_uid_of(struct db *db, int64_t user_id, char uid[37]);
static json_t *member_json(struct db_res *r);

void org_slugify(const char *name, char *out, size_t outlen)
{
	size_t o = 0;
	bool dash = false;
	for (const unsigned char *p = (const unsigned char *)name; *p && o + 2 < outlen; p++) {
		if (isalnum(*p) && *p < 0x80) {
			if (dash && o > 0)
				out[o++] = '-';
			dash = false;
			out[o++] = (char)tolower(*p);
		} else {
			dash = true;
		}
	}
	if (o == 0 && outlen > 4)
		o = (size_t)snprintf(out, outlen, "org");
	out[o] = '\0';
}

int org_find(struct db *db, const char *name, int64_t *id_out)
{
	return db_query_int(db, id_out, "SELECT id FROM orgs WHERE name = $1", 1, DBV(DB_TEXT(name)));
}

int org_find_any(struct db *db, const char *key, int64_t *id_out)
{
	return db_query_int(db, id_out,
			    "SELECT id FROM orgs WHERE name = $1 OR slug = $1 OR uid = $1"
			    " ORDER BY id LIMIT 1",
			    1, DBV(DB_TEXT(key)));
}

int org_create(struct db *db, const struct audit_ctx *ac, const char *name, int64_t *id_out,
	       char uid_out[37])
{
	char uid[37], base[64], slug[80];
	rand_uuid(uid);
	org_slugify(name, base, sizeof(base));
	snprintf(slug, sizeof(slug), "%s", base);
	for (int i = 2;; i++) {
		int64_t other;
		int rc = db_query_int(db, &other, "SELECT id FROM orgs WHERE slug = $1", 1,
				      DBV(DB_TEXT(slug)));
		if (rc == SIRT_ENOTFOUND)
			break;
		if (rc < 0)
			return rc;
		if (i > 1000)
			return SIRT_ECONFLICT;
		snprintf(slug, sizeof(slug), "%s-%d", base, i);
	}
	int rc = db_query_int(db, id_out,
			      "INSERT INTO orgs(uid, name, slug, created_at) VALUES ($1, $2, $3, $4)"
			      " RETURNING id",
			      4, DBV(DB_TEXT(uid), DB_TEXT(name), DB_TEXT(slug), DB_INT(time_now())));
	if (rc < 0)
		return db_last_was_constraint(db) ? SIRT_ECONFLICT : rc;
	if (uid_out)
		memcpy(uid_out, uid, 37);
	json_t *d = json_pack("{s:s, s:s}", "name", name, "slug", slug);
	rc = audit_append(db, ac, 0, "org.create", "org", uid, d);
	if (rc == 0)
		rc = audit_append(db, ac, *id_out, "org.create", "org", uid, d);
	json_decref(d);
	return rc;
}

int org_list(struct db *db, int64_t user_id, json_t **out)
{
	struct db_res *r;
	int rc;
	if (user_id)
		rc = db_query(db, &r,
			      "SELECT o.uid, o.name, o.slug, o.created_at, m.role, m.expires_at"
			      " FROM orgs o JOIN memberships m ON m.org_id = o.id"
			      " WHERE m.user_id = $1 ORDER BY o.name",
			      1, DBV(DB_INT(user_id)));
	else
		rc = db_query(db, &r,
			      "SELECT uid, name, slug, created_at, NULL, NULL FROM orgs ORDER BY name",
			      0, NULL);
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	while (db_next(r)) {
		char ts[ISO8601_LEN];
		time_format_iso8601(db_int(r, 3), ts);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", db_text(r, 0), "name",
				      db_text(r, 1), "slug", db_text(r, 2), "created_at", ts);
		if (!db_isnull(r, 4))
			json_object_set_new(o, "role", json_string(db_text(r, 4)));
		if (!db_isnull(r, 5)) {
			time_format_iso8601(db_int(r, 5), ts);
			json_object_set_new(o, "expires_at", json_string(ts));
		}
		json_array_append_new(a, o);
	}
	db_res_free(r);
	*out = a;
	return 0;
}

int user_find(struct db *db, const char *email, int64_t *id_out)
{
	return db_query_int(db, id_out, "SELECT id FROM users WHERE email = $1", 1,
			    DBV(DB_TEXT(email)));
}

int user_find_uid(struct db *db, const char *uid, int64_t *id_out)
{
	return db_query_int(db, id_out, "SELECT id FROM users WHERE uid = $1", 1, DBV(DB_TEXT(uid)));
}

static int user_uid_of(struct db *db, int64_t user_id, char uid[37])
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT uid FROM users WHERE id = $1", 1, DBV(DB_INT(user_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		snprintf(uid, 37, "%s", db_text(r, 0));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int audit_user_orgs(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		    const char *action, const char *object_id, json_t *details)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT org_id FROM memberships WHERE user_id = $1 ORDER BY org_id",
			  1, DBV(DB_INT(user_id)));
	if (rc < 0)
		return rc;
	int64_t orgs[64];
	int n = 0;
	while (db_next(r) && n < 64)
		orgs[n++] = db_int(r, 0);
	db_res_free(r);
	if (n == 0)
		orgs[n++] = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = audit_append(db, ac, orgs[i], action, "user", object_id, details);
	return rc;
}

int user_create(struct db *db, const struct audit_ctx *ac, const struct user_new *u,
		int64_t *id_out, char uid_out[37])
{
	char uid[37];
	rand_uuid(uid);
	int64_t now = time_now();
	int rc = db_query_int(
		db, id_out,
		"INSERT INTO users(uid, email, display_name, time_zone, password_hash, superadmin,"
		" password_changed_at, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
		8,
		DBV(DB_TEXT(uid), DB_TEXT(u->email), DB_TEXT(u->display_name ? u->display_name : ""),
		    DB_TEXT(u->time_zone ? u->time_zone : "UTC"), DB_TEXT(u->password_hash),
		    DB_INT(u->superadmin ? 1 : 0), u->password_hash ? DB_INT(now) : DB_NULL(),
		    DB_INT(now)));
	if (rc < 0)
		return db_last_was_constraint(db) ? SIRT_ECONFLICT : rc;
	if (uid_out)
		memcpy(uid_out, uid, 37);
	json_t *d = json_pack("{s:s, s:s, s:s, s:b, s:b}", "email", u->email, "display_name",
			      u->display_name ? u->display_name : "", "time_zone",
			      u->time_zone ? u->time_zone : "UTC", "password_set",
			      u->password_hash != NULL, "superadmin", u->superadmin);
	rc = audit_append(db, ac, u->audit_org, "user.create", "user", uid, d);
	json_decref(d);
	return rc;
}

int user_set_password(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		      const char *password_hash)
{
	int64_t now = time_now();
	int rc = db_exec(db,
			 "UPDATE users SET password_hash = $2, password_changed_at = $3,"
			 " updated_at = $3 WHERE id = $1",
			 3, DBV(DB_INT(user_id), DB_TEXT(password_hash), DB_INT(now)));
	if (rc < 0)
		return rc;
	char uid[37];
	if ((rc = user_uid_of(db, user_id, uid)) < 0)
		return rc;
	/* The hash itself never enters the trail: only that it changed. */
	json_t *d = json_pack("{s:b}", "password_changed", 1);
	rc = audit_user_orgs(db, ac, user_id, "user.password", uid, d);
	json_decref(d);
	return rc;
}

int user_set_disabled(struct db *db, const struct audit_ctx *ac, int64_t user_id, bool disabled)
{
	int64_t now = time_now();
	int rc = db_exec(db, "UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1", 3,
			 DBV(DB_INT(user_id), DB_INT(disabled ? 1 : 0), DB_INT(now)));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) == 0)
		return SIRT_ENOTFOUND;
	int64_t revoked = 0;
	if (disabled) {
		rc = db_exec(db,
			     "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
			     2, DBV(DB_INT(user_id), DB_INT(now)));
		if (rc < 0)
			return rc;
		revoked = db_last_changes(db);
	}
	char uid[37];
	if ((rc = user_uid_of(db, user_id, uid)) < 0)
		return rc;
	json_t *d = json_pack("{s:b}", "disabled", disabled);
	if (disabled)
		json_object_set_new(d, "sessions_revoked", json_integer(revoked));
	rc = audit_user_orgs(db, ac, user_id, disabled ? "user.disable" : "user.enable", uid, d);
	json_decref(d);
	return rc;
}

int user_update_profile(struct db *db, const struct audit_ctx *ac, int64_t user_id,
			const char *display_name, const char *time_zone)
{
	if (!display_name && !time_zone)
		return 0;
	int rc = db_exec(db,
			 "UPDATE users SET display_name = COALESCE(CAST($2 AS TEXT), display_name),"
			 " time_zone = COALESCE(CAST($3 AS TEXT), time_zone), updated_at = $4"
			 " WHERE id = $1",
			 4,
			 DBV(DB_INT(user_id), DB_TEXT(display_name), DB_TEXT(time_zone),
			     DB_INT(time_now())));
	if (rc < 0)
		return rc;
	char uid[37];
	if ((rc = user_uid_of(db, user_id, uid)) < 0)
		return rc;
	json_t *d = json_object();
	if (display_name)
		json_object_set_new(d, "display_name", json_string(display_name));
	if (time_zone)
		json_object_set_new(d, "time_zone", json_string(time_zone));
	rc = audit_user_orgs(db, ac, user_id, "user.update", uid, d);
	json_decref(d);
	return rc;
}

int user_managed_by(struct db *db, int64_t user_id, int64_t actor_id, bool *yes)
{
	int64_t n = 0;
	int rc = db_query_int(db, &n,
			      "SELECT count(*) FROM memberships m WHERE m.user_id = $1 AND NOT EXISTS"
			      " (SELECT 1 FROM memberships a WHERE a.user_id = $2"
			      " AND a.org_id = m.org_id AND a.role = 'admin')",
			      2, DBV(DB_INT(user_id), DB_INT(actor_id)));
	if (rc < 0)
		return rc;
	*yes = n == 0;
	return 0;
}

int membership_set(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		   const char *role, int64_t expires_at)
{
	int rc = db_exec(db,
			 "INSERT INTO memberships(org_id, user_id, role, expires_at, created_at)"
			 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, user_id)"
			 " DO UPDATE SET role = excluded.role, expires_at = excluded.expires_at",
			 5,
			 DBV(DB_INT(org_id), DB_INT(user_id), DB_TEXT(role),
			     expires_at ? DB_INT(expires_at) : DB_NULL(), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r, "SELECT uid, email FROM users WHERE id = $1", 1, DBV(DB_INT(user_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	char uid[37];
	snprintf(uid, sizeof(uid), "%s", db_text(r, 0));
	json_t *d = json_pack("{s:s, s:s}", "email", db_text(r, 1), "role", role);
	db_res_free(r);
	if (expires_at) {
		char ts[ISO8601_LEN];
		time_format_iso8601(expires_at, ts);
		json_object_set_new(d, "expires_at", json_string(ts));
	}
	rc = audit_append(db, ac, org_id, "membership.set", "user", uid, d);
	json_decref(d);
	return rc;
}

int membership_remove(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id)
{
	int64_t now = time_now();
	int rc = db_exec(db, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", 2,
			 DBV(DB_INT(org_id), DB_INT(user_id)));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) == 0)
		return SIRT_ENOTFOUND;
	rc = db_exec(db,
		     "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2"
		     " AND revoked_at IS NULL",
		     3, DBV(DB_INT(org_id), DB_INT(user_id), DB_INT(now)));
	if (rc < 0)
		return rc;
	int64_t tokens = db_last_changes(db);
	rc = db_exec(db,
		     "UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2"
		     " AND revoked_at IS NULL",
		     3, DBV(DB_INT(org_id), DB_INT(user_id), DB_INT(now)));
	if (rc < 0)
		return rc;
	int64_t sessions = db_last_changes(db);
	char uid[37];
	if ((rc = user_uid_of(db, user_id, uid)) < 0)
		return rc;
	json_t *d = json_pack("{s:I, s:I}", "tokens_revoked", (json_int_t)tokens,
			      "sessions_revoked", (json_int_t)sessions);
	rc = audit_append(db, ac, org_id, "membership.remove", "user", uid, d);
	json_decref(d);
	return rc;
}

int org_other_admins(struct db *db, int64_t org_id, int64_t user_id, int64_t now,
		     int64_t *count)
{
	return db_query_int(db, count,
			    "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
			    " WHERE m.org_id = $1 AND m.user_id <> $2 AND m.role = 'admin'"
			    " AND u.disabled = 0 AND (m.expires_at IS NULL OR m.expires_at > $3)",
			    3, DBV(DB_INT(org_id), DB_INT(user_id), DB_INT(now)));
}

#define MEMBER_COLS                                                                        \
	"SELECT u.uid, u.email, u.display_name, u.time_zone, m.role, m.expires_at,"         \
	" u.disabled, u.created_at, u.superadmin, u.password_hash IS NOT NULL"              \
	" FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1"

static json_t *member_json(struct db_res *r)
{
	char ts[ISO8601_LEN];
	time_format_iso8601(db_int(r, 7), ts);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b}", "id", db_text(r, 0),
			      "email", db_text(r, 1), "display_name", db_text(r, 2), "time_zone",
			      db_text(r, 3), "role", db_text(r, 4), "disabled", db_int(r, 6) != 0,
			      "created_at", ts, "superadmin", db_int(r, 8) != 0,
			      "password_set", db_int(r, 9) != 0);
	if (db_isnull(r, 5)) {
		json_object_set_new(o, "expires_at", json_null());
	} else {
		time_format_iso8601(db_int(r, 5), ts);
		json_object_set_new(o, "expires_at", json_string(ts));
	}
	return o;
}

int member_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r, MEMBER_COLS " AND u.uid = $2", 2,
			  DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = member_json(r);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int member_list(struct db *db, int64_t org_id, const char *after, int limit, json_t **items,
		char **next)
{
	struct db_res *r;
	int rc = db_query(db, &r, MEMBER_COLS " AND u.email > $2 ORDER BY u.email LIMIT $3", 3,
			  DBV(DB_INT(org_id), DB_TEXT(after ? after : ""), DB_INT(limit + 1)));
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	*next = NULL;
	int n = 0;
	while (db_next(r)) {
		if (n++ == limit) {
			*next = xstrdup(json_string_value(
				json_object_get(json_array_get(a, json_array_size(a) - 1), "email")));
			break;
		}
		json_array_append_new(a, member_json(r));
	}
	db_res_free(r);
	*items = a;
	return 0;
}

bool time_zone_valid(const char *tz)
{
	if (!tz || !*tz || strlen(tz) > TIME_ZONE_MAX)
		return false;
	if (strcmp(tz, "UTC") == 0)
		return true;
	if (tz[0] == '/' || strstr(tz, ".."))
		return false;
	for (const char *p = tz; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	char path[128];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	struct stat st;
	if (stat("/usr/share/zoneinfo", &st) != 0)
		return true; /* no tz database on this machine: the syntax must do */
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
