/*
 * /api/v1/incidents: create, read, list and search, update, transitions.
 * The record's rules live in the store (incident_store.c) so imports obey
 * them too; this file checks JSON types and query parameters and maps store
 * results to HTTP. See docs/incidents.md.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/incident_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/category.h"
#include "http/routes.h"
#include "store/incident_store.h"
#include "util/timeutil.h"
#include "util/jsonw.h"
#include "util/xalloc.h"

static const char *const severities[] = {"critical", "high", "medium", "low", NULL};
static const char *const statuses[] = {"new", "triage", "containment", "eradication", "recovery",
				       "resolved", "closed", "rejected", NULL};

#define RECORD_FIELDS(REQ)                                                                          \
	{"title", F_STRING, REQ, false, 200, NULL, "short summary of what happened"},              \
	{"description", F_TEXT, false, false, 0, NULL, "what is known so far (Markdown)"},          \
	{"severity", F_ENUM, REQ, false, 0, severities, "critical, high, medium or low"},           \
	{"category", F_ENUM, false, true, 0, incident_categories, "incident type (playbook)"},      \
	{"attack_vector", F_ENUM, false, true, 0, attack_vectors, "NIST/CISA attack vector"},       \
	{"veris_action", F_ENUM, false, true, 0, veris_actions, "VERIS action category"},           \
	{"resolution", F_ENUM, false, true, 0, incident_resolutions, "how it ended"},               \
	{"resolution_summary", F_TEXT, false, true, 10000, NULL, "what was done to resolve it"},    \
	{"root_cause_category", F_ENUM, false, true, 0, root_cause_categories, "what made it possible"}, \
	{"occurred_at", F_TIME, false, true, 0, NULL, "when it happened (RFC 3339)"},               \
	{"detected_at", F_TIME, false, true, 0, NULL, "when it was detected (RFC 3339)"},           \
	{"aware_at", F_TIME, false, true, 0, NULL, "when the organisation became aware (RFC 3339)"}, \
	{"reporter", F_STRING, false, true, 200, NULL, "who reported it"},                          \
	{"commander", F_STRING, false, true, 254, NULL, "incident commander's e-mail (a member)"},  \
	{"assignees", F_STRINGS, false, true, 100, NULL, "e-mails of members working on it"},      \
	{"affected_systems", F_STRINGS, false, true, 100, NULL, "affected systems"},                \
	{"affected_customers", F_STRINGS, false, true, 100, NULL, "affected customers"},            \
	{"data_types", F_STRINGS, false, true, 100, NULL, "types of data involved"},                \
	{"personal_data", F_BOOL, false, false, 0, NULL, "personal data involved"},                \
	{"impact_functional", F_ENUM, false, true, 0, impact_functional_levels, "NIST functional impact"}, \
	{"impact_information", F_ENUM, false, true, 0, impact_information_levels, "NIST information impact"}, \
	{"impact_recoverability", F_ENUM, false, true, 0, impact_recoverability_levels,            \
	 "NIST recoverability"},                                                                    \
	{"tlp", F_ENUM, false, false, 0, tlp_levels, "Traffic Light Protocol (default amber)"},     \
	{"tags", F_STRINGS, false, true, 100, NULL, "tags"},                                        \
	{"related", F_STRINGS, false, true, 100, NULL, "keys of related incidents"},                \
	{"plan_version", F_STRING, false, true, 100, NULL, "IR plan version in force"}

static const struct field_spec create_fields[] = {
	RECORD_FIELDS(true),
	{"external_ref", F_STRING, false, true, 200, NULL, "your identifier (unique; 409 if reused)"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	RECORD_FIELDS(false),
	{"acknowledged_at", F_TIME, false, true, 0, NULL, "correction of a recorded time"},
	{"contained_at", F_TIME, false, true, 0, NULL, "correction of a recorded time"},
	{"resolved_at", F_TIME, false, true, 0, NULL, "correction of a recorded time"},
	{"closed_at", F_TIME, false, true, 0, NULL, "correction of a recorded time"},
	{NULL},
};

static const struct field_spec transition_fields[] = {
	{"to", F_ENUM, true, false, 0, statuses, "the new status"},
	{"reason", F_TEXT, false, false, 2000, NULL, "why (required to reopen or step back)"},
	{"reject_reason", F_ENUM, false, false, 0, reject_reasons, "to rejected: false_positive or duplicate"},
	{"duplicate_of", F_STRING, false, false, 64, NULL, "key of the original (duplicates)"},
	{"at", F_TIME, false, false, 0, NULL, "when it happened (default now)"},
	{"resolution", F_ENUM, false, false, 0, incident_resolutions, "set the resolution too"},
	{"resolution_summary", F_TEXT, false, false, 10000, NULL, "set the summary too"},
	{"root_cause_category", F_ENUM, false, false, 0, root_cause_categories, "set the root cause too"},
	{NULL},
};

static const char *const list_params[] = {
	"limit", "cursor", "status", "severity", "category", "assignee", "commander", "tag",
	"personal_data", "detected_from", "detected_to", "created_from", "created_to",
	"resolved_from", "resolved_to", "q", "sort", "order", NULL,
};

/* ---- shared with incident_parts.c ---- */

