/* /api/v1/oncall: rotations per role, overrides, and who is on call now. */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/oncall.h"
#include "core/plan_doc.h"
#include "http/routes.h"
#include "store/team_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const struct field_spec create_fields[] = {
	{"role", F_STRING, true, false, 48, NULL, "the IR role this rotation staffs"},
	{"name", F_STRING, false, false, 200, NULL, "a name for the rotation"},
	{"time_zone", F_STRING, true, false, 64, NULL, "IANA time zone of hand-off times"},
	{"layers", F_ARRAY, true, false, ONCALL_MAX_LAYERS, NULL,
	 "[{name, members[], start, handoff, shift_hours, restrict?}]"},
	{NULL},
};
static const struct field_spec put_fields[] = {
	{"name", F_STRING, false, false, 200, NULL, "a name for the rotation"},
	{"time_zone", F_STRING, false, false, 64, NULL, "IANA time zone"},
	{"layers", F_ARRAY, false, false, ONCALL_MAX_LAYERS, NULL, "the layers (replaced whole)"},
	{NULL},
};
static const struct field_spec override_fields[] = {
	{"member", F_STRING, true, false, 36, NULL, "team member id"},
	{"starts_at", F_TIME, true, false, 0, NULL, "start (RFC 3339)"},
	{"ends_at", F_TIME, true, false, 0, NULL, "end (RFC 3339), after the start"},
	{"reason", F_STRING, false, false, 500, NULL, "why"},
	{NULL},
};

enum op { OP_SAVE, OP_OVERRIDE, OP_OVERRIDE_DEL };

struct job {
	enum op op;
	int64_t org;
	const char *uid, *oid;
	json_t *body;
	int64_t s, e;
	struct audit_ctx ac;
	json_t *out;
	struct plan_err err;
};

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	plan_err_reset(&j->err);
	switch (j->op) {
	case OP_SAVE:
		return oncall_rotation_save(db, &j->ac, j->org, j->uid, j->body, &j->out, &j->err);
	case OP_OVERRIDE:
		return oncall_override_add(db, &j->ac, j->org, j->uid,
					   json_string_value(json_object_get(j->body, "member")), j->s,
					   j->e, json_string_value(json_object_get(j->body, "reason")),
					   &j->out, &j->err);
	case OP_OVERRIDE_DEL:
		return oncall_override_delete(db, &j->ac, j->org, j->uid, j->oid, &j->err);
	}
	return SIRT_EINVAL;
}

static int run(struct req *r, struct job *j, int ok, const char *what)
{
	int rc = store_tx(r->app->store, job_tx, j);
	if (j->err.status) {
		json_decref(j->out);
		json_t *e = j->err.errors;
		j->err.errors = NULL;
		return resp_problem(r, j->err.status, NULL, arena_strdup(&r->arena, j->err.detail), e);
	}
	if (rc < 0) {
		json_decref(j->out);
		return api_store_error(r, NULL, rc, what);
	}
	if (!j->out)
		return resp_text(r, 204, NULL, "", 0);
	return resp_json(r, ok, j->out);
}

/* Shape, time zone and coverage of a rotation's layers. */
static void check_rotation(json_t *body, json_t **errors)
{
	const char *tz = json_string_value(json_object_get(body, "time_zone"));
	struct oncall_tz *z = NULL;
	if (tz && oncall_tz_load(tz, &z) < 0)
		validate_add(errors, "time_zone",
			     "is not a known IANA time zone name, e.g. Europe/London or UTC");
	oncall_tz_free(z);
	const char *role = json_string_value(json_object_get(body, "role"));
	if (role && !plan_key_valid(role))
		validate_add(errors, "role", "must be a role key");
	json_t *layers = json_object_get(body, "layers");
	if (!layers)
		return;
	struct oncall_rotation *rot = xcalloc(1, sizeof(*rot));
	json_t *le = NULL;
	if (oncall_layers_parse(layers, "layers", rot, &le) < 0) {
		size_t i;
		json_t *x;
		json_array_foreach(le, i, x)
			json_array_append(*errors ? *errors : (*errors = json_array()), x);
		json_decref(le);
	} else {
		char why[200];
		if (oncall_check_coverage(rot, why, sizeof(why)) < 0)
			validate_add(errors, "layers", why);
	}
	free(rot);
}

