/* /api/v1/quality-reviews and /api/v1/org-changes. */
#include <stdlib.h>
#include <string.h>

#include "api/review_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "store/qreview_store.h"
#include "util/timeutil.h"

static const char *const subjects[] = {"plan", "team", "playbooks", "clocks", NULL};
static const char *const reasons[] = {"scheduled", "organisational_change", "incident",
				      "exercise", "other", NULL};
static const char *const statuses[] = {"open", "done", "cancelled", NULL};
static const char *const outcomes[] = {"pass", "changes_required", NULL};

static const struct field_spec create_fields[] = {
	{"subject", F_ENUM, true, false, 0, subjects, "plan, team, playbooks or clocks"},
	{"due_date", F_DATE, true, false, 0, NULL, "when the review is due (YYYY-MM-DD)"},
	{"reason", F_ENUM, false, false, 0, reasons, "scheduled (default), organisational_change, ..."},
	{"reviewer", F_STRING, false, false, 254, NULL, "who reviews"},
	{"notes", F_TEXT, false, false, 20000, NULL, "notes (Markdown)"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	{"status", F_ENUM, false, false, 0, statuses, "open, done or cancelled (done and cancelled are final)"},
	{"reviewer", F_STRING, false, false, 254, NULL, "who reviewed"},
	{"reviewed_on", F_DATE, false, true, 0, NULL, "when (default today when completing)"},
	{"outcome", F_ENUM, false, true, 0, outcomes, "pass or changes_required"},
	{"notes", F_TEXT, false, false, 20000, NULL, "notes (Markdown)"},
	{"changes", F_ARRAY, false, false, 50, NULL,
	 "changes required: [{title, owner, due_date, priority, description, plan_version_id,"
	 " plan_version_label}], each becomes an action item on completion"},
	{"due_date", F_DATE, false, false, 0, NULL, "move the due date"},
	{NULL},
};

static const struct field_spec change_fields[] = {
	{"title", F_STRING, true, false, 300, NULL, NULL},
	{"owner", F_STRING, true, false, 254, NULL, NULL},
	{"due_date", F_DATE, true, false, 0, NULL, NULL},
	{"priority", F_ENUM, false, false, 0, (const char *const[]){"low", "medium", "high", "critical", NULL}, NULL},
	{"description", F_TEXT, false, false, 20000, NULL, NULL},
	{"plan_version_id", F_STRING, false, false, 64, NULL, NULL},
	{"plan_version_label", F_STRING, false, false, 100, NULL, NULL},
	{NULL},
};

static const struct field_spec org_change_fields[] = {
	{"title", F_STRING, true, false, 300, NULL, "what changed"},
	{"description", F_TEXT, false, false, 20000, NULL, "details (Markdown)"},
	{"kind", F_ENUM, false, false, 0,
	 (const char *const[]){"merger_acquisition", "restructuring", "new_service", "new_location",
			       "key_personnel", "supplier", "technology", "regulatory", "other", NULL},
	 "merger_acquisition, restructuring, new_service, ..., other"},
	{"changed_on", F_DATE, true, false, 0, NULL, "when it took effect (YYYY-MM-DD)"},
	{NULL},
};

static const struct field_spec cadence_fields[] = {
	{"plan", F_INT, false, false, 0, NULL, "days between plan reviews"},
	{"team", F_INT, false, false, 0, NULL, "days between team roster reviews"},
	{"playbooks", F_INT, false, false, 0, NULL, "days between playbook reviews"},
	{"clocks", F_INT, false, false, 0, NULL, "days between clock definition reviews"},
	{NULL},
};

static void check_changes(json_t *arr, json_t **errors)
{
	size_t i;
	json_t *x;
	char path[64];
	json_array_foreach(arr, i, x) {
		snprintf(path, sizeof(path), "changes[%zu]", i);
		if (!json_is_object(x)) {
			validate_add(errors, path, "must be an object");
			continue;
		}
		json_t *e = NULL;
		if (validate_body(x, change_fields, &e) < 0) {
			size_t k;
			json_t *m;
			json_array_foreach(e, k, m) {
				char p2[160];
				snprintf(p2, sizeof(p2), "%s.%s", path,
					 json_string_value(json_object_get(m, "field")));
				validate_add(errors, p2, json_string_value(json_object_get(m, "message")));
			}
			json_decref(e);
		}
	}
}

enum qop { Q_CREATE, Q_UPDATE, Q_CADENCE, Q_ORG_CHANGE };

struct q_job {
	enum qop op;
	int64_t org_id;
	const char *uid;
	const char *by;
	int64_t version;
	json_t *body;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static int q_tx(struct db *db, void *arg)
{
	struct q_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	switch (j->op) {
	case Q_CREATE:
		return qreview_create(db, &j->ac, j->org_id, j->body, j->by, j->now, &j->res, &j->out);
	case Q_UPDATE:
		return qreview_update(db, &j->ac, j->org_id, j->uid, j->version, j->body, j->by,
				      j->now, &j->res, &j->out);
	case Q_CADENCE: {
		int rc = qreview_set_cadence(db, &j->ac, j->org_id, j->body);
		return rc < 0 ? rc : qreview_schedule(db, j->org_id, j->now, &j->out);
	}
	case Q_ORG_CHANGE:
		return org_change_create(db, &j->ac, j->org_id, j->body, j->by, j->now, &j->res,
					 &j->out);
	}
	return SIRT_EINVAL;
}

static int run(struct req *r, enum qop op, const struct field_spec *spec, int status)
{
	struct q_job j = {.op = op, .org_id = r->who.org_id, .uid = req_param(r, "id"),
			  .by = r->who.email, .ac = req_audit_ctx(r), .now = time_now()};
	if (op == Q_UPDATE && api_if_match(r, &j.version) < 0)
		return 0;
	json_t *errors = NULL;
	if (req_json(r, &j.body) < 0)
		return 0;
	if (validate_body(j.body, spec, &errors) == 0) {
		if (op == Q_UPDATE)
			check_changes(json_object_get(j.body, "changes"), &errors);
		if (op == Q_CADENCE) {
			const char *k;
			json_t *v;
			json_object_foreach(j.body, k, v)
				if (json_integer_value(v) < 1 || json_integer_value(v) > 3660)
					validate_add(&errors, k, "must be from 1 to 3660 days");
			if (json_object_size(j.body) == 0)
				validate_add(&errors, "plan", "give at least one subject's cadence");
		}
		const char *t = json_string_value(json_object_get(j.body, "title"));
		if (t && strspn(t, " ") == strlen(t))
			validate_add(&errors, "title", "must not be blank");
	}
	if (errors) {
		json_decref(j.body);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, q_tx, &j);
	json_decref(j.body);
	if (rc < 0) {
		json_decref(j.out);
		return rapi_fail(r, rc, &j.res, "no such quality review");
	}
	op_free(&j.res);
	json_t *v = json_object_get(j.out, "version");
	if (v)
		api_etag(r, json_integer_value(v));
	return resp_json(r, status, j.out);
}

static int h_create(struct req *r)
{
	return run(r, Q_CREATE, create_fields, 201);
}

static int h_patch(struct req *r)
{
	return run(r, Q_UPDATE, patch_fields, 200);
}

static int h_cadence(struct req *r)
{
	return run(r, Q_CADENCE, cadence_fields, 200);
}

static int h_org_change(struct req *r)
{
	return run(r, Q_ORG_CHANGE, org_change_fields, 201);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = qreview_get(db, r->who.org_id, req_param(r, "id"), time_now(), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such quality review", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the quality review");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int h_list(struct req *r)
{
	struct qreview_filter f = {.now = time_now()};
	if (api_limit(r, &f.limit) < 0 || rapi_bool(r, "overdue", &f.overdue) < 0 ||
	    rapi_cursor(r, &f.cursor_due, &f.cursor_id) < 0)
		return 0;
	f.subject = req_query(r, "subject");
	f.status = req_query(r, "status");
	if (f.subject && !rapi_in(subjects, f.subject))
		return resp_problem(r, 400, NULL, "subject must be plan, team, playbooks or clocks",
				    NULL);
	if (f.status && !rapi_in(statuses, f.status))
		return resp_problem(r, 400, NULL, "status must be open, done or cancelled", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	char *next = NULL;
	int rc = qreview_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing quality reviews");
	json_t *o = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
	if (!next)
		json_object_set_new(o, "next_cursor", json_null());
	free(next);
	return resp_json(r, 200, o);
}

static int h_schedule(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = qreview_schedule(db, r->who.org_id, time_now(), &o);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the review schedule");
	return resp_json(r, 200, o);
}

static int h_org_changes(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = org_change_list(db, r->who.org_id, limit, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing organisational changes");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

const struct route api_qreviews_routes[] = {
	{"POST", "/api/v1/quality-reviews", PERM_MANAGE, BODY_JSON, 0, h_create, NULL,
	 "Schedule a quality review of the plan, team, playbooks or clocks", "quality-reviews",
	 create_fields, 0},
	{"GET", "/api/v1/quality-reviews", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List quality reviews (?subject, ?status, ?overdue=true)", "quality-reviews", NULL, 0},
	{"GET", "/api/v1/quality-reviews/schedule", PERM_READ, BODY_NONE, 0, h_schedule, NULL,
	 "Per subject: cadence, last review, next due, overdue", "quality-reviews", NULL, 0},
	{"PUT", "/api/v1/quality-reviews/cadence", PERM_MANAGE, BODY_JSON, 0, h_cadence, NULL,
	 "Set the review cadence in days per subject", "quality-reviews", cadence_fields, 0},
	{"GET", "/api/v1/quality-reviews/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read a quality review with its action items", "quality-reviews", NULL, 0},
	{"PATCH", "/api/v1/quality-reviews/{id}", PERM_MANAGE, BODY_JSON, 0, h_patch, NULL,
	 "Record the review: reviewer, date, outcome, changes (honours If-Match)",
	 "quality-reviews", patch_fields, 0},
	{"POST", "/api/v1/org-changes", PERM_MANAGE, BODY_JSON, 0, h_org_change, NULL,
	 "Record a significant organisational change; opens a plan review", "quality-reviews",
	 org_change_fields, 0},
	{"GET", "/api/v1/org-changes", PERM_READ, BODY_NONE, 0, h_org_changes, NULL,
	 "List organisational changes and their plan reviews", "quality-reviews", NULL, 0},
};
ROUTES_COUNT(api_qreviews);