int incident_api_store_result(struct req *r, int rc, json_t *out, const char *what)
{
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc == SIRT_EPRECOND)
		return resp_problem(r, 412, NULL,
				    "the incident was changed since you read it (ETag mismatch);"
				    " fetch it again and reapply your change",
				    NULL);
	if (rc == SIRT_EINVAL && json_is_array(out))
		return api_invalid(r, json_incref(out));
	if (rc == SIRT_ECONFLICT && json_is_array(out)) {
		const char *msg = json_string_value(json_object_get(json_array_get(out, 0), "message"));
		return resp_problem(r, 409, NULL, arena_strdup(&r->arena, msg ? msg : what),
				    json_incref(out));
	}
	return api_store_error(r, NULL, rc, what);
}

struct qcheck {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result query_name_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct qcheck *q = cls;
	if (!enum_contains(q->allowed, key)) {
		q->bad = key;
		return MHD_NO;
	}
	return MHD_YES;
}

int incident_api_query_allow(struct req *r, const char *const *allowed)
{
	struct qcheck q = {.allowed = allowed};
	if (r->conn)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_name_cb, &q);
	if (!q.bad)
		return 0;
	struct strbuf sb;
	sb_init(&sb, 1000);
	sb_printf(&sb, "unknown query parameter '%.60s'; known: ", q.bad);
	enum_join(allowed, &sb);
	resp_problem(r, 400, NULL, arena_strdup(&r->arena, sb_str(&sb)), NULL);
	sb_free(&sb);
	return -1;
}

/* ---- create ---- */

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

/* Answers `status` with the incident's record, written as JSON text
 * straight from the row (no jansson objects), and its ETag. */
static int respond_record(struct req *r, struct db *db, const char *ref, int status)
{
	struct strbuf body;
	sb_init(&body, SB_DEFAULT_MAX);
	int64_t version;
	int rc = incident_get_text(db, r->who.org_id, ref, &body, &version);
	if (rc == 0) {
		sb_putc(&body, '\n');
		api_etag(r, version);
		resp_text(r, status, "application/json", body.buf, body.len);
	}
	sb_free(&body);
	return rc;
}

/* 201 with the committed record, read on this thread. */
static int created_response(struct req *r, struct create_job *j)
{
	char uid[40];
	snprintf(uid, sizeof(uid), "%s", json_string_value(json_object_get(j->out, "id")));
	json_decref(j->out);
	j->out = NULL;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	resp_header(r, "Location", arena_printf(&r->arena, "/api/v1/incidents/%s", uid));
	int rc = respond_record(r, db, uid, 201);
	if (rc < 0)
		return incident_api_store_result(r, rc, NULL, "reading the new incident");
	return 0;
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
	errors = NULL;
	incident_new_from_json(body, &j.in, &errors);
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	j.in.org_id = r->who.org_id;
	j.in.created_by = r->who.email;
	j.in.status = NULL;
	j.in.source = NULL;
	j.in.out_id_only = true;
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	if (rc == 0) /* committed: read the record here, off the writer */
		return created_response(r, &j);
	if (rc == SIRT_ECONFLICT && j.out) {
		const char *key = json_string_value(json_object_get(j.out, "key"));
		const char *d = arena_printf(&r->arena, "an incident with this external_ref exists: %s",
					     key ? key : "?");
		json_t *e = json_pack("[{s:s, s:s}]", "field", "external_ref", "message", d);
		json_decref(j.out);
		return resp_problem(r, 409, NULL, d, e);
	}
	int ret = incident_api_store_result(r, rc, j.out, "creating the incident");
	json_decref(j.out);
	return ret;
}

