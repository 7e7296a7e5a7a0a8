/*
 * Sign-in, sign-out and organisation switching for the web UI:
 *   GET  /login        the form (templates/login.html) with a login CSRF cookie
 *   POST /login        email, password, csrf, next -> session cookie, 303 to next
 *   POST /logout       ends this session
 *   POST /session/org  org (slug) -> the session's current organisation
 *
 * POST /login, in order: the double-submit CSRF check (cookie ==
 * field), the throttle (429 with Retry-After while the account or the
 * client address is locked), the password (Argon2id; an unknown e-mail is
 * checked against a dummy hash so both take the same time), the account
 * state (disabled), an active membership, then one transaction that
 * re-hashes the password if libsodium's parameters changed, creates the
 * session, clears the account's throttle counter and audits the sign-in.
 * Every refusal is a security event in the audit trail.
 */
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "templates.h"

#include "app/app.h"
#include "auth/passwd.h"
#include "auth/security.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "http/routes.h"
#include "store/account_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "web/web.h"

#define LOGIN_CSRF_AGE 3600

struct login_view {
	const char *email;
	const char *next;
	const char *error;
	const char *email_error;
	const char *password_error;
};

struct login_job {
	const char *email;
	int64_t user_id;
	int64_t org_id;
	const char *new_hash; /* set: re-hash with today's parameters */
	struct session_new s;
	struct audit_ctx ac;
	char sid[SESSION_ID_LEN + 1];
	char suid[37];
};

struct simple_job {
	struct audit_ctx ac;
	const char *session_uid;
	int64_t user_id;
	int64_t from_org;
	int64_t to_org;
};

static int render_login(struct req *r, int status, const struct login_view *v);
static const char *login_csrf(struct req *r);
static const char *dummy_hash(void);
static int login_tx(struct db *db, void *arg);
static int fail_tx(struct db *db, void *arg);

static char dummy[PASSWD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	char pw[33];
	passwd_generate(pw, 32);
	if (passwd_hash(pw, dummy) < 0)
		dummy[0] = '\0';
}

static const char *dummy_hash(void)
{
	pthread_once(&dummy_once, make_dummy);
	return dummy;
}

/* The login CSRF value: the browser's cookie if it is well formed, else a
 * new one (set on the response). */
static const char *login_csrf(struct req *r)
{
	const char *c = req_cookie(r, LOGIN_CSRF_COOKIE);
	if (c && session_id_looks_valid(c))
		return c;
	char *v = arena_alloc(&r->arena, SESSION_ID_LEN + 1);
	unsigned char h[32];
	session_generate(v, h);
	session_set_cookie(r, LOGIN_CSRF_COOKIE, v, "/login", LOGIN_CSRF_AGE, "Strict");
	return v;
}

static int render_login(struct req *r, int status, const struct login_view *v)
{
	json_t *m = web_base_model(r, NULL, "Sign in");
	json_object_set_new(m, "csrf", json_string(login_csrf(r)));
	if (v->next && session_next_ok(v->next) && strcmp(v->next, "/") != 0)
		json_object_set_new(m, "next", json_string(v->next));
	json_object_set_new(m, "form", json_pack("{s:s}", "email", v->email ? v->email : ""));
	if (v->error)
		json_object_set_new(m, "error", json_string(v->error));
	json_t *errs = json_object();
	if (v->email_error)
		json_object_set_new(errs, "email", json_string(v->email_error));
	if (v->password_error)
		json_object_set_new(errs, "password", json_string(v->password_error));
	json_object_set_new(m, "errors", errs);
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	tmpl_login(&sb, m);
	json_decref(m);
	if (sb_status(&sb) != 0) {
		sb_free(&sb);
		return resp_problem(r, 500, NULL, "the sign-in page could not be rendered", NULL);
	}
	resp_text(r, status, "text/html; charset=utf-8", sb_str(&sb), sb.len);
	sb_free(&sb);
	return 0;
}

static int h_login_form(struct req *r)
{
	const char *next = req_query(r, "next");
	struct login_view v = {.next = next};
	return render_login(r, 200, &v);
}

