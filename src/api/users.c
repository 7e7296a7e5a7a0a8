/*
 * /api/v1/users: the members of the caller's current organisation (admins).
 *
 * A user (account: e-mail, display name, time zone, password) may belong
 * to several organisations with one role in each. Membership changes (role,
 * expiry, removal) only ever touch the caller's organisation. Account-level
 * changes (display name, time zone, password, disable/enable) are allowed
 * when the caller administers every organisation the account belongs to,
 * or is a superadmin; otherwise 403. Adding an e-mail that already has an
 * account adds that account to the organisation (its password untouched).
 * An organisation always keeps at least one active admin (409 otherwise).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "auth/passwd.h"
#include "core/contact.h"
#include "core/password.h"
#include "http/routes.h"
#include "store/account_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const roles[] = {"admin", "manager", "responder", "viewer", "auditor", NULL};

static const struct field_spec create_fields[] = {
	{"email", F_STRING, true, false, EMAIL_MAX, NULL, "e-mail address (the sign-in name)"},
	{"role", F_ENUM, true, false, 0, roles, "admin, manager, responder, viewer or auditor"},
	{"display_name", F_STRING, false, false, DISPLAY_NAME_MAX, NULL, "name shown to others"},
	{"time_zone", F_STRING, false, false, TIME_ZONE_MAX, NULL, "IANA time zone, e.g. Europe/Paris"},
	{"expires_on", F_DATE, false, true, 0, NULL,
	 "last day of access (required for auditors), YYYY-MM-DD, UTC"},
	{"password", F_STRING, false, false, PASSWORD_MAX_BYTES, NULL,
	 "initial password (new accounts only); without one the user cannot sign in yet"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	{"role", F_ENUM, false, false, 0, roles, "role in this organisation"},
	{"expires_on", F_DATE, false, true, 0, NULL, "last day of access, or null for none"},
	{"display_name", F_STRING, false, false, DISPLAY_NAME_MAX, NULL, "name shown to others"},
	{"time_zone", F_STRING, false, false, TIME_ZONE_MAX, NULL, "IANA time zone"},
	{"disabled", F_BOOL, false, false, 0, NULL,
	 "true stops the account's sessions and tokens at once"},
	{NULL},
};

static const struct field_spec password_fields[] = {
	{"password", F_STRING, true, false, PASSWORD_MAX_BYTES, NULL, "the new password"},
	{NULL},
};

/* One job for every write: fields unused by an operation stay zero. */
struct user_job {
	struct audit_ctx ac;
	int64_t org_id;
	int64_t actor_id;
	bool actor_superadmin;
	const char *uid;          /* target (PATCH, DELETE, password) */
	const char *email;        /* POST */
	struct user_new nu;
	const char *role;
	bool set_expiry;
	int64_t expires_at;
	const char *display_name;
	const char *time_zone;
	int disabled;             /* -1 unchanged */
	const char *hash;
	json_t *out;
	const char *why;          /* detail for a refusal */
};

static int64_t day_end(const char *date)
{
	int64_t t;
	if (!date || time_parse_date(date, &t) < 0)
		return 0;
	return t + 86400;
}

/* Checks the fields shared by POST and PATCH; appends to *errors. */
static void check_common(json_t *body, json_t **errors, struct user_job *j)
{
	const char *tz = json_string_value(json_object_get(body, "time_zone"));
	if (tz && !time_zone_valid(tz))
		validate_add(errors, "time_zone", "is not a known time zone (e.g. UTC, Europe/Paris)");
	const char *dn = json_string_value(json_object_get(body, "display_name"));
	if (dn && *dn && strspn(dn, " ") == strlen(dn))
		validate_add(errors, "display_name", "must not be blank");
	json_t *ex = json_object_get(body, "expires_on");
	if (ex) {
		j->set_expiry = true;
		j->expires_at = json_is_string(ex) ? day_end(json_string_value(ex)) : 0;
		if (json_is_string(ex) && j->expires_at && j->expires_at <= time_now())
			validate_add(errors, "expires_on", "must be today or later");
	}
	j->display_name = dn;
	j->time_zone = tz;
}