/* ---- read ---- */

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	int rc = respond_record(r, db, req_param(r, "id"), 200);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the incident");
	return 0;
}

/* RFC 3339, or YYYY-MM-DD (the whole day: from its start, to its end). */
static int date_param(struct req *r, const char *name, bool end_of_day, int64_t *out)
{
	const char *s = req_query(r, name);
	*out = 0;
	if (!s)
		return 0;
	if (time_parse_iso8601(s, out) == 0)
		return 0;
	if (strlen(s) == 10 && time_parse_date(s, out) == 0) {
		if (end_of_day)
			*out += 86399;
		return 0;
	}
	resp_problem(r, 400, NULL,
		     arena_printf(&r->arena, "%s must be an RFC 3339 date-time or a YYYY-MM-DD date",
				  name),
		     NULL);
	return -1;
}

static int enum_param(struct req *r, const char *name, const char *const *list, const char **out)
{
	*out = req_query(r, name);
	if (!*out || enum_contains(list, *out))
		return 0;
	struct strbuf sb;
	sb_init(&sb, 2000);
	sb_printf(&sb, "%s must be one of ", name);
	enum_join(list, &sb);
	resp_problem(r, 400, NULL, arena_strdup(&r->arena, sb_str(&sb)), NULL);
	sb_free(&sb);
	return -1;
}

