/*
 * The signed-in user's own account (PERM_SELF):
 *   GET  /account                          profile, password, sessions, API tokens
 *   POST /account/profile                  display name, time zone
 *   POST /account/password                 current + new password (other sessions end)
 *   POST /account/sessions/{id}/revoke     end one of my other sessions
 *   POST /account/tokens                   create an API token: shown once, on this answer
 *   POST /account/tokens/{id}/revoke       revoke one of my tokens
 *
 * The stores are called directly, with the same rules as the JSON API
 * (src/api/sessions.c, tokens.c): the password change is throttled like a
 * sign-in and a wrong current password is a security event; a token's
 * secret is never stored or put in a cookie, only rendered once.
 */
#include <stdio.h>
#include <string.h>

#include "templates.h"

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
#include "web/pages_kit.h"
#include "web/web.h"

struct acc_view {
	json_t *errors;    /* {field: message}, borrowed */
	json_t *form;      /* values typed, borrowed */
	json_t *new_token; /* {name, scope, token, expires}, borrowed */
	const char *error; /* for the whole page */
};

struct profile_job {
	struct audit_ctx ac;
	int64_t user_id;
	const char *display_name, *time_zone;
};

struct pw_job {
	struct audit_ctx ac;
	int64_t user_id;
	const char *hash, *keep_session, *email, *addr;
};

struct tok_job {
	struct audit_ctx ac;
	struct token_new t;
	const char *uid;
	char token[TOKEN_LEN + 1];
	char out_uid[37];
	bool revoke;
	bool session;
	int64_t org_id, user_id;
};

static int render(struct req *r, int status, const struct acc_view *v);
static int profile_tx(struct db *db, void *arg);
static int pw_tx(struct db *db, void *arg);
static int pw_fail_tx(struct db *db, void *arg);
static int tok_tx(struct db *db, void *arg);

static const char *const scopes[] = {"read", "write", "admin", NULL};

static int render(struct req *r, int status, const struct acc_view *v)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	json_t *sessions = NULL, *tokens = NULL, *orgs = NULL;
	int64_t next = 0;
	int rc = session_list(db, r->who.user_id, r->who.session_uid, r->app->cfg.session_idle,
			      time_now(), &sessions);
	if (rc == 0)
		rc = token_list(db, r->who.org_id, r->who.user_id, 0, 200, &tokens, &next);
	if (rc == 0)
		rc = org_list(db, r->who.user_id, &orgs);
	if (rc < 0) {
		json_decref(sessions);
		json_decref(tokens);
		json_decref(orgs);
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading your account");
	}
	static const char *const stimes[] = {"created_at", "last_seen_at", "expires_at", NULL};
	static const char *const ttimes[] = {"created_at", "last_used_at", "expires_at",
					     "revoked_at", NULL};
	size_t i;
	json_t *o;
	json_array_foreach(sessions, i, o)
		kit_times(r, o, stimes);
	json_array_foreach(orgs, i, o)
		json_object_set_new(o, "current",
				    json_boolean(r->who.org_uid &&
						 !strcmp(json_string_value(json_object_get(o, "id")),
							 r->who.org_uid)));
	json_array_foreach(tokens, i, o) {
		kit_times(r, o, ttimes);
		json_object_set_new(o, "scope_label",
				    json_string(kit_label(r, json_string_value(
							     json_object_get(o, "scope")))));
	}
	json_t *m = kit_model(r, NULL, "Your account");
	json_t *me = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "email",
			       r->who.email ? r->who.email : "", "display_name",
			       r->who.display_name ? r->who.display_name : "", "time_zone",
			       r->who.time_zone && *r->who.time_zone ? r->who.time_zone : "UTC",
			       "role", role_name(r->who.role), "role_label",
			       kit_label(r, role_name(r->who.role)), "superadmin", r->who.superadmin);
	json_object_set_new(m, "me", me);
	json_object_set_new(m, "sessions", sessions);
	json_object_set_new(m, "tokens", tokens);
	json_object_set_new(m, "memberships", orgs);
	json_object_set_new(m, "scopes", kit_options(r, scopes));
	json_t *form = v && v->form ? json_deep_copy(v->form) : json_object();
	if (!json_object_get(form, "display_name"))
		json_object_set(form, "display_name", json_object_get(me, "display_name"));
	if (!json_object_get(form, "time_zone"))
		json_object_set(form, "time_zone", json_object_get(me, "time_zone"));
	if (!json_object_get(form, "scope"))
		json_object_set_new(form, "scope", json_string("read"));
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", v && v->errors ? json_incref(v->errors) : json_object());
	if (v && v->new_token)
		json_object_set(m, "new_token", v->new_token);
	if (v && v->error)
		json_object_set_new(m, "error", json_string(v->error));
	return web_render(r, status, tmpl_account_home, m);
}

