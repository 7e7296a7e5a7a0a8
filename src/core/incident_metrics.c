/* Rolls the grouped metric rows up into periods; see incident_metrics.h. */
#include "core/incident_metrics.h"

#include <stdio.h>
#include <string.h>

#include "core/lifecycle.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct acc {
	int64_t count, rejected;
	int64_t sum[IM_MEASURES], n[IM_MEASURES];
};

struct im_agg {
	int64_t from, to;
	char bucket[8];
	int kind;            /* 0 month, 1 quarter, 2 year */
	int first_month;     /* year*12 + month-1 of from */
	int last_month;      /* of to - 1 */
	int first_period;
	int nperiods;
	struct acc *per;     /* nperiods * 5: [p*5 + 0] all severities, [p*5 + rank] */
	struct acc sev[SEVERITY_RANK_MAX + 1]; /* [0] overall */
	json_t *by_category;
	json_t *by_month;
};

static const char *const measure_keys[IM_MEASURES] = {"mtta_seconds", "mttc_seconds",
						       "mttr_seconds", "mttd_seconds",
						       "mttn_seconds"};

static int month_index(int64_t t)
{
	int64_t y;
	unsigned m, d;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	time_civil_from_days(days, &y, &m, &d);
	return (int)(y * 12 + (m - 1));
}

static int period_of(int kind, int midx)
{
	return kind == 0 ? midx : kind == 1 ? midx / 3 : midx / 12;
}

int im_new(int64_t from, int64_t to, const char *bucket, struct im_agg **out)
{
	int kind = !strcmp(bucket, "month") ? 0 : !strcmp(bucket, "quarter") ? 1
		 : !strcmp(bucket, "year") ? 2 : -1;
	if (kind < 0 || from >= to)
		return SIRT_EINVAL;
	int fm = month_index(from), lm = month_index(to - 1);
	int fp = period_of(kind, fm), np = period_of(kind, lm) - fp + 1;
	if (np > IM_MAX_PERIODS)
		return SIRT_EINVAL;
	struct im_agg *a = xcalloc(1, sizeof(*a));
	a->from = from;
	a->to = to;
	snprintf(a->bucket, sizeof(a->bucket), "%s", bucket);
	a->kind = kind;
	a->first_month = fm;
	a->last_month = lm;
	a->first_period = fp;
	a->nperiods = np;
	a->per = xcalloc((size_t)np * (SEVERITY_RANK_MAX + 1), sizeof(struct acc));
	a->by_category = json_object();
	a->by_month = json_object();
	*out = a;
	return 0;
}

void im_free(struct im_agg *a)
{
	if (!a)
		return;
	free(a->per);
	json_decref(a->by_category);
	json_decref(a->by_month);
	free(a);
}

void im_period_label(const char *bucket, int year, int month, char out[16])
{
	if (!strcmp(bucket, "year"))
		snprintf(out, 16, "%04d", year);
	else if (!strcmp(bucket, "quarter"))
		snprintf(out, 16, "%04d-Q%d", year, (month - 1) / 3 + 1);
	else
		snprintf(out, 16, "%04d-%02d", year, month);
}

static void acc_add(struct acc *x, const struct im_row *r)
{
	x->count += r->count;
	x->rejected += r->rejected;
	for (int i = 0; i < IM_MEASURES; i++) {
		x->sum[i] += r->sum[i];
		x->n[i] += r->n[i];
	}
}

static void bump(json_t *obj, const char *key, int64_t by)
{
	json_t *v = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

void im_add(struct im_agg *a, const struct im_row *r)
{
	if (r->month < 1 || r->month > 12)
		return;
	int midx = r->year * 12 + r->month - 1;
	if (midx < a->first_month || midx > a->last_month)
		return;
	int rank = severity_rank(r->severity);
	if (rank < 1)
		return;
	int p = period_of(a->kind, midx) - a->first_period;
	acc_add(&a->per[p * (SEVERITY_RANK_MAX + 1)], r);
	acc_add(&a->per[p * (SEVERITY_RANK_MAX + 1) + rank], r);
	acc_add(&a->sev[0], r);
	acc_add(&a->sev[rank], r);
	if (r->count == 0)
		return; /* a measure-only row (time to notify) */
	bump(a->by_category, r->category && *r->category ? r->category : "uncategorised", r->count);
	char m[16];
	im_period_label("month", r->year, r->month, m);
	bump(a->by_month, m, r->count);
}

static json_t *acc_json(const struct acc *x)
{
	json_t *o = json_pack("{s:I, s:I}", "count", (json_int_t)x->count, "rejected",
			      (json_int_t)x->rejected);
	for (int i = 0; i < IM_MEASURES; i++)
		json_object_set_new(o, measure_keys[i],
				    x->n[i] ? json_integer((x->sum[i] + x->n[i] / 2) / x->n[i])
					    : json_null());
	return o;
}

static json_t *sev_json(const struct acc *base)
{
	json_t *o = json_object();
	for (int r = SEVERITY_RANK_MAX; r >= 1; r--)
		json_object_set_new(o, severity_name(r), acc_json(&base[r]));
	return o;
}

json_t *im_result(const struct im_agg *a)
{
	char f[ISO8601_LEN], t[ISO8601_LEN], label[16];
	time_format_iso8601(a->from, f);
	time_format_iso8601(a->to, t);
	json_t *periods = json_array(), *series = json_array();
	for (int p = 0; p < a->nperiods; p++) {
		int pi = a->first_period + p;
		int midx = a->kind == 0 ? pi : a->kind == 1 ? pi * 3 : pi * 12;
		im_period_label(a->bucket, midx / 12, midx % 12 + 1, label);
		json_array_append_new(periods, json_string(label));
		const struct acc *base = &a->per[p * (SEVERITY_RANK_MAX + 1)];
		json_t *o = acc_json(&base[0]);
		json_object_set_new(o, "period", json_string(label));
		json_object_set_new(o, "by_severity", sev_json(base));
		json_array_append_new(series, o);
	}
	/* every month in range appears, zero when quiet, so charts have no gaps */
	json_t *by_month = json_object();
	for (int m = a->first_month; m <= a->last_month; m++) {
		im_period_label("month", m / 12, m % 12 + 1, label);
		json_t *v = json_object_get(a->by_month, label);
		json_object_set_new(by_month, label, json_integer(v ? json_integer_value(v) : 0));
	}
	json_t *by_sev = json_object();
	for (int r = SEVERITY_RANK_MAX; r >= 1; r--)
		json_object_set_new(by_sev, severity_name(r), json_integer(a->sev[r].count));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:{s:O, s:o, s:o}}", "from", f, "to",
			 t, "bucket", a->bucket, "periods", periods, "overall", acc_json(&a->sev[0]),
			 "by_severity", sev_json(a->sev), "series", series, "counts", "by_category",
			 a->by_category, "by_severity", by_sev, "by_month", by_month);
}
