/*
 * Administration pages of the current organisation:
 *   GET  /admin                       users, API tokens, organisation settings,
 *                                     notification channels (PERM_ADMIN)
 *   POST /admin/users                 add a user: role, optional auditor expiry; a
 *                                     generated password is shown once, on this answer
 *   POST /admin/users/{id}            op=role (role, expires_on) | disable | enable
 *   POST /admin/tokens/{id}/revoke    revoke any token of the organisation
 *   POST /admin/org                   organisation settings (incident key prefix)
 *   GET  /admin/audit                 the audit trail, filters and keyset paging;
 *                                     ?verify=1 checks the chain (PERM_AUDIT: auditors too)
 * Intake sources and routing rules are in pages_admin_intake.c.
 *
 * The rules are those of the JSON API (src/api/users.c, tokens.c,
 * audit_api.c): an organisation keeps at least one active admin, an
 * auditor's membership has an expiry date, account-level changes (disable)
 * need the caller to administer every organisation of the account, nobody
 * disables themselves. Everything is filtered by the caller's organisation:
 * another organisation's user or token is 404.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

#include "api/validate.h"
#include "app/app.h"
#include "auth/passwd.h"
#include "core/contact.h"
#include "core/incident_key.h"
#include "core/password.h"
#include "http/routes.h"
#include "store/account_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "web/pages_kit.h"
#include "web/web.h"

#define GEN_PASSWORD_LEN 20
#define AUDIT_PAGE 50

static const char *const roles[] = {"admin", "manager", "responder", "viewer", "auditor", NULL};

struct admin_view {
	json_t *errors;  /* {field: message}, borrowed */
	json_t *form;    /* borrowed */
	json_t *created; /* {email, password?}, borrowed */
};

enum user_op { U_CREATE, U_ROLE, U_DISABLE, U_ENABLE };

struct user_job {
	enum user_op op;
	struct audit_ctx ac;
	int64_t org_id, actor_id;
	bool actor_superadmin;
	const char *uid;
	const char *email;
	struct user_new nu;
	const char *role;
	int64_t expires_at;
	bool existing; /* create: the account existed already */
	const char *why;
	char email_out[256];
};

struct simple_job {
	struct audit_ctx ac;
	int64_t org_id;
	const char *uid;
	const char *prefix;
	const char *org_uid;
};

static int render_admin(struct req *r, int status, const struct admin_view *v);
static int user_tx(struct db *db, void *arg);
static int token_tx(struct db *db, void *arg);
static int org_tx(struct db *db, void *arg);
static json_t *last_sign_ins(struct req *r, struct db *db, int64_t org_id);

static bool in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* {user uid: newest sign-in} for the organisation's members. */
static json_t *last_sign_ins(struct req *r, struct db *db, int64_t org_id)
{
	json_t *o = json_object();
	struct db_res *q;
	if (db_query(db, &q,
		     "SELECT u.uid, max(s.created_at) FROM sessions s JOIN users u ON u.id = s.user_id"
		     " JOIN memberships m ON m.user_id = u.id AND m.org_id = $1 GROUP BY u.uid",
		     1, DBV(DB_INT(org_id))) < 0)
		return o;
	while (db_next(q))
		json_object_set_new(o, db_text(q, 0), kit_time(r, db_int(q, 1)));
	db_res_free(q);
	return o;
}

