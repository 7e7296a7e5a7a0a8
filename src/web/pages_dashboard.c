/*
 * The dashboard (GET /): open incidents by severity and status, the newest
 * open incidents, MTTA/MTTC/MTTR over the last 12 months and per month, and
 * three SVG charts (incidents per month by severity, the time-to trends,
 * open by status). The figures come from src/store/dashboard_store.c, one
 * grouped query each; months follow the user's time zone.
 *
 * The monthly figures aggregate every incident detected in the last 12
 * months (about 35,000 rows with 100,000 incidents over three years: 30-45
 * ms of SQLite's time), so they are kept per organisation, zone and month
 * for CACHE_TTL seconds in this process; the open counts and the newest
 * incidents are read on every request. A change shows in the monthly charts
 * within CACHE_TTL.
 *
 * Sections for features that other modules bring (deadlines at risk,
 * overdue actions, reviews and training, compliance per control) are marked
 * in dashboard.html and show an empty state until then.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "http/routes.h"
#include "store/dashboard_store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/svg_chart.h"
#include "web/web.h"

#define MONTHS 12
#define NEWEST 8
#define CACHE_TTL 60
#define CACHE_SLOTS 64

struct month_cache {
	int64_t org_id;
	int64_t first;   /* bounds[0]: the zone and the current month */
	int64_t last;    /* bounds[MONTHS] */
	int64_t at;      /* when computed; 0 = empty slot */
	struct dash_month months[MONTHS];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct month_cache cache[CACHE_SLOTS];

static int months_cached(struct db *db, int64_t org_id, const int64_t *bounds,
			 struct dash_month *out);

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
/* severity colours for charts: 3:1 or more against white, and the legend names them */
static const char *const sev_colours[] = {NULL, "#1f6f43", "#b38600", "#c2410c", "#a4161a"};

/* The monthly figures from the cache, or from the store (then cached). */
static int months_cached(struct db *db, int64_t org_id, const int64_t *bounds,
			 struct dash_month *out)
{
	int64_t now = time_now();
	bool hit = false;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
		struct month_cache *c = &cache[i];
		if (c->at && c->org_id == org_id && c->first == bounds[0] &&
		    c->last == bounds[MONTHS] && now - c->at < CACHE_TTL && now >= c->at) {
			memcpy(out, c->months, sizeof(c->months));
			hit = true;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	if (hit)
		return 0;
	int rc = dashboard_months(db, org_id, bounds, MONTHS, out);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&cache_lock);
	struct month_cache *slot = &cache[0];
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct month_cache *c = &cache[i];
		if (c->org_id == org_id && c->first == bounds[0] && c->last == bounds[MONTHS]) {
			slot = c;
			break;
		}
		if (c->at < slot->at)
			slot = c; /* the oldest entry makes room */
	}
	slot->org_id = org_id;
	slot->first = bounds[0];
	slot->last = bounds[MONTHS];
	slot->at = now;
	memcpy(slot->months, out, sizeof(slot->months));
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/* "3h 20m", "2d 4h", "45m"; "—" when there is nothing to average. */
static json_t *duration(int64_t sum, int64_t n)
{
	if (n <= 0)
		return json_string("—");
	int64_t s = sum / n;
	char buf[48];
	if (s >= 86400)
		snprintf(buf, sizeof(buf), "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, sizeof(buf), "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, sizeof(buf), "%lldm", (long long)(s / 60));
	return json_string(buf);
}

static json_t *chart_html(int rc, struct strbuf *sb)
{
	json_t *v = rc == 0 && sb_status(sb) == 0 ? json_string(sb_str(sb)) : NULL;
	sb_free(sb);
	return v ? v : json_null();
}

