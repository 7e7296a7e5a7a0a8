/* /api/v1/metrics/incidents: MTTA, MTTC, MTTR, MTTD, time to notify and
 * counts, by severity and period, for the dashboard's charts. */
#include <string.h>

#include "api/review_api.h"
#include "app/app.h"
#include "core/incident_metrics.h"
#include "http/routes.h"
#include "store/compliance_store.h"
#include "util/timeutil.h"

/* A date (midnight UTC) or an RFC 3339 time. */
static int parse_when(const char *s, int64_t *out)
{
	if (time_parse_date(s, out) == 0)
		return 0;
	return time_parse_iso8601(s, out);
}

static int h_incidents(struct req *r)
{
	int64_t now = time_now(), from, to;
	const char *fs = req_query(r, "from"), *ts = req_query(r, "to");
	const char *bucket = req_query(r, "bucket");
	if (!bucket)
		bucket = "month";
	if (strcmp(bucket, "month") && strcmp(bucket, "quarter") && strcmp(bucket, "year"))
		return resp_problem(r, 400, NULL, "bucket must be month, quarter or year", NULL);
	if (ts) {
		if (parse_when(ts, &to) < 0)
			return resp_problem(r, 400, NULL,
					    "to must be a date (YYYY-MM-DD) or an RFC 3339 time", NULL);
		if (time_parse_iso8601(ts, &to) < 0)
			to += 86400; /* a date includes its whole day */
	} else {
		to = now;
	}
	if (fs) {
		if (parse_when(fs, &from) < 0)
			return resp_problem(r, 400, NULL,
					    "from must be a date (YYYY-MM-DD) or an RFC 3339 time",
					    NULL);
	} else {
		/* the last 12 whole months and this one */
		int64_t y;
		unsigned m, d;
		time_civil_from_days(to / 86400, &y, &m, &d);
		int64_t idx = y * 12 + (m - 1) - 12;
		from = time_days_from_civil(idx / 12, (unsigned)(idx % 12) + 1, 1) * 86400;
	}
	if (from >= to)
		return resp_problem(r, 400, NULL, "from must be before to", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = metrics_incidents(db, r->who.org_id, from, to, bucket, &o);
	if (rc == SIRT_EINVAL)
		return resp_problem(r, 400, NULL, "the range has too many periods for that bucket (at"
				    " most 600)", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "computing incident metrics");
	return resp_json(r, 200, o);
}

const struct route api_metrics_routes[] = {
	{"GET", "/api/v1/metrics/incidents", PERM_READ, BODY_NONE, 0, h_incidents, NULL,
	 "MTTA, MTTC, MTTR, MTTD and time to notify by severity and period, counts by category,"
	 " severity and month (?from, ?to, ?bucket=month|quarter|year)", "metrics", NULL, 0},
};
ROUTES_COUNT(api_metrics);
