/*
 * Alert pages:
 *   GET  /alerts                  list, newest first; filters source, status, severity,
 *                                 incident (key), q (title); keyset paging (PERM_READ)
 *   GET  /alerts/{id}             one alert: normalised fields, entities, labels,
 *                                 annotations, the alert as received and the request
 *                                 body it came in, pretty-printed (PERM_READ)
 *   POST /alerts/{id}/attach      form: incident (key) (PERM_RESPOND)
 *   POST /alerts/{id}/detach      (PERM_RESPOND)
 * The stores are those of the JSON API (src/api/alerts.c); another
 * organisation's alert is 404.
 */
#include <stdlib.h>
#include <string.h>

#include "templates.h"

#include "alerts/alert.h"
#include "app/app.h"
#include "http/routes.h"
#include "intake/intake.h"
#include "store/alert_store.h"
#include "util/timeutil.h"
#include "web/pages_kit.h"
#include "web/web.h"

#define RAW_SHOW_MAX (256 * 1024)

static const char *const statuses[] = {"firing", "resolved", NULL};
static const char *const severities[] = {"critical", "high", "medium", "low", "info", NULL};

struct attach_job {
	int64_t org_id, alert_id;
	const char *incident;
	const char *who;
	bool detach;
	struct audit_ctx ac;
};

static int attach_tx(struct db *db, void *arg);
static int render_alert(struct req *r, int status, int64_t id, const char *incident_in,
			const char *incident_error);

static bool one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static const char *query(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	return v && *v ? v : NULL;
}

static void decorate(struct req *r, json_t *a)
{
	static const char *const times[] = {"starts_at", "ends_at",  "first_seen", "last_seen",
					    "received_at", "resolved_at", "updated_at", NULL};
	kit_times(r, a, times);
	const char *sev = json_string_value(json_object_get(a, "severity"));
	const char *st = json_string_value(json_object_get(a, "status"));
	json_object_set_new(a, "severity_label", json_string(kit_label(r, sev)));
	json_object_set_new(a, "status_label", json_string(kit_label(r, st)));
	json_object_set_new(a, "source_label", json_string(kit_label(r, json_string_value(
									      json_object_get(a, "source")))));
}

static int h_list(struct req *r)
{
	struct alert_filter f = {.limit = 50};
	f.source = query(r, "source");
	f.status = query(r, "status");
	f.severity = query(r, "severity");
	f.q = query(r, "q");
	const char *inc = query(r, "incident");
	const char *cur = query(r, "cursor");
	json_t *m = kit_model(r, "alerts", "Alerts");
	json_object_set_new(m, "filters",
			    json_pack("{s:s, s:s, s:s, s:s, s:s}", "source", f.source ? f.source : "",
				      "status", f.status ? f.status : "", "severity",
				      f.severity ? f.severity : "", "incident", inc ? inc : "", "q",
				      f.q ? f.q : ""));
	json_object_set_new(m, "sources", kit_options(r, alert_sources));
	json_object_set_new(m, "statuses", kit_options(r, statuses));
	json_object_set_new(m, "severities", kit_options(r, severities));
	const char *error = NULL;
	if (f.source && !alert_source_valid(f.source))
		error = "Choose a source from the list.", f.source = NULL;
	if (f.status && !one_of(f.status, statuses))
		error = "Choose a status from the list.", f.status = NULL;
	if (f.severity && !one_of(f.severity, severities))
		error = "Choose a severity from the list.", f.severity = NULL;
	if (f.q && strlen(f.q) > 200)
		error = "Search for at most 200 characters.", f.q = NULL;
	if (inc && strlen(inc) > 64)
		error = "That is not an incident key.", inc = NULL;
	if (cur && alert_id_parse(cur, &f.cursor) < 0) {
		json_decref(m);
		return resp_problem(r, 400, NULL, "cursor is not one this server returned", NULL);
	}
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(m);
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	}
	bool none = false;
	if (inc) {
		int rc = alert_store_find_incident(db, r->who.org_id, inc, &f.incident_id, NULL, NULL);
		if (rc == SIRT_ENOTFOUND) {
			error = "There is no incident with that key.";
			none = true;
		} else if (rc < 0) {
			json_decref(m);
			return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "finding the incident");
		}
	}
	json_t *items = json_array();
	int64_t next = 0;
	if (!none) {
		json_decref(items);
		int rc = alert_store_list(db, r->who.org_id, &f, &items, &next);
		if (rc < 0) {
			json_decref(m);
			return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "listing alerts");
		}
	}
	size_t i;
	json_t *a;
	json_array_foreach(items, i, a)
		decorate(r, a);
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "next_cursor", next ? json_sprintf("%lld", (long long)next) : json_null());
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return web_render(r, error ? 400 : 200, tmpl_alert_list, m);
}