static int render_admin(struct req *r, int status, const struct admin_view *v)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	const char *after = req_query(r, "after");
	json_t *users = NULL, *tokens = NULL;
	char *next = NULL;
	int64_t tnext = 0;
	int rc = member_list(db, r->who.org_id, after ? after : "", 200, &users, &next);
	if (rc == 0)
		rc = token_list(db, r->who.org_id, 0, 0, 200, &tokens, &tnext);
	char prefix[32] = "", slug[128] = "";
	if (rc == 0) {
		struct db_res *q;
		rc = db_query(db, &q, "SELECT key_prefix, slug FROM orgs WHERE id = $1", 1,
			      DBV(DB_INT(r->who.org_id)));
		if (rc == 0) {
			if (db_next(q)) {
				snprintf(prefix, sizeof(prefix), "%s", db_text(q, 0));
				snprintf(slug, sizeof(slug), "%s", db_text(q, 1));
			}
			db_res_free(q);
		}
	}
	if (rc < 0) {
		json_decref(users);
		json_decref(tokens);
		free(next);
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading the organisation");
	}
	json_t *seen = last_sign_ins(r, db, r->who.org_id);
	static const char *const utimes[] = {"created_at", "expires_at", NULL};
	static const char *const ttimes[] = {"created_at", "last_used_at", "expires_at",
					     "revoked_at", NULL};
	size_t i;
	json_t *o;
	int64_t admins = 0;
	json_array_foreach(users, i, o) {
		kit_times(r, o, utimes);
		const char *uid = json_string_value(json_object_get(o, "id"));
		const char *role = json_string_value(json_object_get(o, "role"));
		json_t *ls = json_object_get(seen, uid);
		json_object_set(o, "last_sign_in_t", ls ? ls : json_null());
		json_object_set_new(o, "role_label", json_string(kit_label(r, role)));
		json_object_set_new(o, "is_me", json_boolean(r->who.user_uid &&
							     !strcmp(uid, r->who.user_uid)));
		const char *exp = json_string_value(json_object_get(o, "expires_at"));
		int64_t t;
		if (exp && time_parse_iso8601(exp, &t) == 0) {
			char d[ISO8601_LEN];
			time_format_iso8601(t - 1, d); /* the last day of access */
			json_object_set_new(o, "expires_on", json_stringn(d, 10));
		}
		if (!strcmp(role, "admin") && !json_is_true(json_object_get(o, "disabled")))
			admins++;
	}
	json_decref(seen);
	json_array_foreach(tokens, i, o) {
		kit_times(r, o, ttimes);
		json_object_set_new(o, "scope_label",
				    json_string(kit_label(r, json_string_value(
							     json_object_get(o, "scope")))));
	}
	json_t *m = kit_model(r, "admin", "Administration");
	json_object_set_new(m, "section", json_string("users"));
	json_object_set_new(m, "users", users);
	json_object_set_new(m, "users_next", next ? json_string(next) : json_null());
	free(next);
	json_object_set_new(m, "tokens", tokens);
	json_object_set_new(m, "roles", kit_options(r, roles));
	json_object_set_new(m, "settings", json_pack("{s:s, s:s, s:s}", "name",
						     r->who.org_name ? r->who.org_name : "", "slug",
						     slug, "key_prefix", prefix));
	json_t *form = v && v->form ? json_deep_copy(v->form) : json_object();
	if (!json_object_get(form, "role"))
		json_object_set_new(form, "role", json_string("responder"));
	if (!json_object_get(form, "key_prefix"))
		json_object_set_new(form, "key_prefix", json_string(prefix));
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", v && v->errors ? json_incref(v->errors) : json_object());
	if (v && v->created)
		json_object_set(m, "created", v->created);
	json_object_set_new(m, "is_auditor_only", json_false());
	return web_render(r, status, tmpl_admin_users, m);
}

static int h_admin(struct req *r)
{
	return render_admin(r, 200, NULL);
}

/* ---- users ---- */

static int load_target(struct db *db, struct user_job *j, int64_t *user_id, char role[16])
{
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT u.id, m.role, u.email FROM users u JOIN memberships m"
			  " ON m.user_id = u.id WHERE u.uid = $1 AND m.org_id = $2",
			  2, DBV(DB_TEXT(j->uid), DB_INT(j->org_id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(q)) {
		*user_id = db_int(q, 0);
		snprintf(role, 16, "%s", db_text(q, 1));
		snprintf(j->email_out, sizeof(j->email_out), "%s", db_text(q, 2));
		rc = 0;
	}
	db_res_free(q);
	return rc;
}

static int keeps_an_admin(struct db *db, struct user_job *j, int64_t user_id)
{
	int64_t others = 0;
	int rc = org_other_admins(db, j->org_id, user_id, time_now(), &others);
	if (rc < 0)
		return rc;
	if (others == 0) {
		j->why = "The organisation must keep at least one active admin.";
		return SIRT_ECONFLICT;
	}
	return 0;
}

static int user_create_tx(struct db *db, struct user_job *j)
{
	int64_t user_id = 0;
	char uid[37];
	j->existing = false;
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
			j->why = "This person is already a member of the organisation.";
			return SIRT_ECONFLICT;
		}
		j->existing = true; /* the account keeps its own password */
	}
	if (rc < 0)
		return rc;
	return membership_set(db, &j->ac, j->org_id, user_id, j->role, j->expires_at);
}

