/* /api/v1/alerts: list and search, detail with the raw payload, attach and detach. */
#include <stdlib.h>
#include <string.h>

#include "alerts/alert.h"
#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "intake/intake.h"
#include "store/alert_store.h"

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const statuses[] = {"firing", "resolved", NULL};
static const char *const severities[] = {"critical", "high", "medium", "low", "info", NULL};

static int h_list(struct req *r)
{
	struct alert_filter f = {0};
	if (api_limit(r, &f.limit) < 0)
		return 0;
	f.source = req_query(r, "source");
	f.status = req_query(r, "status");
	f.severity = req_query(r, "severity");
	f.q = req_query(r, "q");
	if (f.source && !alert_source_valid(f.source))
		return resp_problem(r, 400, NULL,
				    "source must be one of alertmanager, grafana, sentinel, defender,"
				    " splunk, wazuh, elastic, generic",
				    NULL);
	if (f.status && !one_of(f.status, statuses))
		return resp_problem(r, 400, NULL, "status must be firing or resolved", NULL);
	if (f.severity && !one_of(f.severity, severities))
		return resp_problem(r, 400, NULL,
				    "severity must be one of critical, high, medium, low, info", NULL);
	if (f.q && strlen(f.q) > 200)
		return resp_problem(r, 400, NULL, "q is at most 200 bytes", NULL);
	const char *cur = req_query(r, "cursor");
	if (cur && *cur && alert_id_parse(cur, &f.cursor) < 0)
		return resp_problem(r, 400, NULL, "cursor is not one this server returned", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	const char *inc = req_query(r, "incident");
	if (inc && *inc) {
		int rc = alert_store_find_incident(db, r->who.org_id, inc, &f.incident_id, NULL, NULL);
		if (rc == SIRT_ENOTFOUND)
			return resp_problem(r, 400, NULL,
					    "incident: no such incident (give its id or key)", NULL);
		if (rc < 0)
			return api_store_error(r, db, rc, "finding the incident");
	}
	json_t *items;
	int64_t next = 0;
	int rc = alert_store_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing alerts");
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_cursor",
			    next ? json_sprintf("%lld", (long long)next) : json_null());
	return resp_json(r, 200, o);
}

static int alert_param(struct req *r, int64_t *id)
{
	if (alert_id_parse(req_param(r, "id"), id) < 0) {
		resp_problem(r, 404, NULL, "no such alert", NULL);
		return -1;
	}
	return 0;
}

static int h_get(struct req *r)
{
	int64_t id;
	if (alert_param(r, &id) < 0)
		return 0;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = alert_store_get(db, r->who.org_id, id, true, &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such alert", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the alert");
	return resp_json(r, 200, o);
}

static const struct field_spec attach_fields[] = {
	{"incident", F_STRING, true, false, 64, NULL, "the incident's id or key"},
	{NULL},
};

struct attach_job {
	int64_t org_id, alert_id;
	const char *incident;
	const char *who;
	bool detach;
	struct audit_ctx ac;
	json_t *out;
};

static int attach_tx(struct db *db, void *arg)
{
	struct attach_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	int rc = j->detach ? intake_detach(db, &j->ac, j->org_id, j->alert_id, j->who)
			   : intake_attach(db, &j->ac, j->org_id, j->alert_id, j->incident, j->who);
	if (rc == 0)
		rc = alert_store_get(db, j->org_id, j->alert_id, false, &j->out);
	return rc;
}

static int run_attach(struct req *r, struct attach_job *j)
{
	j->org_id = r->who.org_id;
	j->ac = req_audit_ctx(r);
	j->who = r->who.email ? r->who.email : r->who.actor;
	if (!j->who)
		j->who = "?";
	int rc = store_tx(r->app->store, attach_tx, j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such alert", NULL);
	if (rc == SIRT_EINVAL) {
		json_t *errors = NULL;
		validate_add(&errors, "incident", "no such incident (give its id or key)");
		return api_invalid(r, errors);
	}
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL,
				    j->detach ? "the alert is not attached to an incident"
					      : "the alert is attached to another incident; detach it"
						" first",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "attaching the alert");
	return resp_json(r, 200, j->out);
}

static int h_attach(struct req *r)
{
	int64_t id;
	if (alert_param(r, &id) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, attach_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct attach_job j = {.alert_id = id,
			       .incident = json_string_value(json_object_get(body, "incident"))};
	int rc = run_attach(r, &j);
	json_decref(body);
	return rc;
}

static int h_detach(struct req *r)
{
	int64_t id;
	if (alert_param(r, &id) < 0)
		return 0;
	struct attach_job j = {.alert_id = id, .detach = true};
	return run_attach(r, &j);
}

const struct route api_alerts_routes[] = {
	{"GET", "/api/v1/alerts", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List alerts, newest first (filters source, status, severity, incident, q; keyset"
	 " pagination)",
	 "alerts", NULL, 0},
	{"GET", "/api/v1/alerts/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read one alert with its raw JSON and the request body it came in", "alerts", NULL, 0},
	{"POST", "/api/v1/alerts/{id}/attach", PERM_RESPOND, BODY_JSON, 0, h_attach, NULL,
	 "Attach an alert to an incident", "alerts", attach_fields, 0},
	{"POST", "/api/v1/alerts/{id}/detach", PERM_RESPOND, BODY_NONE, 0, h_detach, NULL,
	 "Detach an alert from its incident", "alerts", NULL, 0},
};
ROUTES_COUNT(api_alerts);