static int load_target(struct db *db, struct user_job *j, int64_t *user_id, char role[16])
{
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT u.id, m.role FROM users u JOIN memberships m ON m.user_id = u.id"
			  " WHERE u.uid = $1 AND m.org_id = $2",
			  2, DBV(DB_TEXT(j->uid), DB_INT(j->org_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(q)) {
		*user_id = db_int(q, 0);
		snprintf(role, 16, "%s", db_text(q, 1));
		rc = 0;
	}
	db_res_free(q);
	return rc;
}

static int may_change_account(struct db *db, struct user_job *j, int64_t user_id)
{
	if (j->actor_superadmin)
		return 0;
	bool yes = false;
	int rc = user_managed_by(db, user_id, j->actor_id, &yes);
	if (rc < 0)
		return rc;
	if (!yes) {
		j->why = "the account also belongs to an organisation you do not administer; only"
			 " its membership here can be changed";
		return SIRT_EPERM;
	}
	return 0;
}

static int keeps_an_admin(struct db *db, struct user_job *j, int64_t user_id)
{
	int64_t others = 0;
	int rc = org_other_admins(db, j->org_id, user_id, time_now(), &others);
	if (rc < 0)
		return rc;
	if (others == 0) {
		j->why = "the organisation must keep at least one active admin";
		return SIRT_ECONFLICT;
	}
	return 0;
}

static int finish(struct db *db, struct user_job *j, const char *uid)
{
	json_decref(j->out);
	j->out = NULL;
	return member_get(db, j->org_id, uid, &j->out);
}

static int create_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t user_id = 0;
	char uid[37];
	int rc = user_find(db, j->email, &user_id);
	if (rc == SIRT_ENOTFOUND) {
		j->nu.audit_org = j->org_id;
		rc = user_create(db, &j->ac, &j->nu, &user_id, uid);
	} else if (rc == 0) {
		int64_t n = 0;
		rc = db_query_int(db, &n,
				  "SELECT count(*) FROM memberships WHERE org_id = $1 AND user_id = $2", 2,
				  DBV(DB_INT(j->org_id), DB_INT(user_id)));
		if (rc < 0)
			return rc;
		if (n) {
			j->why = "this user is already a member of the organisation";
			return SIRT_ECONFLICT;
		}
		if (j->nu.password_hash) {
			j->why = "an account with this e-mail already exists: add it without a password"
				 " (its owner keeps their own)";
			return SIRT_ECONFLICT;
		}
		struct db_res *q;
		if ((rc = db_query(db, &q, "SELECT uid FROM users WHERE id = $1", 1,
				   DBV(DB_INT(user_id)))) < 0)
			return rc;
		if (db_next(q))
			snprintf(uid, sizeof(uid), "%s", db_text(q, 0));
		db_res_free(q);
	}
	if (rc < 0)
		return rc;
	rc = membership_set(db, &j->ac, j->org_id, user_id, j->role, j->expires_at);
	if (rc < 0)
		return rc;
	return finish(db, j, uid);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int send_result(struct req *r, int rc, struct user_job *j, int ok_status, const char *what)
{
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such user in this organisation", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, j->why ? j->why : "conflict", NULL);
	if (rc == SIRT_EPERM)
		return resp_problem(r, 403, NULL, j->why ? j->why : "not allowed", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, what);
	if (ok_status == 204) {
		json_decref(j->out);
		r->status = 204;
		r->content_type = NULL;
		return 0;
	}
	return resp_json(r, ok_status, j->out);
}

static int h_create(struct req *r)
{
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct user_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .disabled = -1};
	char *email = arena_strdup(&r->arena, json_string_value(json_object_get(body, "email")));
	lower(email);
	if (!email_valid(email))
		validate_add(&errors, "email", "is not a valid e-mail address");
	j.email = email;
	j.role = json_string_value(json_object_get(body, "role"));
	check_common(body, &errors, &j);
	if (!strcmp(j.role, "auditor") && !j.expires_at)
		validate_add(&errors, "expires_on", "is required for auditors (access ends that day)");
	const char *pw = json_string_value(json_object_get(body, "password"));
	char hash[PASSWD_HASH_MAX];
	if (pw && !errors) {
		struct strbuf why;
		sb_init(&why, 512);
		if (password_check(pw, email, &why) < 0)
			validate_add(&errors, "password", sb_str(&why));
		sb_free(&why);
	}
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	if (pw && passwd_hash(pw, hash) < 0) {
		json_decref(body);
		return resp_problem(r, 503, NULL, "the password could not be hashed; try again", NULL);
	}
	j.nu.email = email;
	j.nu.display_name = j.display_name;
	j.nu.time_zone = j.time_zone;
	j.nu.password_hash = pw ? hash : NULL;
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	if (rc == 0)
		resp_header(r, "Location",
			    arena_printf(&r->arena, "/api/v1/users/%s",
					 json_string_value(json_object_get(j.out, "id"))));
	return send_result(r, rc, &j, 201, "adding the user");
}