static void lower_copy(char *out, size_t outlen, const char *in)
{
	size_t i = 0;
	for (; in && in[i] && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static int fail_tx(struct db *db, void *arg)
{
	struct login_job *j = arg;
	return throttle_fail(db, j->email, j->s.client_addr, time_now());
}

static int login_tx(struct db *db, void *arg)
{
	struct login_job *j = arg;
	int rc;
	if (j->new_hash) {
		rc = db_exec(db, "UPDATE users SET password_hash = $2 WHERE id = $1", 2,
			     DBV(DB_INT(j->user_id), DB_TEXT(j->new_hash)));
		if (rc < 0)
			return rc;
		char uid[37] = "";
		struct db_res *q;
		if ((rc = db_query(db, &q, "SELECT uid FROM users WHERE id = $1", 1,
				   DBV(DB_INT(j->user_id)))) < 0)
			return rc;
		if (db_next(q))
			snprintf(uid, sizeof(uid), "%s", db_text(q, 0));
		db_res_free(q);
		json_t *d = json_pack("{s:s}", "reason", "hash parameters changed");
		rc = audit_user_orgs(db, &j->ac, j->user_id, "user.password_rehash", uid, d);
		json_decref(d);
		if (rc < 0)
			return rc;
	}
	rc = session_create(db, &j->ac, &j->s, j->sid, j->suid);
	if (rc < 0)
		return rc;
	return throttle_clear(db, j->email);
}

static int h_login(struct req *r)
{
	const char *email_in = req_form(r, "email");
	const char *password = req_form(r, "password");
	const char *csrf = req_form(r, "csrf");
	const char *next = req_form(r, "next");
	if (!session_next_ok(next))
		next = "/";
	char email[256];
	lower_copy(email, sizeof(email), email_in ? email_in : "");
	/* trim surrounding blanks a browser may keep */
	char *e = email;
	while (*e == ' ')
		e++;
	size_t el = strlen(e);
	while (el && e[el - 1] == ' ')
		e[--el] = '\0';
	struct login_view v = {.email = e, .next = next};
	const char *cookie = req_cookie(r, LOGIN_CSRF_COOKIE);
	if (!cookie || !session_id_looks_valid(cookie) || !session_token_equal(csrf, cookie)) {
		json_t *d = json_pack("{s:s, s:s}", "form", "login", "email", e);
		if (*e)
			security_event_account(r, e, "security.csrf_failed", d);
		else
			security_event(r, 0, "security.csrf_failed", d);
		json_decref(d);
		v.error = "Your sign-in form had expired or was not sent by this site. Please try again.";
		return render_login(r, 403, &v);
	}
	if (!*e || !password || !*password) {
		if (!*e)
			v.email_error = "Enter your email address.";
		if (!password || !*password)
			v.password_error = "Enter your password.";
		return render_login(r, 422, &v);
	}
	struct db *db = store_reader(r->app->store);
	if (!db) {
		v.error = "The database is unreachable; please try again shortly.";
		return render_login(r, 503, &v);
	}
	int64_t now = time_now(), wait = 0;
	int rc = throttle_check(db, e, r->client_addr, now, &wait);
	if (rc < 0) {
		v.error = "Sign-in is unavailable right now; please try again shortly.";
		return render_login(r, 503, &v);
	}
	if (wait > 0) {
		json_t *d = json_pack("{s:s, s:I}", "email", e, "retry_after", (json_int_t)wait);
		security_event_account(r, e, "security.login_throttled", d);
		json_decref(d);
		resp_header(r, "Retry-After", arena_printf(&r->arena, "%lld", (long long)wait));
		v.error = arena_printf(&r->arena,
				       "Too many failed sign-in attempts. Sign-in for this account or"
				       " from your address is paused: try again in %lld second%s.",
				       (long long)wait, wait == 1 ? "" : "s");
		return render_login(r, 429, &v);
	}
	struct db_res *q;
	rc = db_query(db, &q, "SELECT id, password_hash, disabled FROM users WHERE email = $1", 1,
		      DBV(DB_TEXT(e)));
	if (rc < 0) {
		v.error = "Sign-in is unavailable right now; please try again shortly.";
		return render_login(r, 503, &v);
	}
	int64_t user_id = 0;
	bool disabled = false;
	char *hash = NULL;
	if (db_next(q)) {
		user_id = db_int(q, 0);
		hash = db_isnull(q, 1) ? NULL : arena_strdup(&r->arena, db_text(q, 1));
		disabled = db_int(q, 2) != 0;
	}
	db_res_free(q);
	bool ok = passwd_verify(hash ? hash : dummy_hash(), password);
	if (!hash)
		ok = false;
	struct login_job j = {.email = e, .user_id = user_id, .ac = req_audit_ctx(r)};
	j.s.client_addr = r->client_addr;
	j.s.user_agent = req_header(r, "User-Agent");
	if (!ok) {
		if (store_tx(r->app->store, fail_tx, &j) < 0)
			fprintf(stderr, "sirt: could not record a failed sign-in (request %s)\n",
				r->request_id);
		json_t *d = json_pack("{s:s, s:b}", "email", e, "known_account", user_id != 0);
		security_event_account(r, e, "security.login_failed", d);
		json_decref(d);
		v.error = "Email or password is incorrect.";
		return render_login(r, 401, &v);
	}
	if (disabled) {
		json_t *d = json_pack("{s:s}", "email", e);
		security_event_account(r, e, "security.disabled_user_access", d);
		json_decref(d);
		v.error = "This account is disabled. Ask an administrator to enable it again.";
		return render_login(r, 403, &v);
	}
	int64_t org_id = 0;
	rc = db_query_int(db, &org_id,
			  "SELECT m.org_id FROM memberships m WHERE m.user_id = $1"
			  " AND (m.expires_at IS NULL OR m.expires_at > $2) ORDER BY m.org_id LIMIT 1",
			  2, DBV(DB_INT(user_id), DB_INT(now)));
	if (rc == SIRT_ENOTFOUND) {
		json_t *d = json_pack("{s:s}", "email", e);
		security_event_account(r, e, "security.expired_access", d);
		json_decref(d);
		v.error = "Your account has no active organisation membership (an auditor's access"
			  " ends on its expiry date). Ask an administrator.";
		return render_login(r, 403, &v);
	}
	if (rc < 0) {
		v.error = "Sign-in is unavailable right now; please try again shortly.";
		return render_login(r, 503, &v);
	}
	char newhash[PASSWD_HASH_MAX];
	if (passwd_needs_rehash(hash) && passwd_hash(password, newhash) == 0)
		j.new_hash = newhash;
	j.org_id = org_id;
	j.s.user_id = user_id;
	j.s.org_id = org_id;
	j.s.max_age = r->app->cfg.session_max > 0 ? r->app->cfg.session_max : 12 * 3600;
	j.ac.actor = arena_printf(&r->arena, "user:%s", e);
	rc = store_tx(r->app->store, login_tx, &j);
	if (rc < 0) {
		v.error = "Sign-in is unavailable right now; please try again shortly.";
		return render_login(r, 503, &v);
	}
	session_set_cookie(r, SESSION_COOKIE, j.sid, "/", j.s.max_age, "Lax");
	session_set_cookie(r, LOGIN_CSRF_COOKIE, NULL, "/login", 0, "Strict");
	return resp_redirect(r, next);
}

static int logout_tx(struct db *db, void *arg)
{
	struct simple_job *j = arg;
	return session_revoke(db, &j->ac, j->from_org, j->user_id, j->session_uid, "logout");
}

static int h_logout(struct req *r)
{
	if (r->who.session_uid) {
		struct simple_job j = {.ac = req_audit_ctx(r), .session_uid = r->who.session_uid,
				       .user_id = r->who.user_id, .from_org = r->who.org_id};
		int rc = store_tx(r->app->store, logout_tx, &j);
		if (rc < 0 && rc != SIRT_ENOTFOUND)
			return resp_error(r, rc, "could not end the session");
	}
	session_set_cookie(r, SESSION_COOKIE, NULL, "/", 0, "Lax");
	return resp_redirect(r, "/login");
}

static int switch_tx(struct db *db, void *arg)
{
	struct simple_job *j = arg;
	return session_switch_org(db, &j->ac, j->session_uid, j->user_id, j->from_org, j->to_org);
}

static int h_switch_org(struct req *r)
{
	const char *org = req_form(r, "org");
	const char *next = req_form(r, "next");
	if (!session_next_ok(next))
		next = "/";
	if (!r->who.session_uid)
		return resp_problem(r, 400, NULL, "switching organisation needs a web session", NULL);
	if (!org || !*org)
		return resp_problem(r, 422, NULL, "choose an organisation (form field 'org')", NULL);
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	int64_t to = 0;
	int rc = db_query_int(db, &to,
			      "SELECT o.id FROM orgs o JOIN memberships m ON m.org_id = o.id"
			      " WHERE m.user_id = $1 AND (o.slug = $2 OR o.uid = $2)"
			      " AND (m.expires_at IS NULL OR m.expires_at > $3)",
			      3, DBV(DB_INT(r->who.user_id), DB_TEXT(org), DB_INT(time_now())));
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such organisation", NULL);
	if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, NULL);
	if (to != r->who.org_id) {
		struct simple_job j = {.ac = req_audit_ctx(r), .session_uid = r->who.session_uid,
				       .user_id = r->who.user_id, .from_org = r->who.org_id,
				       .to_org = to};
		rc = store_tx(r->app->store, switch_tx, &j);
		if (rc < 0)
			return resp_error(r, rc, "could not switch organisation");
	}
	return resp_redirect(r, next);
}

const struct route auth_login_routes[] = {
	{"GET", "/login", PERM_PUBLIC, BODY_NONE, 0, h_login_form, NULL, "Sign-in page", "web",
	 NULL, ROUTE_HTML},
	{"POST", "/login", PERM_PUBLIC, BODY_FORM, 16 * 1024, h_login, NULL,
	 "Sign in (form: email, password, csrf, next)", "web", NULL, ROUTE_HTML},
	{"POST", "/logout", PERM_SELF, BODY_FORM, 4096, h_logout, NULL, "Sign out (form: csrf)",
	 "web", NULL, ROUTE_HTML},
	{"POST", "/session/org", PERM_SELF, BODY_FORM, 4096, h_switch_org, NULL,
	 "Switch the session's organisation (form: csrf, org, next)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(auth_login);
