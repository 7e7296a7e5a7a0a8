/* The dashboard's figures: see dashboard_store.h. */
#include "store/dashboard_store.h"

#include <string.h>

#include "util/strbuf.h"

#define OPEN_STATUSES "('new','triage','containment','eradication','recovery')"

int dashboard_open_counts(struct db *db, int64_t org_id, struct dash_open *out)
{
	memset(out, 0, sizeof(*out));
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT status, severity, COUNT(*) FROM incidents"
			  " WHERE org_id = $1 AND status IN " OPEN_STATUSES
			  " GROUP BY status, severity",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (db_next(q)) {
		int st = lifecycle_status_parse(db_text(q, 0));
		int sev = severity_rank(db_text(q, 1));
		int64_t n = db_int(q, 2);
		if (st >= 0)
			out->by_status[st] += n;
		if (sev >= 1)
			out->by_severity[sev] += n;
		out->total += n;
	}
	db_res_free(q);
	return 0;
}

int dashboard_months(struct db *db, int64_t org_id, const int64_t *bounds, int nmonths,
		     struct dash_month *out)
{
	if (nmonths < 1 || nmonths > DASH_MONTHS_MAX)
		return SIRT_EINVAL;
	memset(out, 0, sizeof(*out) * (size_t)nmonths);
	/* The month of each row is a CASE over the boundaries, which are bound
	 * parameters $2..$(n+2): the same SQL on both engines, no date
	 * functions, and the months can follow any time zone. */
	struct strbuf sql;
	sb_init(&sql, 8192);
	sb_puts(&sql, "SELECT m, severity, COUNT(*),"
		      " CAST(SUM(acknowledged_at - detected_at) AS BIGINT), COUNT(acknowledged_at),"
		      " CAST(SUM(contained_at - detected_at) AS BIGINT), COUNT(contained_at),"
		      " CAST(SUM(resolved_at - detected_at) AS BIGINT), COUNT(resolved_at)"
		      " FROM (SELECT CASE");
	for (int i = 1; i < nmonths; i++)
		sb_printf(&sql, " WHEN detected_at < $%d THEN %d", i + 2, i - 1);
	sb_printf(&sql, " ELSE %d END AS m, severity, detected_at, acknowledged_at, contained_at,"
			" resolved_at FROM incidents WHERE org_id = $1 AND detected_at >= $2"
			" AND detected_at < $%d) x GROUP BY m, severity",
		  nmonths - 1, nmonths + 2);
	struct db_val params[DASH_MONTHS_MAX + 2];
	params[0] = DB_INT(org_id);
	for (int i = 0; i <= nmonths; i++)
		params[i + 1] = DB_INT(bounds[i]);
	struct db_res *q;
	int rc = sb_status(&sql);
	if (rc == 0)
		rc = db_query(db, &q, sb_str(&sql), nmonths + 2, params);
	sb_free(&sql);
	if (rc < 0)
		return rc;
	while (db_next(q)) {
		int64_t m = db_int(q, 0);
		if (m < 0 || m >= nmonths)
			continue;
		struct dash_month *o = &out[m];
		int sev = severity_rank(db_text(q, 1));
		int64_t n = db_int(q, 2);
		if (sev >= 1)
			o->by_severity[sev] += n;
		o->total += n;
		o->ack_sum += db_isnull(q, 3) ? 0 : db_int(q, 3);
		o->ack_n += db_int(q, 4);
		o->con_sum += db_isnull(q, 5) ? 0 : db_int(q, 5);
		o->con_n += db_int(q, 6);
		o->res_sum += db_isnull(q, 7) ? 0 : db_int(q, 7);
		o->res_n += db_int(q, 8);
	}
	db_res_free(q);
	return 0;
}

int dashboard_newest_open(struct db *db, int64_t org_id, int limit, json_t **items)
{
	struct db_res *q;
	*items = NULL;
	int rc = db_query(db, &q,
			  "SELECT key, title, severity, status, detected_at, created_at FROM incidents"
			  " WHERE org_id = $1 AND status IN " OPEN_STATUSES
			  " ORDER BY created_at DESC, id DESC LIMIT $2",
			  2, DBV(DB_INT(org_id), DB_INT(limit)));
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	while (db_next(q)) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "key", db_text(q, 0), "title",
				      db_text(q, 1), "severity", db_text(q, 2), "status",
				      db_text(q, 3), "created_at", (json_int_t)db_int(q, 5));
		json_object_set_new(o, "detected_at",
				    db_isnull(q, 4) ? json_null() : json_integer(db_int(q, 4)));
		json_array_append_new(a, o);
	}
	db_res_free(q);
	*items = a;
	return 0;
}