static int h_list(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	const char *cur = req_query(r, "cursor");
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	char *next = NULL;
	int rc = member_list(db, r->who.org_id, cur ? cur : "", limit, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing users");
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_cursor", next ? json_string(next) : json_null());
	free(next);
	return resp_json(r, 200, o);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *u;
	int rc = member_get(db, r->who.org_id, req_param(r, "id"), &u);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such user in this organisation", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the user");
	return resp_json(r, 200, u);
}

static int patch_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t user_id;
	char role[16];
	int rc = load_target(db, j, &user_id, role);
	if (rc < 0)
		return rc;
	bool account_change = j->display_name || j->time_zone || j->disabled >= 0;
	if (account_change && (rc = may_change_account(db, j, user_id)) < 0)
		return rc;
	bool loses_admin = !strcmp(role, "admin") &&
			   ((j->role && strcmp(j->role, "admin") != 0) || j->disabled == 1 ||
			    (j->set_expiry && j->expires_at));
	if (loses_admin && (rc = keeps_an_admin(db, j, user_id)) < 0)
		return rc;
	if (j->disabled == 1 && user_id == j->actor_id) {
		j->why = "you cannot disable your own account";
		return SIRT_ECONFLICT;
	}
	const char *new_role = j->role ? j->role : role;
	if (j->role || j->set_expiry) {
		int64_t exp = j->expires_at;
		if (!j->set_expiry &&
		    (rc = db_query_int(db, &exp,
				       "SELECT COALESCE(expires_at, 0) FROM memberships"
				       " WHERE org_id = $1 AND user_id = $2",
				       2, DBV(DB_INT(j->org_id), DB_INT(user_id)))) < 0)
			return rc;
		if (!strcmp(new_role, "auditor") && !exp) {
			j->why = "an auditor's membership needs an expiry date (expires_on)";
			return SIRT_ECONFLICT;
		}
		if ((rc = membership_set(db, &j->ac, j->org_id, user_id, new_role, exp)) < 0)
			return rc;
	}
	if ((j->display_name || j->time_zone) &&
	    (rc = user_update_profile(db, &j->ac, user_id, j->display_name, j->time_zone)) < 0)
		return rc;
	if (j->disabled >= 0) {
		int64_t cur = 0;
		if ((rc = db_query_int(db, &cur, "SELECT disabled FROM users WHERE id = $1", 1,
				       DBV(DB_INT(user_id)))) < 0)
			return rc;
		if ((cur != 0) != (j->disabled == 1) &&
		    (rc = user_set_disabled(db, &j->ac, user_id, j->disabled == 1)) < 0)
			return rc;
	}
	return finish(db, j, j->uid);
}

static int h_patch(struct req *r)
{
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct user_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .actor_superadmin = r->who.superadmin,
			     .uid = req_param(r, "id"), .disabled = -1};
	check_common(body, &errors, &j);
	j.role = json_string_value(json_object_get(body, "role"));
	json_t *dis = json_object_get(body, "disabled");
	if (dis)
		j.disabled = json_is_true(dis) ? 1 : 0;
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, patch_tx, &j);
	json_decref(body);
	return send_result(r, rc, &j, 200, "updating the user");
}