static int user_tx(struct db *db, void *arg)
{
	struct user_job *j = arg;
	j->why = NULL;
	if (j->op == U_CREATE)
		return user_create_tx(db, j);
	int64_t user_id;
	char role[16];
	int rc = load_target(db, j, &user_id, role);
	if (rc < 0)
		return rc;
	if (j->op == U_ROLE) {
		if (!strcmp(role, "admin") && (strcmp(j->role, "admin") != 0 || j->expires_at) &&
		    (rc = keeps_an_admin(db, j, user_id)) < 0)
			return rc;
		if (!strcmp(j->role, "auditor") && !j->expires_at) {
			j->why = "An auditor's access needs an expiry date.";
			return SIRT_ECONFLICT;
		}
		return membership_set(db, &j->ac, j->org_id, user_id, j->role, j->expires_at);
	}
	/* disable / enable: an account-level change */
	if (!j->actor_superadmin) {
		bool yes = false;
		if ((rc = user_managed_by(db, user_id, j->actor_id, &yes)) < 0)
			return rc;
		if (!yes) {
			j->why = "The account also belongs to an organisation you do not administer;"
				 " only its membership here can be changed.";
			return SIRT_EPERM;
		}
	}
	if (j->op == U_DISABLE) {
		if (user_id == j->actor_id) {
			j->why = "You cannot disable your own account.";
			return SIRT_ECONFLICT;
		}
		if (!strcmp(role, "admin") && (rc = keeps_an_admin(db, j, user_id)) < 0)
			return rc;
	}
	int64_t cur = 0;
	if ((rc = db_query_int(db, &cur, "SELECT disabled FROM users WHERE id = $1", 1,
			       DBV(DB_INT(user_id)))) < 0)
		return rc;
	if ((cur != 0) == (j->op == U_DISABLE))
		return 0;
	return user_set_disabled(db, &j->ac, user_id, j->op == U_DISABLE);
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int h_user_add(struct req *r)
{
	const char *email_in = kit_field(r, "email");
	const char *dn = kit_field(r, "display_name");
	const char *role = kit_field(r, "role");
	const char *exp = kit_field(r, "expires_on");
	json_t *errors = json_object();
	char *email = arena_strdup(&r->arena, email_in ? email_in : "");
	lower(email);
	if (!*email)
		json_object_set_new(errors, "email", json_string("Enter the person's e-mail address."));
	else if (strlen(email) > EMAIL_MAX || !email_valid(email))
		json_object_set_new(errors, "email",
				    json_string("Enter an e-mail address like name@example.com."));
	if (dn && (strlen(dn) > DISPLAY_NAME_MAX || !text_is_single_line(dn)))
		json_object_set_new(errors, "display_name",
				    json_sprintf("Use at most %d characters on one line.",
						 DISPLAY_NAME_MAX));
	if (!in_list(role, roles))
		json_object_set_new(errors, "role", json_string("Choose a role."));
	int64_t expires = 0;
	if (exp && (kit_day_end(exp, &expires) < 0 || expires <= time_now()))
		json_object_set_new(errors, "expires_on",
				    json_string("Give a date (YYYY-MM-DD) of today or later."));
	else if (role && !strcmp(role, "auditor") && !exp)
		json_object_set_new(errors, "expires_on",
				    json_string("An auditor's access needs a last day: give a date."));
	json_t *form = json_pack("{s:s, s:s, s:s, s:s}", "email", email, "display_name",
				 dn ? dn : "", "role", role ? role : "", "expires_on", exp ? exp : "");
	if (json_object_size(errors)) {
		struct admin_view v = {.errors = errors, .form = form};
		int rc = render_admin(r, 422, &v);
		json_decref(errors);
		json_decref(form);
		return rc;
	}
	char pw[GEN_PASSWORD_LEN + 1], hash[PASSWD_HASH_MAX];
	passwd_generate(pw, GEN_PASSWORD_LEN);
	if (passwd_hash(pw, hash) < 0) {
		json_decref(errors);
		json_decref(form);
		return resp_problem(r, 503, NULL, "the password could not be hashed; try again", NULL);
	}
	struct user_job j = {.op = U_CREATE, .ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .email = email, .role = role,
			     .expires_at = expires};
	j.nu.email = email;
	j.nu.display_name = dn;
	j.nu.password_hash = hash;
	int rc = store_tx(r->app->store, user_tx, &j);
	if (rc == SIRT_ECONFLICT) {
		json_object_set_new(errors, "email", json_string(j.why));
		struct admin_view v = {.errors = errors, .form = form};
		rc = render_admin(r, 409, &v);
		json_decref(errors);
		json_decref(form);
		return rc;
	}
	json_decref(errors);
	json_decref(form);
	if (rc < 0)
		return resp_error(r, rc, "adding the user");
	json_t *created = json_pack("{s:s, s:s}", "email", email, "role_label", kit_label(r, role));
	if (!j.existing)
		json_object_set_new(created, "password", json_string(pw));
	sodium_memzero(pw, sizeof(pw));
	struct admin_view v = {.created = created};
	resp_header(r, "Cache-Control", "no-store");
	rc = render_admin(r, 201, &v);
	json_decref(created);
	return rc;
}

static int h_user_change(struct req *r)
{
	const char *op = kit_field(r, "op");
	struct user_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			     .actor_id = r->who.user_id, .actor_superadmin = r->who.superadmin,
			     .uid = req_param(r, "id")};
	const char *done;
	if (op && !strcmp(op, "role")) {
		j.op = U_ROLE;
		j.role = kit_field(r, "role");
		const char *exp = kit_field(r, "expires_on");
		if (!in_list(j.role, roles))
			return kit_done(r, "error", "Choose a role.", "/admin#users");
		if (exp && (kit_day_end(exp, &j.expires_at) < 0 || j.expires_at <= time_now()))
			return kit_done(r, "error",
					"The expiry must be a date (YYYY-MM-DD) of today or later.",
					"/admin#users");
		done = "saved";
	} else if (op && !strcmp(op, "disable")) {
		j.op = U_DISABLE;
		done = "disabled: their sessions and tokens stopped working";
	} else if (op && !strcmp(op, "enable")) {
		j.op = U_ENABLE;
		done = "enabled";
	} else {
		return resp_problem(r, 422, NULL, "op must be role, disable or enable", NULL);
	}
	int rc = store_tx(r->app->store, user_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such user in this organisation", NULL);
	if (rc == SIRT_ECONFLICT || rc == SIRT_EPERM)
		return kit_done(r, "error",
				arena_printf(&r->arena, "%s: %s", j.email_out[0] ? j.email_out : "user",
					     j.why ? j.why : "not allowed"),
				"/admin#users");
	if (rc < 0)
		return resp_error(r, rc, "changing the user");
	return kit_done(r, "ok", arena_printf(&r->arena, "%s: %s.", j.email_out, done),
			"/admin#users");
}

/* ---- tokens and settings ---- */

static int token_tx(struct db *db, void *arg)
{
	struct simple_job *j = arg;
	return token_revoke(db, &j->ac, j->org_id, 0, j->uid);
}

static int h_token_revoke(struct req *r)
{
	struct simple_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id,
			       .uid = req_param(r, "id")};
	int rc = store_tx(r->app->store, token_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such token", NULL);
	if (rc == SIRT_ECONFLICT)
		return kit_done(r, "warning", "That token was already revoked.", "/admin#tokens");
	if (rc < 0)
		return resp_error(r, rc, "revoking the token");
	return kit_done(r, "ok", "The token is revoked: it stopped working at once.",
			"/admin#tokens");
}

static int org_tx(struct db *db, void *arg)
{
	struct simple_job *j = arg;
	char old[32] = "";
	struct db_res *q;
	int rc = db_query(db, &q, "SELECT key_prefix FROM orgs WHERE id = $1", 1,
			  DBV(DB_INT(j->org_id)));
	if (rc < 0)
		return rc;
	if (db_next(q))
		snprintf(old, sizeof(old), "%s", db_text(q, 0));
	db_res_free(q);
	if (!strcmp(old, j->prefix))
		return 0;
	rc = db_exec(db, "UPDATE orgs SET key_prefix = $2 WHERE id = $1", 2,
		     DBV(DB_INT(j->org_id), DB_TEXT(j->prefix)));
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "key_prefix", j->prefix, "previous", old);
	rc = audit_append(db, &j->ac, j->org_id, "org.settings", "org", j->org_uid, d);
	json_decref(d);
	return rc;
}

