/*
 * The notification rules through the API, read-only: what the plan in force
 * implies (who is told about what, escalation paths resolved to the people
 * on call now, the regulatory clocks the plan requires, which channels take
 * each event), and the escalation state of one incident.
 */
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "http/routes.h"
#include "notify/escalation.h"
#include "notify/rules.h"
#include "store/incident_store.h"
#include "util/timeutil.h"

static int h_rules(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = notify_rules_describe(db, r->who.org_id, time_now(), &o);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the notification rules");
	return resp_json(r, 200, o);
}

static int h_escalation(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct incident_ref ref;
	int rc = incident_lookup(db, r->who.org_id, req_param(r, "id"), &ref);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the incident");
	json_t *o;
	rc = escalation_state(db, r->who.org_id, ref.id, time_now(), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the escalation");
	return resp_json(r, 200, o);
}

const struct route api_notify_rules_routes[] = {
	{"GET", "/api/v1/notification-rules", PERM_READ, BODY_NONE, 0, h_rules, NULL,
	 "Who is told about what, from the plan in force", "notifications", NULL, 0},
	{"GET", "/api/v1/incidents/{id}/escalation", PERM_READ, BODY_NONE, 0, h_escalation, NULL,
	 "The escalation levels of an incident and their state", "notifications", NULL, 0},
};
ROUTES_COUNT(api_notify_rules);
