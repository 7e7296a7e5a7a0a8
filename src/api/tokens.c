/*
 * /api/v1/tokens: the caller's API tokens in the current organisation.
 * A token is shown once, when created; only its SHA-256 is stored. Admins
 * (role admin, and a session or an admin-scoped token) see and revoke every
 * token of their organisation; everybody else only their own. A new token's
 * scope may not exceed the scope of the token that creates it.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "util/timeutil.h"

static const char *const scopes[] = {"read", "write", "admin", NULL};

static const struct field_spec create_fields[] = {
	{"name", F_STRING, true, false, 100, NULL, "a name to recognise the token by"},
	{"scope", F_ENUM, true, false, 0, scopes, "read, write or admin"},
	{"expires_at", F_TIME, false, true, 0, NULL, "when the token stops working (RFC 3339)"},
	{NULL},
};

struct create_job {
	struct token_new t;
	struct audit_ctx ac;
	char token[TOKEN_LEN + 1];
	char uid[37];
};

struct revoke_job {
	int64_t org_id;
	int64_t user_id; /* 0: any token of the organisation (admins) */
	const char *uid;
	struct audit_ctx ac;
};

static bool is_org_admin(const struct req *r)
{
	return r->who.role == ROLE_ADMIN && scope_allows(r->who.scope, PERM_ADMIN);
}

static int scope_rank(enum scope s)
{
	switch (s) {
	case SCOPE_READ: return 1;
	case SCOPE_WRITE: return 2;
	case SCOPE_ADMIN:
	case SCOPE_SESSION: return 3;
	default: return 0;
	}
}

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	int rc = token_insert(db, &j->t, j->token, j->uid);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "name", j->t.name, "scope", scope_name(j->t.scope));
	if (j->t.expires_at) {
		char ts[ISO8601_LEN];
		time_format_iso8601(j->t.expires_at, ts);
		json_object_set_new(d, "expires_at", json_string(ts));
	}
	rc = audit_append(db, &j->ac, j->t.org_id, "token.create", "token", j->uid, d);
	json_decref(d);
	return rc;
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
	struct create_job j = {.ac = req_audit_ctx(r)};
	j.t.org_id = r->who.org_id;
	j.t.user_id = r->who.user_id;
	j.t.name = json_string_value(json_object_get(body, "name"));
	j.t.scope = scope_parse(json_string_value(json_object_get(body, "scope")));
	const char *exp = json_string_value(json_object_get(body, "expires_at"));
	if (exp && (time_parse_iso8601(exp, &j.t.expires_at) < 0 || j.t.expires_at <= time_now()))
		validate_add(&errors, "expires_at", "must be in the future");
	if (strspn(j.t.name, " ") == strlen(j.t.name))
		validate_add(&errors, "name", "must not be blank");
	if (scope_rank(j.t.scope) > scope_rank(r->who.scope))
		validate_add(&errors, "scope",
			     "may not exceed the scope of the token used to create it");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, create_tx, &j);
	if (rc < 0) {
		json_decref(body);
		return api_store_error(r, NULL, rc, "creating the token");
	}
	char ts[ISO8601_LEN];
	time_format_iso8601(time_now(), ts);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:n, s:n}", "id", j.uid, "name",
			      j.t.name, "scope", scope_name(j.t.scope), "token", j.token,
			      "created_at", ts, "expires_at",
			      exp ? json_string(exp) : json_null(), "last_used_at", "revoked_at");
	json_decref(body);
	resp_header(r, "Location", arena_printf(&r->arena, "/api/v1/tokens/%s", j.uid));
	return resp_json(r, 201, o);
}

static int h_list(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	int64_t before = 0;
	const char *cur = req_query(r, "cursor");
	if (cur && *cur) {
		char *end;
		before = strtoll(cur, &end, 10);
		if (*end || before <= 0)
			return resp_problem(r, 400, NULL, "cursor is not one this server returned",
					    NULL);
	}
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int64_t next = 0;
	int rc = token_list(db, r->who.org_id, is_org_admin(r) ? 0 : r->who.user_id, before, limit,
			    &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing tokens");
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_cursor",
			    next ? json_string(arena_printf(&r->arena, "%lld", (long long)next))
				 : json_null());
	return resp_json(r, 200, o);
}

static int revoke_tx(struct db *db, void *arg)
{
	struct revoke_job *j = arg;
	return token_revoke(db, &j->ac, j->org_id, j->user_id, j->uid);
}

static int h_revoke(struct req *r)
{
	struct revoke_job j = {.org_id = r->who.org_id,
			       .user_id = is_org_admin(r) ? 0 : r->who.user_id,
			       .uid = req_param(r, "id"), .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, revoke_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such token", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "the token is already revoked", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "revoking the token");
	r->status = 204;
	r->content_type = NULL;
	return 0;
}

const struct route api_tokens_routes[] = {
	{"GET", "/api/v1/tokens", PERM_SELF, BODY_NONE, 0, h_list, NULL,
	 "List API tokens (own; admins: every token of the organisation), newest first",
	 "tokens", NULL, 0},
	{"POST", "/api/v1/tokens", PERM_SELF, BODY_JSON, 0, h_create, NULL,
	 "Create an API token for yourself; the token is in the response, once", "tokens",
	 create_fields, 0},
	{"DELETE", "/api/v1/tokens/{id}", PERM_SELF, BODY_NONE, 0, h_revoke, NULL,
	 "Revoke an API token (own; admins: any of the organisation)", "tokens", NULL, 0},
};
ROUTES_COUNT(api_tokens);