static int h_account(struct req *r)
{
	return render(r, 200, NULL);
}

static int profile_tx(struct db *db, void *arg)
{
	struct profile_job *j = arg;
	return user_update_profile(db, &j->ac, j->user_id, j->display_name, j->time_zone);
}

static int h_profile(struct req *r)
{
	const char *dn = kit_field(r, "display_name");
	const char *tz = kit_field(r, "time_zone");
	json_t *errors = json_object();
	if (dn && (strlen(dn) > DISPLAY_NAME_MAX || !text_is_single_line(dn)))
		json_object_set_new(errors, "display_name",
				    json_sprintf("Use at most %d characters on one line.",
						 DISPLAY_NAME_MAX));
	if (!tz)
		tz = "UTC";
	if (!time_zone_valid(tz))
		json_object_set_new(errors, "time_zone",
				    json_string("This is not a known time zone. Use a name such as"
						" UTC, Europe/Paris or America/New_York."));
	if (json_object_size(errors)) {
		json_t *form = json_pack("{s:s, s:s}", "display_name", dn ? dn : "", "time_zone", tz);
		struct acc_view v = {.errors = errors, .form = form};
		int rc = render(r, 422, &v);
		json_decref(form);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct profile_job j = {.ac = req_audit_ctx(r), .user_id = r->who.user_id,
				.display_name = dn ? dn : "", .time_zone = tz};
	int rc = store_tx(r->app->store, profile_tx, &j);
	if (rc < 0)
		return resp_error(r, rc, "saving your profile");
	return kit_done(r, "ok", "Your profile is saved.", "/account");
}

static int pw_fail_tx(struct db *db, void *arg)
{
	struct pw_job *j = arg;
	return throttle_fail(db, j->email, j->addr, time_now());
}

static int pw_tx(struct db *db, void *arg)
{
	struct pw_job *j = arg;
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

static int pw_errors(struct req *r, int status, const char *field, const char *msg)
{
	json_t *errors = json_pack("{s:s}", field, msg);
	struct acc_view v = {.errors = errors};
	int rc = render(r, status, &v);
	json_decref(errors);
	return rc;
}

static int h_password(struct req *r)
{
	const char *cur = req_form(r, "current_password");
	const char *pw = req_form(r, "new_password");
	const char *pw2 = req_form(r, "new_password2");
	if (!cur || !*cur)
		return pw_errors(r, 422, "current_password", "Enter your current password.");
	if (!pw || !*pw)
		return pw_errors(r, 422, "new_password", "Enter a new password.");
	if (strlen(cur) > PASSWORD_MAX_BYTES || strlen(pw) > PASSWORD_MAX_BYTES)
		return pw_errors(r, 422, "new_password", "A password is at most 1024 bytes.");
	if (!pw2 || strcmp(pw, pw2) != 0)
		return pw_errors(r, 422, "new_password2", "The two new passwords differ.");
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	int64_t wait = 0;
	int rc = throttle_check(db, r->who.email, r->client_addr, time_now(), &wait);
	if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "checking the throttle");
	if (wait > 0) {
		resp_header(r, "Retry-After", arena_printf(&r->arena, "%lld", (long long)wait));
		json_t *d = json_pack("{s:s, s:I}", "email", r->who.email, "retry_after",
				      (json_int_t)wait);
		security_event_account(r, r->who.email, "security.login_throttled", d);
		json_decref(d);
		return pw_errors(r, 429, "current_password",
				 arena_printf(&r->arena,
					      "Too many wrong passwords: try again in %lld seconds.",
					      (long long)wait));
	}
	char *hash = NULL;
	struct db_res *q;
	rc = db_query(db, &q, "SELECT password_hash FROM users WHERE id = $1", 1,
		      DBV(DB_INT(r->who.user_id)));
	if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading your account");
	if (db_next(q) && !db_isnull(q, 0))
		hash = arena_strdup(&r->arena, db_text(q, 0));
	db_res_free(q);
	struct pw_job j = {.ac = req_audit_ctx(r), .user_id = r->who.user_id,
			   .keep_session = r->who.session_uid, .email = r->who.email,
			   .addr = r->client_addr};
	if (!hash || !passwd_verify(hash, cur)) {
		if (store_tx(r->app->store, pw_fail_tx, &j) < 0)
			fprintf(stderr, "sirt: could not record a failed password check\n");
		json_t *d = json_pack("{s:s, s:s}", "email", r->who.email, "via", "password change");
		security_event_account(r, r->who.email, "security.login_failed", d);
		json_decref(d);
		return pw_errors(r, 422, "current_password", "This is not your current password.");
	}
	struct strbuf why;
	sb_init(&why, 512);
	if (password_check(pw, r->who.email, &why) < 0) {
		const char *msg = arena_printf(&r->arena, "The new password %s.", sb_str(&why));
		sb_free(&why);
		return pw_errors(r, 422, "new_password", msg);
	}
	sb_free(&why);
	char newhash[PASSWD_HASH_MAX];
	if (passwd_hash(pw, newhash) < 0)
		return resp_problem(r, 503, NULL, "the password could not be hashed; try again", NULL);
	j.hash = newhash;
	rc = store_tx(r->app->store, pw_tx, &j);
	if (rc < 0)
		return resp_error(r, rc, "changing your password");
	return kit_done(r, "ok", "Your password is changed. Your other sessions have ended.",
			"/account");
}

static int tok_tx(struct db *db, void *arg)
{
	struct tok_job *j = arg;
	if (j->session)
		return session_revoke(db, &j->ac, j->org_id, j->user_id, j->uid,
				      "revoked by its user");
	if (j->revoke)
		return token_revoke(db, &j->ac, j->org_id, j->user_id, j->uid);
	int rc = token_insert(db, &j->t, j->token, j->out_uid);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "name", j->t.name, "scope", scope_name(j->t.scope));
	if (j->t.expires_at) {
		char ts[ISO8601_LEN];
		time_format_iso8601(j->t.expires_at, ts);
		json_object_set_new(d, "expires_at", json_string(ts));
	}
	rc = audit_append(db, &j->ac, j->t.org_id, "token.create", "token", j->out_uid, d);
	json_decref(d);
	return rc;
}

