/*
 * The parts of an incident: timeline, tasks, indicators, and the indicator
 * lookup across incidents. /api/v1/incidents/{id}/... where {id} is the
 * incident's id or key.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/incident_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/category.h"
#include "core/indicator.h"
#include "http/routes.h"
#include "store/incident_store.h"
#include "util/timeutil.h"

static const struct field_spec timeline_fields[] = {
	{"kind", F_ENUM, true, false, 0, timeline_kinds, "action, note, decision or communication"},
	{"text", F_TEXT, true, false, 20000, NULL, "what happened, was decided or said"},
	{"occurred_at", F_TIME, false, true, 0, NULL, "when it happened, if not now (RFC 3339)"},
	{"corrects", F_INT, false, true, 0, NULL, "id of the entry this one corrects"},
	{NULL},
};

static const struct field_spec task_create_fields[] = {
	{"title", F_STRING, true, false, 200, NULL, "what to do"},
	{"assignee", F_STRING, false, true, 254, NULL, "e-mail of a member"},
	{"due_at", F_TIME, false, true, 0, NULL, "due time (RFC 3339)"},
	{"status", F_ENUM, false, false, 0, task_statuses, "open, in_progress, done or cancelled"},
	{NULL},
};

static const struct field_spec task_patch_fields[] = {
	{"title", F_STRING, false, false, 200, NULL, "what to do"},
	{"assignee", F_STRING, false, true, 254, NULL, "e-mail of a member; null to unassign"},
	{"due_at", F_TIME, false, true, 0, NULL, "due time (RFC 3339); null for none"},
	{"status", F_ENUM, false, false, 0, task_statuses, "open, in_progress, done or cancelled"},
	{NULL},
};

static const struct field_spec indicator_fields[] = {
	{"type", F_ENUM, true, false, 0, indicator_types, "ip, cidr, domain, url, email, md5, sha1,"
							     " sha256, file_name or account"},
	{"value", F_STRING, true, false, INDICATOR_VALUE_MAX, NULL, "the indicator (defanged forms accepted)"},
	{"tlp", F_ENUM, false, false, 0, tlp_levels, "TLP (default: the incident's)"},
	{"description", F_TEXT, false, false, 2000, NULL, "context"},
	{"first_seen", F_TIME, false, false, 0, NULL, "first seen (RFC 3339)"},
	{"last_seen", F_TIME, false, false, 0, NULL, "last seen (RFC 3339)"},
	{NULL},
};

static int64_t time_of(json_t *body, const char *name)
{
	int64_t t = 0;
	const char *s = json_string_value(json_object_get(body, name));
	if (s && time_parse_iso8601(s, &t) < 0)
		t = 0;
	return t;
}

/* A positive integer path parameter, or 0. */
static int64_t id_param(struct req *r, const char *name)
{
	const char *s = req_param(r, name);
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || v <= 0 || strlen(s) > 18)
		return 0;
	return v;
}

/* One job type for every write here: the kind picks the store call. */
enum part_op { OP_TIMELINE, OP_TASK_ADD, OP_TASK_PATCH, OP_IND_ADD, OP_IND_DELETE };

struct part_job {
	enum part_op op;
	int64_t org_id;
	const char *ref;
	int64_t sub_id;
	struct audit_ctx ac;
	struct timeline_new tl;
	struct task_new task;
	struct indicator_new ind;
	json_t *patch;
	json_t *out;
	bool created;
};

static int part_tx(struct db *db, void *arg)
{
	struct part_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	switch (j->op) {
	case OP_TIMELINE:
		return incident_timeline_add(db, &j->ac, j->org_id, j->ref, &j->tl, &j->out);
	case OP_TASK_ADD:
		return incident_task_add(db, &j->ac, j->org_id, j->ref, &j->task, &j->out);
	case OP_TASK_PATCH:
		return incident_task_update(db, &j->ac, j->org_id, j->ref, j->sub_id, j->patch, &j->out);
	case OP_IND_ADD:
		return incident_indicator_add(db, &j->ac, j->org_id, j->ref, &j->ind, &j->out,
					      &j->created);
	case OP_IND_DELETE:
		return incident_indicator_delete(db, &j->ac, j->org_id, j->ref, j->sub_id);
	}
	return SIRT_EINVAL;
}