static int h_list(struct req *r)
{
	struct incident_filter f = {0};
	if (incident_api_query_allow(r, list_params) < 0 || api_limit(r, &f.limit) < 0)
		return 0;
	static const char *const orders[] = {"asc", "desc", NULL};
	static const char *const bools[] = {"true", "false", NULL};
	const char *order, *pd;
	if (enum_param(r, "status", statuses, &f.status) < 0 ||
	    enum_param(r, "severity", severities, &f.severity) < 0 ||
	    enum_param(r, "category", incident_categories, &f.category) < 0 ||
	    enum_param(r, "order", orders, &order) < 0 ||
	    enum_param(r, "personal_data", bools, &pd) < 0)
		return 0;
	if (date_param(r, "detected_from", false, &f.detected_from) < 0 ||
	    date_param(r, "detected_to", true, &f.detected_to) < 0 ||
	    date_param(r, "created_from", false, &f.created_from) < 0 ||
	    date_param(r, "created_to", true, &f.created_to) < 0 ||
	    date_param(r, "resolved_from", false, &f.resolved_from) < 0 ||
	    date_param(r, "resolved_to", true, &f.resolved_to) < 0)
		return 0;
	f.personal_data = !pd ? PD_ANY : !strcmp(pd, "true") ? PD_YES : PD_NO;
	f.ascending = order && !strcmp(order, "asc");
	f.sort = req_query(r, "sort");
	f.cursor = req_query(r, "cursor");
	f.q = req_query(r, "q");
	if (f.q && !*f.q)
		f.q = NULL;
	f.tag = req_query(r, "tag");
	char *lower[2] = {NULL, NULL};
	const char *emails[2] = {req_query(r, "assignee"), req_query(r, "commander")};
	for (int i = 0; i < 2; i++) {
		if (!emails[i])
			continue;
		lower[i] = arena_strdup(&r->arena, emails[i]);
		for (char *p = lower[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	f.assignee = lower[0];
	f.commander = lower[1];
	if (f.tag) {
		char *t = arena_strdup(&r->arena, f.tag);
		for (char *p = t; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		f.tag = t;
	}
	char why[200];
	if (incident_filter_check(&f, why, sizeof(why)) < 0)
		return resp_problem(r, 400, NULL, arena_strdup(&r->arena, why), NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	/* {"items":[...],"next_cursor":...} written as text: a page of 50 full
	 * records as jansson objects cost more than reading them */
	struct strbuf body;
	sb_init(&body, SB_DEFAULT_MAX);
	sb_puts(&body, "{\"items\":");
	char *next = NULL;
	int rc = incident_list_text(db, r->who.org_id, &f, &body, &next);
	if (rc == 0) {
		jw_key(&body, "next_cursor", false);
		jw_string(&body, next);
		sb_puts(&body, "}\n");
		resp_text(r, 200, "application/json", body.buf, body.len);
	}
	sb_free(&body);
	free(next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing incidents");
	return 0;
}

/* ---- update ---- */

struct patch_job {
	int64_t org_id;
	const char *ref;
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
	return incident_update(db, &j->ac, j->org_id, j->ref, j->version, j->patch, &j->out);
}

static int h_patch(struct req *r)
{
	int64_t version;
	if (api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (json_object_get(body, "status")) {
		json_decref(body);
		errors = json_pack("[{s:s, s:s}]", "field", "status", "message",
				   "changes only through POST /api/v1/incidents/{id}/transitions");
		return api_invalid(r, errors);
	}
	if (validate_body(body, patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct patch_job j = {.org_id = r->who.org_id, .ref = req_param(r, "id"),
			      .version = version, .patch = body, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, patch_tx, &j);
	json_decref(body);
	if (rc < 0) {
		int ret = incident_api_store_result(r, rc, j.out, "updating the incident");
		json_decref(j.out);
		return ret;
	}
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 200, j.out);
}

/* ---- transitions ---- */

struct transition_job {
	int64_t org_id;
	const char *ref;
	int64_t version;
	struct incident_transition_req t;
	struct audit_ctx ac;
	json_t *out;
};

static int transition_tx(struct db *db, void *arg)
{
	struct transition_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_transition(db, &j->ac, j->org_id, j->ref, j->version, &j->t, &j->out);
}

static int h_transition(struct req *r)
{
	int64_t version;
	if (api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, transition_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct transition_job j = {.org_id = r->who.org_id, .ref = req_param(r, "id"),
				   .version = version, .ac = req_audit_ctx(r)};
	j.t.to = json_string_value(json_object_get(body, "to"));
	j.t.reason = json_string_value(json_object_get(body, "reason"));
	j.t.reject_reason = json_string_value(json_object_get(body, "reject_reason"));
	j.t.duplicate_of = json_string_value(json_object_get(body, "duplicate_of"));
	j.t.resolution = json_string_value(json_object_get(body, "resolution"));
	j.t.resolution_summary = json_string_value(json_object_get(body, "resolution_summary"));
	j.t.root_cause_category = json_string_value(json_object_get(body, "root_cause_category"));
	const char *at = json_string_value(json_object_get(body, "at"));
	if (at && time_parse_iso8601(at, &j.t.at) < 0)
		j.t.at = 0; /* validate_body checked it */
	int rc = store_tx(r->app->store, transition_tx, &j);
	json_decref(body);
	if (rc < 0) {
		int ret = incident_api_store_result(r, rc, j.out, "changing the status");
		json_decref(j.out);
		return ret;
	}
	api_etag(r, json_integer_value(json_object_get(j.out, "version")));
	return resp_json(r, 200, j.out);
}

const struct route api_incidents_routes[] = {
	{"POST", "/api/v1/incidents", PERM_RESPOND, BODY_JSON, 0, h_create, NULL,
	 "Create an incident", "incidents", create_fields, 0},
	{"GET", "/api/v1/incidents", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List and search incidents (filters, q, sort, keyset pagination)", "incidents", NULL, 0},
	{"GET", "/api/v1/incidents/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read one incident (by id or key)", "incidents", NULL, 0},
	{"PATCH", "/api/v1/incidents/{id}", PERM_RESPOND, BODY_JSON, 0, h_patch, NULL,
	 "Update an incident's fields (honours If-Match; not its status)", "incidents", patch_fields, 0},
	{"POST", "/api/v1/incidents/{id}/transitions", PERM_RESPOND, BODY_JSON, 0, h_transition, NULL,
	 "Move an incident through its lifecycle (honours If-Match)", "incidents", transition_fields,
	 0},
};
ROUTES_COUNT(api_incidents);
