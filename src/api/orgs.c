/*
 * /api/v1/orgs: organisations (tenants).
 *
 * Who may create one: only an installation administrator ("superadmin", a
 * flag on the account set by `sirt init` for its admin and by
 * `sirt user add --superadmin`), through the API or `sirt org add`. The
 * creator becomes the new organisation's admin. Listing shows the
 * organisations the caller belongs to (with the role in each); a superadmin
 * may ask for every organisation with ?all=true.
 */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "auth/security.h"
#include "http/routes.h"
#include "store/account_store.h"

static const struct field_spec create_fields[] = {
	{"name", F_STRING, true, false, ORG_NAME_MAX, NULL, "the organisation's name (unique)"},
	{NULL},
};

struct create_job {
	const char *name;
	int64_t creator;
	struct audit_ctx ac;
	int64_t id;
	char uid[37];
	json_t *out;
};

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	int rc = org_create(db, &j->ac, j->name, &j->id, j->uid);
	if (rc == 0)
		rc = membership_set(db, &j->ac, j->id, j->creator, "admin", 0);
	if (rc < 0)
		return rc;
	json_decref(j->out);
	j->out = NULL;
	json_t *all;
	rc = org_list(db, j->creator, &all);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *o;
	json_array_foreach(all, i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), j->uid) == 0)
			j->out = json_incref(o);
	json_decref(all);
	return j->out ? 0 : SIRT_ENOTFOUND;
}

static int h_create(struct req *r)
{
	if (!r->who.superadmin) {
		json_t *d = json_pack("{s:s}", "reason", "creating an organisation needs a superadmin");
		security_event(r, r->who.org_id, "security.permission_denied", d);
		json_decref(d);
		return resp_problem(r, 403, NULL,
				    "only an installation administrator (superadmin) may create"
				    " organisations",
				    NULL);
	}
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	const char *name = json_string_value(json_object_get(body, "name"));
	if (strspn(name, " ") == strlen(name)) {
		json_decref(body);
		validate_add(&errors, "name", "must not be blank");
		return api_invalid(r, errors);
	}
	struct create_job j = {.name = name, .creator = r->who.user_id, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "an organisation with this name exists", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "creating the organisation");
	return resp_json(r, 201, j.out);
}

static int h_list(struct req *r)
{
	const char *all = req_query(r, "all");
	bool want_all = all && (!strcmp(all, "true") || !strcmp(all, "1"));
	if (want_all && !r->who.superadmin)
		return resp_problem(r, 403, NULL, "only a superadmin may list every organisation",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = org_list(db, want_all ? 0 : r->who.user_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing organisations");
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o)
		json_object_set_new(o, "current",
				    json_boolean(r->who.org_uid &&
						 strcmp(json_string_value(json_object_get(o, "id")),
							r->who.org_uid) == 0));
	return resp_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

const struct route api_orgs_routes[] = {
	{"GET", "/api/v1/orgs", PERM_SELF, BODY_NONE, 0, h_list, NULL,
	 "Organisations you belong to, with your role (?all=true: every one, superadmins)",
	 "orgs", NULL, 0},
	{"POST", "/api/v1/orgs", PERM_ADMIN, BODY_JSON, 0, h_create, NULL,
	 "Create an organisation (superadmins); you become its admin", "orgs", create_fields, 0},
};
ROUTES_COUNT(api_orgs);
