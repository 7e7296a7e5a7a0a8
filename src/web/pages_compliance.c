/*
 * The compliance status in the pages: the dashboard's panels (overdue
 * action items, overdue quality reviews, training gaps, the plan's review
 * date, the status of each control with its first reason) and the
 * /compliance page with every control, all its reasons and links to the
 * pages where each is fixed. The status comes from compliance_status()
 * (store/compliance_store.h), the same as GET /api/v1/compliance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "http/routes.h"
#include "store/action_store.h"
#include "store/compliance_store.h"
#include "store/plan_store.h"
#include "store/qreview_store.h"
#include "store/team_store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define OVERDUE_SHOWN 5
#define QR_COUNT_MAX 100

/* The page where a reason's API link is dealt with: {page, qk, qv}. */
static void link_view(json_t *reason)
{
	const char *l = json_string_value(json_object_get(reason, "link"));
	static const struct {
		const char *api, *page, *qk, *qv;
	} map[] = {
		{"/api/v1/plan", "plan", NULL, NULL},
		{"/api/v1/team", "team", NULL, NULL},
		{"/api/v1/exercises", "exercises", NULL, NULL},
		{"/api/v1/actions?overdue=true", "actions", "overdue", "true"},
		{"/api/v1/actions", "actions", NULL, NULL},
		{"/api/v1/org-changes", "reviews", NULL, NULL},
		{"/api/v1/quality-reviews", "reviews", NULL, NULL},
		{"/api/v1/incidents?status=closed", "incidents", "status", "closed"},
		{"/api/v1/incidents?status=resolved", "incidents", "status", "resolved"},
		{"/api/v1/incidents", "incidents", NULL, NULL},
		{"/api/v1/evidence/packs", "evidence", NULL, NULL},
		{"/api/v1/channels", "admin", NULL, NULL},
		{"/api/v1/clock-definitions", "admin", NULL, NULL},
	};
	if (!l)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].api);
		if (strncmp(l, map[i].api, n) != 0 || (l[n] && l[n] != '?' && l[n] != '/'))
			continue;
		json_object_set_new(reason, "page", json_string(map[i].page));
		if (map[i].qk)
			json_object_set_new(reason, "qk", json_string(map[i].qk));
		if (map[i].qv)
			json_object_set_new(reason, "qv", json_string(map[i].qv));
		return;
	}
}

/* "no approved IR plan" -> "No approved IR plan" (a new string). */
static void capitalise(json_t *o, const char *field)
{
	const char *t = json_string_value(json_object_get(o, field));
	if (!t || t[0] < 'a' || t[0] > 'z')
		return;
	char *c = strdup(t);
	c[0] = (char)(c[0] - 'a' + 'A');
	json_object_set_new(o, field, json_string(c));
	free(c);
}

static const char *status_text(const char *st)
{
	if (!st)
		return "";
	if (!strcmp(st, "met"))
		return "Met";
	if (!strcmp(st, "at_risk"))
		return "At risk";
	return "Not met";
}

/* Labels and links for compliance_status()'s document. */
static void compliance_view(json_t *doc)
{
	size_t i, j, k;
	json_t *fw, *ctl, *rs;
	json_array_foreach(json_object_get(doc, "frameworks"), i, fw) {
		json_object_set_new(fw, "status_label", json_string(status_text(
			json_string_value(json_object_get(fw, "status")))));
		json_array_foreach(json_object_get(fw, "controls"), j, ctl) {
			json_object_set_new(ctl, "status_label", json_string(status_text(
				json_string_value(json_object_get(ctl, "status")))));
			json_array_foreach(json_object_get(ctl, "reasons"), k, rs) {
				link_view(rs);
				capitalise(rs, "text");
				json_object_set_new(rs, "status_label", json_string(status_text(
					json_string_value(json_object_get(rs, "status")))));
			}
			json_t *first = json_array_get(json_object_get(ctl, "reasons"), 0);
			if (first)
				json_object_set(ctl, "first", first);
			json_t *reqs = json_object_get(ctl, "requirements");
			json_array_foreach(reqs, k, rs) {
				json_object_set_new(rs, "status_label", json_string(status_text(
					json_string_value(json_object_get(rs, "status")))));
				size_t q;
				json_t *x;
				json_array_foreach(json_object_get(rs, "reasons"), q, x) {
					link_view(x);
					capitalise(x, "text");
					json_object_set_new(x, "status_label", json_string(status_text(
						json_string_value(json_object_get(x, "status")))));
				}
			}
		}
	}
}

/* The dashboard's compliance panel, per organisation, for 60 s: computing
 * it reads every incident closed in the last year (34 + 20 ms with 100,000
 * incidents, bench/pages.md), which the dashboard cannot pay on every view.
 * The compliance page itself is always computed live. */
#define PANEL_TTL 60
#define PANEL_SLOTS 64

static pthread_mutex_t panel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t org_id;
	int64_t at; /* 0 = empty */
	json_t *doc;
} panel_cache[PANEL_SLOTS];

/* A copy of the organisation's compliance panel (computed and kept if
 * not fresh), or NULL when it cannot be computed. */
