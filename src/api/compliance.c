/* /api/v1/compliance: the status of each control, the control mapping
 * (data, per organisation) and the list of checks (code). */
#include <string.h>

#include "api/review_api.h"
#include "app/app.h"
#include "core/compliance.h"
#include "http/routes.h"
#include "store/compliance_store.h"
#include "util/timeutil.h"

static int h_status(struct req *r)
{
	const char *fw = req_query(r, "framework");
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = compliance_status(db, r->who.org_id, time_now(), fw, &o);
	if (rc < 0)
		return api_store_error(r, db, rc, "computing the compliance status");
	if (fw && json_array_size(json_object_get(o, "frameworks")) == 0) {
		json_decref(o);
		return resp_problem(r, 404, NULL, "no such framework in the control mapping", NULL);
	}
	return resp_json(r, 200, o);
}

static int h_checks(struct req *r)
{
	json_t *arr = json_array();
	for (const struct comp_check *c = compliance_checks(); c->name; c++) {
		json_t *params = json_array();
		const char *s = c->params;
		while (*s) {
			const char *e = strchr(s, ',');
			size_t n = e ? (size_t)(e - s) : strlen(s);
			json_array_append_new(params, json_stringn(s, n));
			s += n + (e ? 1 : 0);
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "name", c->name, "doc", c->doc,
						     "params", params));
	}
	return resp_json(r, 200, json_pack("{s:o}", "checks", arr));
}

static int h_mapping_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *doc;
	bool custom;
	int64_t version;
	int rc = compliance_mapping_get(db, r->who.org_id, &doc, &custom, &version);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the control mapping");
	resp_header(r, "X-Mapping-Source", custom ? "custom" : "builtin");
	return resp_json(r, 200, doc);
}

enum mop { M_PUT, M_RESET };

struct m_job {
	enum mop op;
	int64_t org_id;
	json_t *doc;
	const char *by;
	struct audit_ctx ac;
	int64_t now;
};

static int m_tx(struct db *db, void *arg)
{
	struct m_job *j = arg;
	if (j->op == M_RESET)
		return compliance_mapping_reset(db, &j->ac, j->org_id);
	return compliance_mapping_put(db, &j->ac, j->org_id, j->doc, j->by, j->now);
}

static int h_mapping_put(struct req *r)
{
	struct m_job j = {.op = M_PUT, .org_id = r->who.org_id, .by = r->who.email,
			  .ac = req_audit_ctx(r), .now = time_now()};
	if (req_json(r, &j.doc) < 0)
		return 0;
	json_t *errors;
	if (compliance_mapping_validate(j.doc, &errors) < 0) {
		json_decref(j.doc);
		return api_invalid(r, errors);
	}
	int rc = store_tx(r->app->store, m_tx, &j);
	if (rc < 0) {
		json_decref(j.doc);
		return api_store_error(r, NULL, rc, "storing the control mapping");
	}
	resp_header(r, "X-Mapping-Source", "custom");
	return resp_json(r, 200, j.doc);
}

static int h_mapping_delete(struct req *r)
{
	struct m_job j = {.op = M_RESET, .org_id = r->who.org_id, .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, m_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "resetting the control mapping");
	return resp_text(r, 204, "text/plain", "", 0);
}

const struct route api_compliance_routes[] = {
	{"GET", "/api/v1/compliance", PERM_READ, BODY_NONE, 0, h_status, NULL,
	 "Each control met, at_risk or not_met, with reasons and links (?framework=)",
	 "compliance", NULL, 0},
	{"GET", "/api/v1/compliance/checks", PERM_READ, BODY_NONE, 0, h_checks, NULL,
	 "The named checks a control mapping can reference", "compliance", NULL, 0},
	{"GET", "/api/v1/compliance/mapping", PERM_READ, BODY_NONE, 0, h_mapping_get, NULL,
	 "The organisation's control mapping (the built-in one until replaced)", "compliance",
	 NULL, 0},
	{"PUT", "/api/v1/compliance/mapping", PERM_MANAGE, BODY_JSON, 256 * 1024, h_mapping_put,
	 NULL, "Replace the control mapping (frameworks, controls, requirements -> checks)",
	 "compliance", NULL, 0},
	{"DELETE", "/api/v1/compliance/mapping", PERM_MANAGE, BODY_NONE, 0, h_mapping_delete, NULL,
	 "Return to the built-in control mapping", "compliance", NULL, 0},
};
ROUTES_COUNT(api_compliance);