static int h_org(struct req *r)
{
	const char *prefix = kit_field(r, "key_prefix");
	if (!prefix || !incident_key_prefix_valid(prefix)) {
		json_t *errors = json_pack("{s:s}", "key_prefix",
					   "Use capital letters, digits and inner hyphens, starting"
					   " with a letter (for example INC or SEC-IR).");
		json_t *form = json_pack("{s:s}", "key_prefix", prefix ? prefix : "");
		struct admin_view v = {.errors = errors, .form = form};
		int rc = render_admin(r, 422, &v);
		json_decref(errors);
		json_decref(form);
		return rc;
	}
	struct simple_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id, .prefix = prefix,
			       .org_uid = r->who.org_uid ? r->who.org_uid : ""};
	int rc = store_tx(r->app->store, org_tx, &j);
	if (rc < 0)
		return resp_error(r, rc, "saving the settings");
	return kit_done(r, "ok",
			arena_printf(&r->arena,
				     "Settings saved: new incidents get keys like %s-2026-0001.",
				     prefix),
			"/admin#settings");
}

/* ---- audit trail ---- */

static int h_audit(struct req *r)
{
	const char *action = req_query(r, "action");
	const char *actor = req_query(r, "actor");
	const char *object = req_query(r, "object");
	const char *cur = req_query(r, "cursor");
	const char *verify = req_query(r, "verify");
	json_t *m = kit_model(r, "admin", "Audit trail");
	json_object_set_new(m, "section", json_string("audit"));
	json_object_set_new(m, "is_admin_page", json_boolean(pages_can(r, PERM_ADMIN)));
	json_object_set_new(m, "filters",
			    json_pack("{s:s, s:s, s:s}", "action", action ? action : "", "actor",
				      actor ? actor : "", "object", object ? object : ""));
	int64_t before = 0;
	if (cur && *cur) {
		char *end;
		before = strtoll(cur, &end, 10);
		if (*end || before <= 0) {
			json_decref(m);
			return resp_problem(r, 400, NULL, "cursor is not one this server returned",
					    NULL);
		}
	}
	if ((action && strlen(action) > 100) || (actor && strlen(actor) > 300) ||
	    (object && strlen(object) > 200)) {
		json_decref(m);
		return resp_problem(r, 400, NULL, "a filter is too long", NULL);
	}
	if (action && !*action)
		action = NULL;
	if (actor && !*actor)
		actor = NULL;
	if (object && !*object)
		object = NULL;
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(m);
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	}
	if (verify && *verify) {
		struct audit_verify_result v;
		int rc = audit_verify_db(db, r->who.org_id, &v);
		if (rc < 0) {
			json_decref(m);
			return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc,
					  "verifying the audit trail");
		}
		json_t *o = json_pack("{s:b, s:I, s:I, s:s, s:o}", "ok", v.ok, "entries",
				      (json_int_t)v.entries, "head_seq", (json_int_t)v.head_seq,
				      "head_hash", v.head_hash, "checked", kit_time(r, time_now()));
		if (!v.ok)
			json_object_set_new(o, "bad", json_pack("{s:I, s:s}", "seq",
								(json_int_t)v.first_bad, "problem",
								v.problem));
		json_object_set_new(m, "verify", o);
	}
	/* action filters by prefix ("user." finds every user event); the actor
	 * may be given as the e-mail alone; object is the object's id */
	struct db_res *q;
	int rc = db_query(
		db, &q,
		"SELECT seq, ts, actor, action, object_type, object_id, details, request_id,"
		" client_addr, hash FROM audit_log WHERE org_id = $1"
		" AND (CAST($2 AS BIGINT) = 0 OR seq < $2)"
		" AND (CAST($3 AS TEXT) IS NULL OR substr(action, 1, length(CAST($3 AS TEXT))) = $3)"
		" AND (CAST($4 AS TEXT) IS NULL OR actor = $4 OR actor = 'user:' || CAST($4 AS TEXT))"
		" AND (CAST($5 AS TEXT) IS NULL OR object_id = $5)"
		" ORDER BY seq DESC LIMIT $6",
		6,
		DBV(DB_INT(r->who.org_id), DB_INT(before), DB_TEXT(action), DB_TEXT(actor),
		    DB_TEXT(object), DB_INT(AUDIT_PAGE + 1)));
	if (rc < 0) {
		json_decref(m);
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading the audit trail");
	}
	json_t *items = json_array();
	int n = 0;
	int64_t last = 0, next = 0;
	while (db_next(q)) {
		if (n++ == AUDIT_PAGE) {
			next = last;
			break;
		}
		last = db_int(q, 0);
		const char *details = db_text(q, 6);
		const char *hash = db_text(q, 9);
		json_t *e = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
				      (json_int_t)last, "at", kit_time(r, db_int(q, 1)), "actor",
				      db_text(q, 2), "action", db_text(q, 3), "object_type",
				      db_text(q, 4), "object_id", db_text(q, 5), "request_id",
				      db_text(q, 7), "client_addr", db_text(q, 8), "hash", hash,
				      "hash_short", "");
		if (!e)
			continue; /* not UTF-8: cannot be shown (verification still covers it) */
		json_object_set_new(e, "hash_short", json_stringn(hash, strlen(hash) > 12 ? 12 : strlen(hash)));
		if (details && strcmp(details, "{}") != 0) {
			size_t dl = strlen(details);
			json_t *d = dl > 600 ? json_sprintf("%.600s…", details) : json_string(details);
			if (d)
				json_object_set_new(e, "details", d);
		}
		json_array_append_new(items, e);
	}
	db_res_free(q);
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "next_cursor",
			    next ? json_sprintf("%lld", (long long)next) : json_null());
	return web_render(r, 200, tmpl_admin_audit, m);
}