static int h_dashboard(struct req *r)
{
	const struct tz *z = pages_zone(r);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	/* the last 12 months in the user's zone, this one included */
	struct tz_local now;
	tz_local(z, time_now(), &now);
	int64_t bounds[MONTHS + 1];
	int64_t ys[MONTHS];
	unsigned ms[MONTHS];
	for (int i = 0; i <= MONTHS; i++) {
		int64_t mi = now.year * 12 + (now.month - 1) - (MONTHS - 1) + i;
		int64_t y = mi / 12;
		unsigned mo = (unsigned)(mi % 12) + 1;
		bounds[i] = tz_from_local(z, y, mo, 1, 0, 0, 0);
		if (i < MONTHS) {
			ys[i] = y;
			ms[i] = mo;
		}
	}
	struct dash_open open;
	struct dash_month months[MONTHS];
	json_t *newest = NULL;
	int rc = dashboard_open_counts(db, r->who.org_id, &open);
	if (rc == 0)
		rc = months_cached(db, r->who.org_id, bounds, months);
	if (rc == 0)
		rc = dashboard_newest_open(db, r->who.org_id, NEWEST, &newest);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the dashboard");

	json_t *m = web_base_model(r, "dashboard", "Dashboard");
	pages_flash_take(r, m);
	json_object_set_new(m, "zone", json_string(tz_name(z)));

	/* open by severity: stat tiles, most severe first */
	json_t *sev = json_array();
	for (int k = SEVERITY_RANK_MAX; k >= 1; k--)
		json_array_append_new(sev, json_pack("{s:s, s:s, s:I}", "value", severity_name(k),
						     "label", pages_label(r, NULL, severity_name(k)),
						     "count", (json_int_t)open.by_severity[k]));
	json_object_set_new(m, "open_total", json_integer(open.total));
	json_object_set_new(m, "open_by_severity", sev);

	/* open by status: chart and table */
	static const int open_st[] = {LC_NEW, LC_TRIAGE, LC_CONTAINMENT, LC_ERADICATION, LC_RECOVERY};
	const char *st_labels[5];
	double st_values[5];
	json_t *by_status = json_array();
	for (int i = 0; i < 5; i++) {
		const char *name = lifecycle_status_name(open_st[i]);
		st_labels[i] = pages_label(r, NULL, name);
		st_values[i] = (double)open.by_status[open_st[i]];
		json_array_append_new(by_status, json_pack("{s:s, s:s, s:I}", "value", name, "label",
							   st_labels[i], "count",
							   (json_int_t)open.by_status[open_st[i]]));
	}
	json_object_set_new(m, "open_by_status", by_status);

	/* months */
	const char *cats[MONTHS];
	double per_sev[SEVERITY_RANK_MAX + 1][MONTHS];
	double mtta[MONTHS], mttc[MONTHS], mttr[MONTHS];
	int64_t total = 0, ack_sum = 0, ack_n = 0, con_sum = 0, con_n = 0, res_sum = 0, res_n = 0;
	for (int i = 0; i < MONTHS; i++) {
		cats[i] = arena_printf(&r->arena, "%s %02lld", month_names[ms[i] - 1],
				       (long long)(ys[i] % 100));
		for (int k = 1; k <= SEVERITY_RANK_MAX; k++)
			per_sev[k][i] = (double)months[i].by_severity[k];
		mtta[i] = months[i].ack_n ? (double)months[i].ack_sum / months[i].ack_n / 3600 : NAN;
		mttc[i] = months[i].con_n ? (double)months[i].con_sum / months[i].con_n / 3600 : NAN;
		mttr[i] = months[i].res_n ? (double)months[i].res_sum / months[i].res_n / 3600 : NAN;
		total += months[i].total;
		ack_sum += months[i].ack_sum;
		ack_n += months[i].ack_n;
		con_sum += months[i].con_sum;
		con_n += months[i].con_n;
		res_sum += months[i].res_sum;
		res_n += months[i].res_n;
	}
	json_object_set_new(m, "year_total", json_integer(total));
	json_object_set_new(m, "mtta", duration(ack_sum, ack_n));
	json_object_set_new(m, "mttc", duration(con_sum, con_n));
	json_object_set_new(m, "mttr", duration(res_sum, res_n));
	json_object_set_new(m, "mtta_n", json_integer(ack_n));
	json_object_set_new(m, "mttc_n", json_integer(con_n));
	json_object_set_new(m, "mttr_n", json_integer(res_n));

	struct chart_series ss[SEVERITY_RANK_MAX];
	for (int k = 1; k <= SEVERITY_RANK_MAX; k++) /* stacked from critical at the bottom */
		ss[SEVERITY_RANK_MAX - k] = (struct chart_series){
			pages_label(r, NULL, severity_name(k)), sev_colours[k], per_sev[k]};
	struct chart c1 = {.title = "Incidents per month by severity",
			   .desc = "Stacked bars: incidents detected in each of the last 12 months,"
				   " by severity.",
			   .unit = "incidents", .cat_heading = "Month", .ncats = MONTHS,
			   .cats = cats, .nseries = SEVERITY_RANK_MAX, .series = ss};
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	rc = svg_bar_chart(&sb, &c1);
	json_object_set_new(m, "chart_months_html", chart_html(rc, &sb));

	struct chart_series ts[] = {{"MTTA (acknowledge)", "#0b57d0", mtta},
				    {"MTTC (contain)", "#0f766e", mttc},
				    {"MTTR (resolve)", "#6d28d9", mttr}};
	struct chart c2 = {.title = "Mean time to acknowledge, contain and resolve",
			   .desc = "Lines per month of detection: hours from detection to"
				   " acknowledgement, containment and resolution.",
			   .unit = "hours", .cat_heading = "Month", .decimals = 1, .ncats = MONTHS,
			   .cats = cats, .nseries = 3, .series = ts};
	sb_init(&sb, 1 << 20);
	rc = svg_line_chart(&sb, &c2);
	json_object_set_new(m, "chart_times_html", chart_html(rc, &sb));

	struct chart_series os[] = {{"Open incidents", "#1e3a8a", st_values}};
	struct chart c3 = {.title = "Open incidents by status", .unit = "incidents",
			   .cat_heading = "Status", .ncats = 5, .cats = st_labels, .nseries = 1,
			   .series = os};
	sb_init(&sb, 1 << 20);
	rc = svg_hbar_chart(&sb, &c3);
	json_object_set_new(m, "chart_status_html", chart_html(rc, &sb));

	size_t i;
	json_t *e;
	json_array_foreach(newest, i, e) {
		int64_t t = json_integer_value(json_object_get(e, "detected_at"));
		if (!t)
			t = json_integer_value(json_object_get(e, "created_at"));
		json_object_set_new(e, "when", pages_time(z, t));
		json_object_set_new(e, "severity_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(e, "severity")))));
		json_object_set_new(e, "status_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(e, "status")))));
	}
	json_object_set_new(m, "newest", newest);
	/* deadlines at risk, overdue items, compliance (pages_compliance.c) */
	pages_dashboard_panels(r, db, z, m);
	return web_render(r, 200, tmpl_dashboard, m);
}

const struct route pages_dashboard_routes[] = {
	{"GET", "/", PERM_READ, BODY_NONE, 0, h_dashboard, NULL,
	 "Dashboard page: open incidents, MTTA/MTTR, charts", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_dashboard);