static int remove_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t user_id;
	char role[16];
	int rc = load_target(db, j, &user_id, role);
	if (rc < 0)
		return rc;
	if (!strcmp(role, "admin") && (rc = keeps_an_admin(db, j, user_id)) < 0)
		return rc;
	return membership_remove(db, &j->ac, j->org_id, user_id);
}

static int h_remove(struct req *r)
{
	struct user_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .uid = req_param(r, "id"), .disabled = -1};
	int rc = store_tx(r->app->store, remove_tx, &j);
	return send_result(r, rc, &j, 204, "removing the user");
}

static int password_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	int64_t user_id;
	char role[16];
	int rc = load_target(db, j, &user_id, role);
	if (rc < 0)
		return rc;
	if ((rc = may_change_account(db, j, user_id)) < 0)
		return rc;
	struct db_res *q;
	if ((rc = db_query(db, &q, "SELECT email FROM users WHERE id = $1", 1,
			   DBV(DB_INT(user_id)))) < 0)
		return rc;
	bool ok = db_next(q);
	db_res_free(q);
	if (!ok)
		return SIRT_ENOTFOUND;
	rc = user_set_password(db, &j->ac, user_id, j->hash);
	if (rc < 0)
		return rc;
	/* A reset password ends the sessions that the old one opened. */
	rc = db_exec(db, "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
		     2, DBV(DB_INT(user_id), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	return finish(db, j, j->uid);
}

static int h_password(struct req *r)
{
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, password_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct db *db = api_db(r);
	if (!db) {
		json_decref(body);
		return 0;
	}
	json_t *u;
	int rc = member_get(db, r->who.org_id, req_param(r, "id"), &u);
	if (rc < 0) {
		json_decref(body);
		if (rc == SIRT_ENOTFOUND)
			return resp_problem(r, 404, NULL, "no such user in this organisation", NULL);
		return api_store_error(r, db, rc, "reading the user");
	}
	const char *pw = json_string_value(json_object_get(body, "password"));
	struct strbuf why;
	sb_init(&why, 512);
	if (password_check(pw, json_string_value(json_object_get(u, "email")), &why) < 0)
		validate_add(&errors, "password", sb_str(&why));
	sb_free(&why);
	json_decref(u);
	char hash[PASSWD_HASH_MAX];
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	rc = passwd_hash(pw, hash);
	json_decref(body);
	if (rc < 0)
		return resp_problem(r, 503, NULL, "the password could not be hashed; try again", NULL);
	struct user_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .actor_superadmin = r->who.superadmin,
			     .uid = req_param(r, "id"), .hash = hash, .disabled = -1};
	rc = store_tx(r->app->store, password_tx, &j);
	return send_result(r, rc, &j, 200, "setting the password");
}

const struct route api_users_routes[] = {
	{"GET", "/api/v1/users", PERM_ADMIN, BODY_NONE, 0, h_list, NULL,
	 "Members of the current organisation, by e-mail (keyset pagination)", "users", NULL, 0},
	{"POST", "/api/v1/users", PERM_ADMIN, BODY_JSON, 0, h_create, NULL,
	 "Add a user to the organisation (creates the account if it is new)", "users",
	 create_fields, 0},
	{"GET", "/api/v1/users/{id}", PERM_ADMIN, BODY_NONE, 0, h_get, NULL,
	 "Read one member", "users", NULL, 0},
	{"PATCH", "/api/v1/users/{id}", PERM_ADMIN, BODY_JSON, 0, h_patch, NULL,
	 "Change role, expiry, profile, or disable/enable the account", "users", patch_fields, 0},
	{"DELETE", "/api/v1/users/{id}", PERM_ADMIN, BODY_NONE, 0, h_remove, NULL,
	 "Remove the user from the organisation (their tokens and sessions here end)", "users",
	 NULL, 0},
	{"POST", "/api/v1/users/{id}/password", PERM_ADMIN, BODY_JSON, 8192, h_password, NULL,
	 "Set a member's password (ends their sessions)", "users", password_fields, 0},
};
ROUTES_COUNT(api_users);