static int rotation_write(struct req *r, const struct field_spec *spec, const char *uid)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, spec, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	errors = NULL;
	check_rotation(body, &errors);
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct job j = {.op = OP_SAVE, .org = r->who.org_id, .uid = uid, .body = body,
			.ac = req_audit_ctx(r)};
	int rc = run(r, &j, uid ? 200 : 201, "saving the rotation");
	json_decref(body);
	return rc;
}

static int h_create(struct req *r)
{
	return rotation_write(r, create_fields, NULL);
}

static int h_put(struct req *r)
{
	return rotation_write(r, put_fields, req_param(r, "id"));
}

static int h_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = oncall_rotation_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing rotations");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = oncall_rotation_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rotation", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the rotation");
	return resp_json(r, 200, o);
}

static int h_override(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, override_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	int64_t s = 0, e = 0;
	if (time_parse_iso8601(json_string_value(json_object_get(body, "starts_at")), &s) < 0 ||
	    time_parse_iso8601(json_string_value(json_object_get(body, "ends_at")), &e) < 0) {
		json_decref(body);
		return resp_problem(r, 422, NULL, "starts_at and ends_at must be RFC 3339 times", NULL);
	}
	if (e <= s) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "ends_at", "must be after starts_at");
		return api_invalid(r, errors);
	}
	if (e - s > 90 * 86400) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "ends_at", "an override lasts at most 90 days; change the rotation instead");
		return api_invalid(r, errors);
	}
	struct job j = {.op = OP_OVERRIDE, .org = r->who.org_id, .uid = req_param(r, "id"),
			.body = body, .s = s, .e = e, .ac = req_audit_ctx(r)};
	int rc = run(r, &j, 201, "adding the override");
	json_decref(body);
	return rc;
}

static int h_override_delete(struct req *r)
{
	struct job j = {.op = OP_OVERRIDE_DEL, .org = r->who.org_id, .uid = req_param(r, "id"),
			.oid = req_param(r, "oid"), .ac = req_audit_ctx(r)};
	return run(r, &j, 204, "removing the override");
}

static int h_now(struct req *r)
{
	int64_t at = time_now();
	const char *q = req_query(r, "at");
	if (q && time_parse_iso8601(q, &at) < 0)
		return resp_problem(r, 400, NULL,
				    "at must be an RFC 3339 date-time with offset, e.g."
				    " 2026-03-01T14:30:00Z (a '+' in the offset is written %2B in a URL)",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = oncall_now(db, r->who.org_id, at, &o);
	if (rc < 0)
		return api_store_error(r, db, rc, "working out who is on call");
	return resp_json(r, 200, o);
}

const struct route api_oncall_routes[] = {
	{"GET", "/api/v1/oncall", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "On-call rotations with their overrides", "oncall", NULL, 0},
	{"POST", "/api/v1/oncall", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Create a rotation for a role (layers must cover the whole week)", "oncall", create_fields, 0},
	{"GET", "/api/v1/oncall/now", PERM_READ, BODY_NONE, 0, h_now, NULL,
	 "Who is on call for each role now (or ?at=)", "oncall", NULL, 0},
	{"GET", "/api/v1/oncall/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read a rotation", "oncall", NULL, 0},
	{"PUT", "/api/v1/oncall/{id}", PERM_MANAGE, BODY_JSON, 0, h_put, NULL,
	 "Change a rotation's name, time zone or layers", "oncall", put_fields, 0},
	{"POST", "/api/v1/oncall/{id}/overrides", PERM_MANAGE, BODY_JSON, 0, h_override, NULL,
	 "Add an override: a member covers from..to (no overlaps)", "oncall", override_fields, 0},
	{"DELETE", "/api/v1/oncall/{id}/overrides/{oid}", PERM_MANAGE, BODY_NONE, 0,
	 h_override_delete, NULL, "Remove an override", "oncall", NULL, 0},
};
ROUTES_COUNT(api_oncall);