static int h_session_revoke(struct req *r)
{
	const char *uid = req_param(r, "id");
	if (r->who.session_uid && !strcmp(uid, r->who.session_uid))
		return kit_done(r, "error",
				"That is the session you are using: sign out to end it.",
				"/account#sessions");
	struct tok_job j = {.ac = req_audit_ctx(r), .session = true, .uid = uid,
			    .org_id = r->who.org_id, .user_id = r->who.user_id};
	int rc = store_tx(r->app->store, tok_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such session", NULL);
	if (rc < 0)
		return resp_error(r, rc, "ending the session");
	return kit_done(r, "ok", "The session has ended.", "/account#sessions");
}

static int h_token_create(struct req *r)
{
	const char *name = kit_field(r, "name");
	const char *scope = kit_field(r, "scope");
	const char *exp = kit_field(r, "expires_on");
	json_t *errors = json_object();
	if (!name)
		json_object_set_new(errors, "name", json_string("Give the token a name."));
	else if (strlen(name) > 100 || !text_is_single_line(name))
		json_object_set_new(errors, "name",
				    json_string("Use at most 100 characters on one line."));
	enum scope sc = scope ? scope_parse(scope) : SCOPE_NONE;
	if (sc != SCOPE_READ && sc != SCOPE_WRITE && sc != SCOPE_ADMIN)
		json_object_set_new(errors, "scope", json_string("Choose read, write or admin."));
	int64_t expires = 0;
	if (exp && (kit_day_end(exp, &expires) < 0 || expires <= time_now()))
		json_object_set_new(errors, "expires_on",
				    json_string("Give a date (YYYY-MM-DD) of today or later, or"
						" leave it empty for no expiry."));
	if (json_object_size(errors)) {
		json_t *form = json_pack("{s:s, s:s, s:s}", "token_name", name ? name : "", "scope",
					 scope ? scope : "", "expires_on", exp ? exp : "");
		struct acc_view v = {.errors = errors, .form = form};
		int rc = render(r, 422, &v);
		json_decref(form);
		json_decref(errors);
		return rc;
	}
	json_decref(errors);
	struct tok_job j = {.ac = req_audit_ctx(r)};
	j.t.org_id = r->who.org_id;
	j.t.user_id = r->who.user_id;
	j.t.name = name;
	j.t.scope = sc;
	j.t.expires_at = expires;
	int rc = store_tx(r->app->store, tok_tx, &j);
	if (rc < 0)
		return resp_error(r, rc, "creating the token");
	json_t *nt = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "scope_label",
			       kit_label(r, scope_name(sc)), "token", j.token, "expires",
			       kit_time(r, expires));
	struct acc_view v = {.new_token = nt};
	/* the answer carries a secret: keep it out of every cache */
	resp_header(r, "Cache-Control", "no-store");
	rc = render(r, 201, &v);
	json_decref(nt);
	return rc;
}

