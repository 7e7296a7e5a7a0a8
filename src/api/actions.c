/* /api/v1/actions: action items from reviews, exercises and quality reviews. */
#include <string.h>

#include "api/review_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "store/action_store.h"
#include "util/timeutil.h"

static const char *const source_types[] = {"review", "exercise", "quality_review", NULL};
static const char *const priorities[] = {"low", "medium", "high", "critical", NULL};
static const char *const statuses[] = {"open", "in_progress", "done", "wont_do", NULL};

static const struct field_spec create_fields[] = {
	{"source_type", F_ENUM, true, false, 0, source_types, "review, exercise or quality_review"},
	{"source_id", F_STRING, true, false, 64, NULL,
	 "the review (or its incident's id or key), exercise or quality review"},
	{"title", F_STRING, true, false, 300, NULL, "what must be done"},
	{"description", F_TEXT, false, false, 20000, NULL, "details (Markdown)"},
	{"owner", F_STRING, true, false, 254, NULL, "a user's e-mail or a team member's name"},
	{"due_date", F_DATE, true, false, 0, NULL, "YYYY-MM-DD"},
	{"priority", F_ENUM, false, false, 0, priorities, "low, medium (default), high, critical"},
	{"plan_version_id", F_STRING, false, true, 64, NULL, "the plan revision this item caused"},
	{"plan_version_label", F_STRING, false, true, 100, NULL, "that plan revision's label"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	{"title", F_STRING, false, false, 300, NULL, "what must be done"},
	{"description", F_TEXT, false, false, 20000, NULL, "details (Markdown)"},
	{"owner", F_STRING, false, false, 254, NULL, "a user's e-mail or a team member's name"},
	{"due_date", F_DATE, false, false, 0, NULL, "YYYY-MM-DD"},
	{"priority", F_ENUM, false, false, 0, priorities, "low, medium, high, critical"},
	{"status", F_ENUM, false, false, 0, statuses, "open, in_progress, done, wont_do"},
	{"verification_note", F_TEXT, false, false, 5000, NULL,
	 "how the fix was verified (required for done)"},
	{"plan_version_id", F_STRING, false, true, 64, NULL, "the plan revision this item caused"},
	{"plan_version_label", F_STRING, false, true, 100, NULL, "that plan revision's label"},
	{NULL},
};

static bool blank(const char *s)
{
	return !s || strspn(s, " \t") == strlen(s);
}

/* The rules beyond types, for create and patch alike. */
static void check_common(json_t *body, json_t **errors)
{
	const char *owner = json_string_value(json_object_get(body, "owner"));
	if (json_object_get(body, "owner") && blank(owner))
		validate_add(errors, "owner", "must not be blank: every action item needs an owner");
	else if (owner && strchr(owner, '@') && !email_valid(owner))
		validate_add(errors, "owner", "is not a valid e-mail address");
	const char *title = json_string_value(json_object_get(body, "title"));
	if (json_object_get(body, "title") && blank(title))
		validate_add(errors, "title", "must not be blank");
}

struct create_job {
	struct action_new in;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	return action_create(db, &j->ac, &j->in, j->now, &j->res, &j->out);
}

static int h_create(struct req *r)
{
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) == 0)
		check_common(body, &errors);
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct create_job j = {.ac = req_audit_ctx(r), .now = time_now()};
	j.in.org_id = r->who.org_id;
	j.in.source_type = json_string_value(json_object_get(body, "source_type"));
	j.in.source_ref = json_string_value(json_object_get(body, "source_id"));
	j.in.title = json_string_value(json_object_get(body, "title"));
	j.in.description = json_string_value(json_object_get(body, "description"));
	j.in.owner = json_string_value(json_object_get(body, "owner"));
	j.in.priority = json_string_value(json_object_get(body, "priority"));
	j.in.plan_version_id = json_string_value(json_object_get(body, "plan_version_id"));
	j.in.plan_version_label = json_string_value(json_object_get(body, "plan_version_label"));
	j.in.created_by = r->who.email;
	if (time_parse_date(json_string_value(json_object_get(body, "due_date")), &j.in.due_date) < 0)
		j.in.due_date = 0; /* validated above */
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	if (rc < 0) {
		json_decref(j.out);
		return rapi_fail(r, rc, &j.res, "creating the action item");
	}
	op_free(&j.res);
	resp_header(r, "Location",
		    arena_printf(&r->arena, "/api/v1/actions/%s",
				 json_string_value(json_object_get(j.out, "id"))));
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 201, j.out);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = action_get(db, r->who.org_id, req_param(r, "id"), time_now(), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such action item", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the action item");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int h_list(struct req *r)
{
	struct action_filter f = {.now = time_now()};
	if (api_limit(r, &f.limit) < 0 || rapi_bool(r, "overdue", &f.overdue) < 0 ||
	    rapi_cursor(r, &f.cursor_due, &f.cursor_id) < 0)
		return 0;
	f.status = req_query(r, "status");
	f.source_type = req_query(r, "source_type");
	f.source_id = req_query(r, "source_id");
	f.owner = req_query(r, "owner");
	if (f.status && !rapi_in(statuses, f.status))
		return resp_problem(r, 400, NULL, "status must be open, in_progress, done or wont_do",
				    NULL);
	if (f.source_type && !rapi_in(source_types, f.source_type))
		return resp_problem(r, 400, NULL,
				    "source_type must be review, exercise or quality_review", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	char *next = NULL;
	int rc = action_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing action items");
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
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int patch_tx(struct db *db, void *arg)
{
	struct patch_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	return action_update(db, &j->ac, j->org_id, j->uid, j->version, j->patch, j->now, &j->res,
			     &j->out);
}

static int h_patch(struct req *r)
{
	struct patch_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			      .ac = req_audit_ctx(r), .now = time_now()};
	if (api_if_match(r, &j.version) < 0)
		return 0;
	json_t *errors = NULL;
	if (req_json(r, &j.patch) < 0)
		return 0;
	if (validate_body(j.patch, patch_fields, &errors) == 0)
		check_common(j.patch, &errors);
	if (errors) {
		json_decref(j.patch);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, patch_tx, &j);
	json_decref(j.patch);
	if (rc < 0) {
		json_decref(j.out);
		return rapi_fail(r, rc, &j.res, "no such action item");
	}
	op_free(&j.res);
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 200, j.out);
}

const struct route api_actions_routes[] = {
	{"POST", "/api/v1/actions", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Create an action item (owner and due date required)", "actions", create_fields, 0},
	{"GET", "/api/v1/actions", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List action items by due date (?status, ?overdue=true, ?source_type, ?source_id, ?owner)",
	 "actions", NULL, 0},
	{"GET", "/api/v1/actions/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read one action item", "actions", NULL, 0},
	{"PATCH", "/api/v1/actions/{id}", PERM_MANAGE, BODY_JSON, 0, h_patch, NULL,
	 "Update an action item (done needs a verification note; honours If-Match)", "actions",
	 patch_fields, 0},
};
ROUTES_COUNT(api_actions);
