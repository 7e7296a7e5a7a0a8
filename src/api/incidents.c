/* /api/v1/incidents: create, read, list, update. */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "store/incident_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const severities[] = {"critical", "high", "medium", "low", NULL};
static const char *const statuses[] = {"new", "triage", "containment", "eradication", "recovery",
				       "resolved", "closed", "rejected", NULL};

static const struct field_spec create_fields[] = {
	{"title", F_STRING, true, false, 200, NULL, "short summary of what happened"},
	{"description", F_TEXT, false, false, 0, NULL, "what is known so far (Markdown)"},
	{"severity", F_ENUM, true, false, 0, severities, "critical, high, medium or low"},
	{"detected_at", F_TIME, false, true, 0, NULL, "when it was detected (RFC 3339)"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	{"title", F_STRING, false, false, 200, NULL, "short summary"},
	{"description", F_TEXT, false, false, 0, NULL, "description (Markdown)"},
	{"severity", F_ENUM, false, false, 0, severities, "critical, high, medium or low"},
	{"detected_at", F_TIME, false, true, 0, NULL, "when it was detected (RFC 3339)"},
	{NULL},
};

struct create_job {
	struct incident_new in;
	struct audit_ctx ac;
	json_t *out;
};

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_create(db, &j->ac, &j->in, &j->out);
}

/* A time in the future (beyond 5 minutes of clock skew) is a mistake. */
static bool too_far_ahead(int64_t t)
{
	return t > time_now() + 300;
}

static int h_create(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct create_job j = {.ac = req_audit_ctx(r)};
	j.in.org_id = r->who.org_id;
	j.in.title = json_string_value(json_object_get(body, "title"));
	j.in.description = json_string_value(json_object_get(body, "description"));
	j.in.severity = json_string_value(json_object_get(body, "severity"));
	j.in.created_by = r->who.email;
	const char *det = json_string_value(json_object_get(body, "detected_at"));
	if (det && time_parse_iso8601(det, &j.in.detected_at) == 0 &&
	    too_far_ahead(j.in.detected_at)) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "detected_at", "must not be in the future");
		return api_invalid(r, errors);
	}
	if (strspn(j.in.title, " ") == strlen(j.in.title)) {
		json_decref(body);
		errors = NULL;
		validate_add(&errors, "title", "must not be blank");
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "creating the incident");
	const char *id = json_string_value(json_object_get(j.out, "id"));
	resp_header(r, "Location", arena_printf(&r->arena, "/api/v1/incidents/%s", id));
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 201, j.out);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *rec;
	int rc = incident_get(db, r->who.org_id, req_param(r, "id"), &rec);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the incident");
	api_etag(r, json_integer_value(json_object_get(rec, "version")));
	return resp_json(r, 200, rec);
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int h_list(struct req *r)
{
	struct incident_filter f = {0};
	if (api_limit(r, &f.limit) < 0)
		return 0;
	f.status = req_query(r, "status");
	f.severity = req_query(r, "severity");
	if (f.status && !in_list(statuses, f.status))
		return resp_problem(r, 400, NULL,
				    "status must be one of new, triage, containment, eradication,"
				    " recovery, resolved, closed, rejected",
				    NULL);
	if (f.severity && !in_list(severities, f.severity))
		return resp_problem(r, 400, NULL, "severity must be one of critical, high, medium, low",
				    NULL);
	const char *cur = req_query(r, "cursor");
	if (cur && *cur && incident_cursor_parse(cur, &f.cursor_created, &f.cursor_id) < 0)
		return resp_problem(r, 400, NULL, "cursor is not one this server returned", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	char *next = NULL;
	int rc = incident_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing incidents");
	json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
	if (!next)
		json_object_set_new(o, "next_cursor", json_null());
	free(next);
	return resp_json(r, 200, o);
}

struct patch_job {
	int64_t org_id;
	const char *uid;
	int64_t version;
	json_t *patch;
	struct audit_ctx ac;
	json_t *out;
};

static int patch_tx(struct db *db, void *arg)
{
	struct patch_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_update(db, &j->ac, j->org_id, j->uid, j->version, j->patch, &j->out);
}

static int h_patch(struct req *r)
{
	int64_t version;
	if (api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	const char *t = json_string_value(json_object_get(body, "title"));
	const char *det = json_string_value(json_object_get(body, "detected_at"));
	int64_t dt;
	errors = NULL;
	if (t && strspn(t, " ") == strlen(t))
		validate_add(&errors, "title", "must not be blank");
	if (det && time_parse_iso8601(det, &dt) == 0 && too_far_ahead(dt))
		validate_add(&errors, "detected_at", "must not be in the future");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct patch_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			      .version = version, .patch = body, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, patch_tx, &j);
	json_decref(body);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc == SIRT_EPRECOND)
		return resp_problem(r, 412, NULL,
				    "the incident was changed since you read it (ETag mismatch);"
				    " fetch it again and reapply your change",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "updating the incident");
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 200, j.out);
}

const struct route api_incidents_routes[] = {
	{"POST", "/api/v1/incidents", PERM_RESPOND, BODY_JSON, 0, h_create, NULL,
	 "Create an incident", "incidents", create_fields, 0},
	{"GET", "/api/v1/incidents", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List incidents, newest first (keyset pagination)", "incidents", NULL, 0},
	{"GET", "/api/v1/incidents/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read one incident", "incidents", NULL, 0},
	{"PATCH", "/api/v1/incidents/{id}", PERM_RESPOND, BODY_JSON, 0, h_patch, NULL,
	 "Update an incident (honours If-Match)", "incidents", patch_fields, 0},
};
ROUTES_COUNT(api_incidents);