const struct route web_admin_routes[] = {
	{"GET", "/admin", PERM_ADMIN, BODY_NONE, 0, h_admin, NULL,
	 "Administration: users, API tokens, settings, channels", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/users", PERM_ADMIN, BODY_FORM, 16384, h_user_add, NULL,
	 "Add a user (form: email, display_name, role, expires_on); the password is shown once",
	 "web", NULL, ROUTE_HTML},
	{"POST", "/admin/users/{id}", PERM_ADMIN, BODY_FORM, 8192, h_user_change, NULL,
	 "Change a user (form: op=role|disable|enable, role, expires_on)", "web", NULL,
	 ROUTE_HTML},
	{"POST", "/admin/tokens/{id}/revoke", PERM_ADMIN, BODY_FORM, 4096, h_token_revoke, NULL,
	 "Revoke an API token of the organisation (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/admin/org", PERM_ADMIN, BODY_FORM, 4096, h_org, NULL,
	 "Organisation settings (form: key_prefix)", "web", NULL, ROUTE_HTML},
	{"GET", "/admin/audit", PERM_AUDIT, BODY_NONE, 0, h_audit, NULL,
	 "The audit trail (filters action, actor, object; ?verify=1 checks the chain)", "web",
	 NULL, ROUTE_HTML},
};
ROUTES_COUNT(web_admin);