/* A JSON text pretty-printed when it parses, else as it came. */
static json_t *pretty(const char *text)
{
	if (!text)
		return json_null();
	json_error_t err;
	size_t n = strlen(text);
	json_t *v = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (v) {
		char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		json_decref(v);
		if (s) {
			json_t *o = strlen(s) > RAW_SHOW_MAX ? json_sprintf("%.262144s\n…", s)
							      : json_string(s);
			free(s);
			return o ? o : json_null();
		}
	}
	json_t *o = n > RAW_SHOW_MAX ? json_sprintf("%.262144s\n…", text) : json_string(text);
	return o ? o : json_string("(the body is not UTF-8 text)");
}

static int render_alert(struct req *r, int status, int64_t id, const char *incident_in,
			const char *incident_error)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	json_t *a;
	int rc = alert_store_get(db, r->who.org_id, id, true, &a);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such alert", NULL);
	if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading the alert");
	decorate(r, a);
	json_t *raw = json_object_get(a, "raw");
	char *rs = raw ? json_dumps(raw, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)
		       : NULL;
	json_object_set_new(a, "raw_pretty", rs ? json_string(rs) : json_null());
	free(rs);
	json_t *payload = json_object_get(a, "payload");
	if (payload) {
		json_object_set_new(payload, "body_pretty",
				    pretty(json_string_value(json_object_get(payload, "body"))));
		json_object_del(payload, "body");
		static const char *const pt[] = {"received_at", NULL};
		kit_times(r, payload, pt);
	}
	json_object_del(a, "raw");
	json_t *labels = json_array(), *annotations = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(a, "labels"), k, v)
		if (json_is_string(v))
			json_array_append_new(labels, json_pack("{s:s, s:O}", "name", k, "value", v));
	json_object_foreach(json_object_get(a, "annotations"), k, v)
		if (json_is_string(v))
			json_array_append_new(annotations,
					      json_pack("{s:s, s:O}", "name", k, "value", v));
	json_object_set_new(a, "label_list", labels);
	json_object_set_new(a, "annotation_list", annotations);
	const char *title = json_string_value(json_object_get(a, "title"));
	json_t *m = kit_model(r, "alerts", title && *title ? title : "Alert");
	json_object_set_new(m, "alert", a);
	json_object_set_new(m, "can_respond", json_boolean(pages_can(r, PERM_RESPOND)));
	json_object_set_new(m, "form", json_pack("{s:s}", "incident", incident_in ? incident_in : ""));
	json_t *errors = json_object();
	if (incident_error)
		json_object_set_new(errors, "incident", json_string(incident_error));
	json_object_set_new(m, "errors", errors);
	return web_render(r, status, tmpl_alert_detail, m);
}

static int alert_id(struct req *r, int64_t *id)
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
	if (alert_id(r, &id) < 0)
		return 0;
	return render_alert(r, 200, id, NULL, NULL);
}

static int attach_tx(struct db *db, void *arg)
{
	struct attach_job *j = arg;
	return j->detach ? intake_detach(db, &j->ac, j->org_id, j->alert_id, j->who)
			 : intake_attach(db, &j->ac, j->org_id, j->alert_id, j->incident, j->who);
}

static int run(struct req *r, bool detach)
{
	int64_t id;
	if (alert_id(r, &id) < 0)
		return 0;
	const char *inc = detach ? NULL : kit_field(r, "incident");
	if (!detach && (!inc || strlen(inc) > 64))
		return render_alert(r, 422, id, inc,
				    inc ? "That is not an incident key." : "Enter the incident's key, e.g. INC-2026-0042.");
	struct attach_job j = {.org_id = r->who.org_id, .alert_id = id, .incident = inc,
			       .who = r->who.email ? r->who.email : "?", .detach = detach,
			       .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, attach_tx, &j);
	char *self = arena_printf(&r->arena, "/alerts/%lld", (long long)id);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such alert", NULL);
	if (rc == SIRT_EINVAL)
		return render_alert(r, 422, id, inc, "There is no incident with that key.");
	if (rc == SIRT_ECONFLICT)
		return detach ? kit_done(r, "warning", "The alert is not attached to an incident.", self)
			      : render_alert(r, 409, id, inc,
					     "The alert is attached to another incident: detach it first.");
	if (rc < 0)
		return resp_error(r, rc, "attaching the alert");
	return kit_done(r, "ok",
			detach ? "The alert is detached from its incident."
			       : arena_printf(&r->arena, "The alert is attached to %s.", inc),
			self);
}

static int h_attach(struct req *r)
{
	return run(r, false);
}

static int h_detach(struct req *r)
{
	return run(r, true);
}

const struct route web_alerts_routes[] = {
	{"GET", "/alerts", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "Alerts, newest first (filters source, status, severity, incident, q)", "web", NULL,
	 ROUTE_HTML},
	{"GET", "/alerts/{id}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "One alert with its entities and raw payload", "web", NULL, ROUTE_HTML},
	{"POST", "/alerts/{id}/attach", PERM_RESPOND, BODY_FORM, 4096, h_attach, NULL,
	 "Attach the alert to an incident (form: incident)", "web", NULL, ROUTE_HTML},
	{"POST", "/alerts/{id}/detach", PERM_RESPOND, BODY_FORM, 4096, h_detach, NULL,
	 "Detach the alert from its incident (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(web_alerts);