static int h_token_revoke(struct req *r)
{
	struct tok_job j = {.ac = req_audit_ctx(r), .revoke = true, .uid = req_param(r, "id"),
			    .org_id = r->who.org_id, .user_id = r->who.user_id};
	int rc = store_tx(r->app->store, tok_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such token", NULL);
	if (rc == SIRT_ECONFLICT)
		return kit_done(r, "warning", "That token was already revoked.", "/account#tokens");
	if (rc < 0)
		return resp_error(r, rc, "revoking the token");
	return kit_done(r, "ok", "The token is revoked: it stops working at once.",
			"/account#tokens");
}

const struct route web_account_routes[] = {
	{"GET", "/account", PERM_SELF, BODY_NONE, 0, h_account, NULL,
	 "Your account: profile, password, sessions and API tokens", "web", NULL, ROUTE_HTML},
	{"POST", "/account/profile", PERM_SELF, BODY_FORM, 8192, h_profile, NULL,
	 "Save your display name and time zone (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/account/password", PERM_SELF, BODY_FORM, 8192, h_password, NULL,
	 "Change your password (form: current_password, new_password, new_password2)", "web",
	 NULL, ROUTE_HTML},
	{"POST", "/account/sessions/{id}/revoke", PERM_SELF, BODY_FORM, 4096, h_session_revoke,
	 NULL, "End one of your other sessions (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/account/tokens", PERM_SELF, BODY_FORM, 8192, h_token_create, NULL,
	 "Create an API token (form: name, scope, expires_on); shown once", "web", NULL,
	 ROUTE_HTML},
	{"POST", "/account/tokens/{id}/revoke", PERM_SELF, BODY_FORM, 4096, h_token_revoke, NULL,
	 "Revoke one of your API tokens (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(web_account);
