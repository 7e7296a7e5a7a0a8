/*
 * The caller's own account and web sessions:
 *   GET    /api/v1/account            who am I (user, current organisation, role, scope)
 *   POST   /api/v1/account/password   change my password (needs the current one)
 *   GET    /api/v1/sessions           my live web sessions
 *   DELETE /api/v1/sessions/{id}      end one of them
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "auth/passwd.h"
#include "auth/security.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "core/password.h"
#include "http/routes.h"
#include "store/account_store.h"
#include "util/timeutil.h"

static const struct field_spec password_fields[] = {
	{"current_password", F_STRING, true, false, 1024, NULL, "your current password"},
	{"new_password", F_STRING, true, false, 1024, NULL,
	 "the new password (12 or more characters, not your e-mail, not a common password)"},
	{NULL},
};

struct revoke_job {
	struct audit_ctx ac;
	int64_t org_id;
	int64_t user_id;
	const char *uid;
};

struct password_job {
	struct audit_ctx ac;
	int64_t user_id;
	const char *hash;
	const char *keep_session; /* the caller's own session survives */
	const char *email;
	const char *addr;
	bool failed;
};

static int h_account(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *orgs;
	int rc = org_list(db, r->who.user_id, &orgs);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the account");
	json_t *o = json_pack("{s:{s:s, s:s, s:s, s:s, s:b}, s:{s:s, s:s}, s:s, s:s, s:o}", "user",
			      "id", r->who.user_uid ? r->who.user_uid : "", "email",
			      r->who.email ? r->who.email : "", "display_name",
			      r->who.display_name ? r->who.display_name : "", "time_zone",
			      r->who.time_zone ? r->who.time_zone : "UTC", "superadmin",
			      r->who.superadmin, "org", "id", r->who.org_uid ? r->who.org_uid : "",
			      "name", r->who.org_name ? r->who.org_name : "", "role",
			      role_name(r->who.role), "scope", scope_name(r->who.scope), "orgs", orgs);
	json_object_set_new(o, "session", r->who.session_uid ? json_string(r->who.session_uid)
							      : json_null());
	json_object_set_new(o, "token", r->who.token_uid ? json_string(r->who.token_uid)
							  : json_null());
	if (r->who.csrf)
		json_object_set_new(o, "csrf", json_string(r->who.csrf));
	return resp_json(r, 200, o);
}

static int list_fail(struct db *db, void *arg)
{
	struct password_job *j = arg;
	return throttle_fail(db, j->email, j->addr, time_now());
}

static int password_tx(struct db *db, void *arg)
{
	struct password_job *j = arg;
	int rc = user_set_password(db, &j->ac, j->user_id, j->hash);
	if (rc < 0)
		return rc;
	rc = db_exec(db,
		     "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL"
		     " AND uid <> $2",
		     3, DBV(DB_INT(j->user_id), DB_TEXT(j->keep_session ? j->keep_session : ""),
			   DB_INT(time_now())));
	if (rc < 0)
		return rc;
	return throttle_clear(db, j->email);
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
	const char *cur = json_string_value(json_object_get(body, "current_password"));
	const char *pw = json_string_value(json_object_get(body, "new_password"));
	struct db *db = api_db(r);
	if (!db) {
		json_decref(body);
		return 0;
	}
	int64_t wait = 0;
	int rc = throttle_check(db, r->who.email, r->client_addr, time_now(), &wait);
	if (rc < 0) {
		json_decref(body);
		return api_store_error(r, db, rc, "checking the throttle");
	}
	if (wait > 0) {
		json_decref(body);
		resp_header(r, "Retry-After", arena_printf(&r->arena, "%lld", (long long)wait));
		json_t *d = json_pack("{s:s, s:I}", "email", r->who.email, "retry_after",
				      (json_int_t)wait);
		security_event_account(r, r->who.email, "security.login_throttled", d);
		json_decref(d);
		return resp_problem(r, 429, NULL,
				    arena_printf(&r->arena,
						 "too many wrong passwords; try again in %lld seconds",
						 (long long)wait),
				    NULL);
	}
	char *hash = NULL;
	struct db_res *q;
	rc = db_query(db, &q, "SELECT password_hash FROM users WHERE id = $1", 1,
		      DBV(DB_INT(r->who.user_id)));
	if (rc < 0) {
		json_decref(body);
		return api_store_error(r, db, rc, "reading the account");
	}
	if (db_next(q) && !db_isnull(q, 0))
		hash = arena_strdup(&r->arena, db_text(q, 0));
	db_res_free(q);
	struct password_job j = {.ac = req_audit_ctx(r), .user_id = r->who.user_id,
				 .keep_session = r->who.session_uid, .email = r->who.email,
				 .addr = r->client_addr};
	if (!hash || !passwd_verify(hash, cur)) {
		json_decref(body);
		if (store_tx(r->app->store, list_fail, &j) < 0)
			fprintf(stderr, "sirt: could not record a failed password check\n");
		json_t *d = json_pack("{s:s, s:s}", "email", r->who.email, "via", "password change");
		security_event_account(r, r->who.email, "security.login_failed", d);
		json_decref(d);
		errors = NULL;
		validate_add(&errors, "current_password", "is not your current password");
		return resp_problem(r, 403, NULL, "the current password is wrong", errors);
	}
	struct strbuf why;
	sb_init(&why, 512);
	if (password_check(pw, r->who.email, &why) < 0) {
		validate_add(&errors, "new_password", sb_str(&why));
		sb_free(&why);
		json_decref(body);
		return api_invalid(r, errors);
	}
	sb_free(&why);
	char newhash[PASSWD_HASH_MAX];
	rc = passwd_hash(pw, newhash);
	json_decref(body);
	if (rc < 0)
		return resp_problem(r, 503, NULL, "the password could not be hashed; try again", NULL);
	j.hash = newhash;
	rc = store_tx(r->app->store, password_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "changing the password");
	r->status = 204;
	r->content_type = NULL;
	return 0;
}

static int h_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = session_list(db, r->who.user_id, r->who.session_uid, r->app->cfg.session_idle,
			      time_now(), &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing sessions");
	return resp_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static int revoke_tx(struct db *db, void *arg)
{
	struct revoke_job *j = arg;
	return session_revoke(db, &j->ac, j->org_id, j->user_id, j->uid, "revoked by its user");
}

static int h_revoke(struct req *r)
{
	struct revoke_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			       .user_id = r->who.user_id, .uid = req_param(r, "id")};
	int rc = store_tx(r->app->store, revoke_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such session", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "ending the session");
	r->status = 204;
	r->content_type = NULL;
	return 0;
}

const struct route api_sessions_routes[] = {
	{"GET", "/api/v1/account", PERM_SELF, BODY_NONE, 0, h_account, NULL,
	 "The signed-in user, current organisation, role and scope", "account", NULL, 0},
	{"POST", "/api/v1/account/password", PERM_SELF, BODY_JSON, 8192, h_password, NULL,
	 "Change your password (ends your other sessions)", "account", password_fields, 0},
	{"GET", "/api/v1/sessions", PERM_SELF, BODY_NONE, 0, h_list, NULL,
	 "Your live web sessions, newest first", "sessions", NULL, 0},
	{"DELETE", "/api/v1/sessions/{id}", PERM_SELF, BODY_NONE, 0, h_revoke, NULL,
	 "End one of your web sessions", "sessions", NULL, 0},
};
ROUTES_COUNT(api_sessions);
