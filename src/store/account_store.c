#include "store/account_store.h"

#include <stdio.h>

#include "util/rand.h"
#include "util/timeutil.h"

int org_find(struct db *db, const char *name, int64_t *id_out)
{
	return db_query_int(db, id_out, "SELECT id FROM orgs WHERE name = $1", 1, DBV(DB_TEXT(name)));
}

int org_create(struct db *db, const struct audit_ctx *ac, const char *name, int64_t *id_out)
{
	char uid[37];
	rand_uuid(uid);
	int rc = db_query_int(db, id_out,
			      "INSERT INTO orgs(uid, name, created_at) VALUES ($1, $2, $3) RETURNING id",
			      3, DBV(DB_TEXT(uid), DB_TEXT(name), DB_INT(time_now())));
	if (rc < 0)
		return db_last_was_constraint(db) ? SIRT_ECONFLICT : rc;
	json_t *d = json_pack("{s:s}", "name", name);
	rc = audit_append(db, ac, 0, "org.create", "org", uid, d);
	if (rc == 0)
		rc = audit_append(db, ac, *id_out, "org.create", "org", uid, d);
	json_decref(d);
	return rc;
}

int user_find(struct db *db, const char *email, int64_t *id_out)
{
	return db_query_int(db, id_out, "SELECT id FROM users WHERE email = $1", 1,
			    DBV(DB_TEXT(email)));
}

int user_create(struct db *db, const struct audit_ctx *ac, const char *email,
		const char *display_name, const char *password_hash, int64_t *id_out)
{
	char uid[37];
	rand_uuid(uid);
	int64_t now = time_now();
	int rc = db_query_int(db, id_out,
			      "INSERT INTO users(uid, email, display_name, password_hash, created_at,"
			      " updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
			      5,
			      DBV(DB_TEXT(uid), DB_TEXT(email), DB_TEXT(display_name ? display_name : ""),
				  DB_TEXT(password_hash), DB_INT(now)));
	if (rc < 0)
		return db_last_was_constraint(db) ? SIRT_ECONFLICT : rc;
	json_t *d = json_pack("{s:s}", "email", email);
	rc = audit_append(db, ac, 0, "user.create", "user", uid, d);
	json_decref(d);
	return rc;
}

int user_set_password(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		      const char *password_hash)
{
	int rc = db_exec(db, "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1", 3,
			 DBV(DB_INT(user_id), DB_TEXT(password_hash), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)user_id);
	return audit_append(db, ac, 0, "user.password", "user", id, NULL);
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
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)user_id);
	json_t *d = json_pack("{s:s}", "role", role);
	rc = audit_append(db, ac, org_id, "membership.set", "user", id, d);
	json_decref(d);
	return rc;
}