static int run_part(struct req *r, struct part_job *j, int status, const char *what,
		    const char *not_found)
{
	int rc = store_tx(r->app->store, part_tx, j);
	if (rc == SIRT_ENOTFOUND && not_found) {
		/* the incident exists? then the sub-record does not */
		struct db *db = api_db(r);
		struct incident_ref inc;
		if (db && incident_lookup(db, r->who.org_id, j->ref, &inc) == 0) {
			json_decref(j->out);
			return resp_problem(r, 404, NULL, not_found, NULL);
		}
	}
	if (rc < 0) {
		int ret = incident_api_store_result(r, rc, j->out, what);
		json_decref(j->out);
		return ret;
	}
	if (!j->out)
		return resp_text(r, 204, "text/plain; charset=utf-8", "", 0);
	return resp_json(r, status, j->out);
}

/* ---- timeline ---- */

static int h_timeline_add(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, timeline_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct part_job j = {.op = OP_TIMELINE, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	j.tl.kind = json_string_value(json_object_get(body, "kind"));
	j.tl.text = json_string_value(json_object_get(body, "text"));
	j.tl.occurred_at = time_of(body, "occurred_at");
	j.tl.corrects = json_integer_value(json_object_get(body, "corrects"));
	int ret = run_part(r, &j, 201, "adding to the timeline", NULL);
	json_decref(body);
	return ret;
}

static int h_timeline_list(struct req *r)
{
	static const char *const params[] = {"limit", "after", NULL};
	int limit;
	if (incident_api_query_allow(r, params) < 0 || api_limit(r, &limit) < 0)
		return 0;
	if (!req_query(r, "limit"))
		limit = 200;
	int64_t after = 0;
	const char *a = req_query(r, "after");
	if (a) {
		char *end;
		after = strtoll(a, &end, 10);
		if (!*a || *end || after <= 0)
			return resp_problem(r, 400, NULL, "after must be the id of a timeline entry", NULL);
	}
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int64_t next = 0;
	int rc = incident_timeline_list(db, r->who.org_id, req_param(r, "id"), after, limit, &items,
					&next);
	if (rc == SIRT_EINVAL)
		return resp_problem(r, 400, NULL, "after is not an entry of this incident's timeline",
				    NULL);
	if (rc < 0)
		return incident_api_store_result(r, rc, NULL, "reading the timeline");
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_after", next ? json_integer(next) : json_null());
	return resp_json(r, 200, o);
}

/* ---- tasks ---- */

static int h_task_add(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, task_create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct part_job j = {.op = OP_TASK_ADD, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	j.task.title = json_string_value(json_object_get(body, "title"));
	j.task.assignee = json_string_value(json_object_get(body, "assignee"));
	j.task.due_at = time_of(body, "due_at");
	j.task.status = json_string_value(json_object_get(body, "status"));
	int ret = run_part(r, &j, 201, "adding the task", NULL);
	json_decref(body);
	return ret;
}

static int h_task_patch(struct req *r)
{
	json_t *body, *errors;
	int64_t task_id = id_param(r, "task_id");
	if (!task_id)
		return resp_problem(r, 404, NULL, "no such task", NULL);
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, task_patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct part_job j = {.op = OP_TASK_PATCH, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .sub_id = task_id, .patch = body, .ac = req_audit_ctx(r)};
	int ret = run_part(r, &j, 200, "updating the task", "no such task");
	json_decref(body);
	return ret;
}

static int h_task_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = incident_task_list(db, r->who.org_id, req_param(r, "id"), &items);
	if (rc < 0)
		return incident_api_store_result(r, rc, NULL, "reading the tasks");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

/* ---- indicators ---- */

static int h_indicator_add(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, indicator_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct part_job j = {.op = OP_IND_ADD, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	j.ind.type = json_string_value(json_object_get(body, "type"));
	j.ind.value = json_string_value(json_object_get(body, "value"));
	j.ind.tlp = json_string_value(json_object_get(body, "tlp"));
	j.ind.description = json_string_value(json_object_get(body, "description"));
	j.ind.first_seen = time_of(body, "first_seen");
	j.ind.last_seen = time_of(body, "last_seen");
	int rc = store_tx(r->app->store, part_tx, &j);
	json_decref(body);
	if (rc < 0) {
		int ret = incident_api_store_result(r, rc, j.out, "adding the indicator");
		json_decref(j.out);
		return ret;
	}
	/* the same indicator again: 200 with the widened first/last seen */
	return resp_json(r, j.created ? 201 : 200, j.out);
}

static int h_indicator_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = incident_indicator_list(db, r->who.org_id, req_param(r, "id"), &items);
	if (rc < 0)
		return incident_api_store_result(r, rc, NULL, "reading the indicators");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_indicator_delete(struct req *r)
{
	int64_t ind_id = id_param(r, "ind_id");
	if (!ind_id)
		return resp_problem(r, 404, NULL, "no such indicator", NULL);
	struct part_job j = {.op = OP_IND_DELETE, .org_id = r->who.org_id, .ref = req_param(r, "id"),
			     .sub_id = ind_id, .ac = req_audit_ctx(r)};
	return run_part(r, &j, 204, "removing the indicator", "no such indicator");
}

static int h_indicator_lookup(struct req *r)
{
	static const char *const params[] = {"value", "type", "limit", NULL};
	int limit;
	if (incident_api_query_allow(r, params) < 0 || api_limit(r, &limit) < 0)
		return 0;
	const char *value = req_query(r, "value");
	const char *type = req_query(r, "type");
	if (!value || !*value)
		return resp_problem(r, 400, NULL, "value is required", NULL);
	if (strlen(value) > INDICATOR_VALUE_MAX)
		return resp_problem(r, 400, NULL, "value is too long", NULL);
	if (type && !indicator_type_valid(type))
		return resp_problem(r, 400, NULL,
				    "type must be one of ip, cidr, domain, url, email, md5, sha1,"
				    " sha256, file_name, account",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = indicator_lookup(db, r->who.org_id, value, type, limit, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "looking up the indicator");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

const struct route api_incident_parts_routes[] = {
	{"GET", "/api/v1/incidents/{id}/timeline", PERM_READ, BODY_NONE, 0, h_timeline_list, NULL,
	 "An incident's timeline, in the order things happened", "incidents", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/timeline", PERM_RESPOND, BODY_JSON, 0, h_timeline_add, NULL,
	 "Add a timeline entry (entries are never edited; correct with a new one)", "incidents",
	 timeline_fields, 0},
	{"GET", "/api/v1/incidents/{id}/tasks", PERM_READ, BODY_NONE, 0, h_task_list, NULL,
	 "An incident's tasks", "incidents", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/tasks", PERM_RESPOND, BODY_JSON, 0, h_task_add, NULL,
	 "Add a task", "incidents", task_create_fields, 0},
	{"PATCH", "/api/v1/incidents/{id}/tasks/{task_id}", PERM_RESPOND, BODY_JSON, 0, h_task_patch,
	 NULL, "Update a task (title, assignee, due time, status)", "incidents", task_patch_fields, 0},
	{"GET", "/api/v1/incidents/{id}/indicators", PERM_READ, BODY_NONE, 0, h_indicator_list, NULL,
	 "An incident's indicators", "incidents", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/indicators", PERM_RESPOND, BODY_JSON, 0, h_indicator_add, NULL,
	 "Add an indicator (201), or see it again (200)", "incidents", indicator_fields, 0},
	{"DELETE", "/api/v1/incidents/{id}/indicators/{ind_id}", PERM_RESPOND, BODY_NONE, 0,
	 h_indicator_delete, NULL, "Remove an indicator (audited)", "incidents", NULL, 0},
	{"GET", "/api/v1/indicators", PERM_READ, BODY_NONE, 0, h_indicator_lookup, NULL,
	 "Every incident with this indicator (\"where else did we see it?\")", "incidents", NULL, 0},
};
ROUTES_COUNT(api_incident_parts);