static json_t *compliance_panel(struct db *db, int64_t org_id, int64_t now)
{
	json_t *out = NULL;
	pthread_mutex_lock(&panel_lock);
	for (int i = 0; i < PANEL_SLOTS && !out; i++)
		if (panel_cache[i].at && panel_cache[i].org_id == org_id &&
		    now >= panel_cache[i].at && now - panel_cache[i].at < PANEL_TTL)
			out = json_deep_copy(panel_cache[i].doc);
	pthread_mutex_unlock(&panel_lock);
	if (out)
		return out;
	json_t *doc = NULL;
	if (compliance_status(db, org_id, now, NULL, &doc) < 0)
		return NULL;
	compliance_view(doc);
	pthread_mutex_lock(&panel_lock);
	int slot = 0;
	for (int i = 0; i < PANEL_SLOTS; i++) {
		if (panel_cache[i].org_id == org_id) {
			slot = i;
			break;
		}
		if (panel_cache[i].at < panel_cache[slot].at)
			slot = i; /* the oldest makes room */
	}
	json_decref(panel_cache[slot].doc);
	panel_cache[slot].org_id = org_id;
	panel_cache[slot].at = now;
	panel_cache[slot].doc = json_deep_copy(doc);
	pthread_mutex_unlock(&panel_lock);
	return doc;
}

void pages_dashboard_panels(struct req *r, struct db *db, const struct tz *z, json_t *m)
{
	int64_t now = time_now();
	pages_dashboard_deadlines(r, db, z, m);

	json_t *ov = json_object();
	json_object_set_new(m, "overdue", ov);
	json_t *items = NULL;
	int64_t count = 0;
	if (actions_overdue(db, r->who.org_id, now, OVERDUE_SHOWN, &items, &count) == 0) {
		json_object_set_new(ov, "actions", items);
		json_object_set_new(ov, "actions_count", json_integer(count));
	} else {
		json_object_set_new(ov, "unavailable", json_true());
	}
	struct qreview_filter qf = {.overdue = true, .now = now, .limit = QR_COUNT_MAX};
	char *cursor = NULL;
	items = NULL;
	if (qreview_list(db, r->who.org_id, &qf, &items, &cursor) == 0) {
		json_object_set_new(ov, "reviews_count", json_integer((json_int_t)json_array_size(items)));
		if (cursor)
			json_object_set_new(ov, "reviews_more", json_true());
	}
	json_decref(items);
	free(cursor);
	json_t *gaps = NULL;
	if (team_training_gaps(db, r->who.org_id, now, &gaps) == 0) {
		json_t *sum = json_object_get(gaps, "summary");
		json_int_t missing = json_integer_value(json_object_get(sum, "missing"));
		json_int_t expired = json_integer_value(json_object_get(sum, "expired"));
		json_int_t expiring = json_integer_value(json_object_get(sum, "expiring_within_30_days"));
		json_object_set_new(ov, "training",
				    json_pack("{s:I, s:I, s:I, s:I}", "missing", missing, "expired",
					      expired, "expiring", expiring, "total",
					      missing + expired));
		json_decref(gaps);
	}
	struct plan_ref pr;
	int rc = plan_in_force(db, r->who.org_id, &pr);
	if (rc == 0)
		json_object_set_new(ov, "plan",
				    json_pack("{s:s, s:o, s:b, s:b}", "label", pr.label, "due_t",
					      pages_time(z, pr.next_review_due), "overdue",
					      pr.review_overdue, "soon",
					      !pr.review_overdue && pr.next_review_due - now < 30 * 86400));
	else if (rc == SIRT_ENOTFOUND)
		json_object_set_new(ov, "plan", json_pack("{s:b}", "none", true));

	json_t *doc = compliance_panel(db, r->who.org_id, now);
	if (doc) {
		json_object_set_new(m, "compliance", doc);
	} else {
		json_object_set_new(m, "compliance", json_pack("{s:b}", "unavailable", true));
	}
}

static const char *const frameworks[] = {"m365", "soc2", "iso27001", NULL};

static int h_compliance(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	const char *fw = req_query(r, "framework");
	if (fw && (!*fw || !strcmp(fw, "all")))
		fw = NULL;
	bool known = !fw;
	for (int i = 0; fw && frameworks[i]; i++)
		known = known || !strcmp(fw, frameworks[i]);
	if (!known)
		fw = NULL;
	json_t *doc;
	int rc = compliance_status(db, r->who.org_id, time_now(), fw, &doc);
	if (rc < 0)
		return api_store_error(r, db, rc, "computing the compliance status");
	compliance_view(doc);
	json_t *m = web_base_model(r, "dashboard", "Compliance");
	pages_flash_take(r, m);
	json_object_set_new(m, "compliance", doc);
	json_object_set_new(m, "framework", json_string(fw ? fw : "all"));
	json_object_set_new(m, "frameworks",
			    json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "value",
				      "all", "label", "All frameworks", "value", "m365", "label",
				      "Microsoft 365 Certification", "value", "soc2", "label",
				      "SOC 2", "value", "iso27001", "label", "ISO/IEC 27001:2022"));
	json_object_set_new(m, "generated_t",
			    pages_time_json(pages_zone(r), json_object_get(doc, "generated_at")));
	return web_render(r, 200, tmpl_compliance, m);
}

const struct route pages_compliance_routes[] = {
	{"GET", "/compliance", PERM_READ, BODY_NONE, 0, h_compliance, NULL,
	 "Compliance page: every control's status with its reasons", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_compliance);
