/*
 * Incident metrics for the dashboard: MTTA, MTTC, MTTR, MTTD and mean time
 * to notify by severity and period, and counts by category, severity and
 * month. The store runs ONE grouped query (month x severity x category, with
 * sums and counts of each interval) and feeds its rows here; this code rolls
 * them up into periods (month, quarter or year) and builds the JSON. No I/O.
 *
 * Means are over the incidents where both times of the interval are known
 * and in order; rejected incidents (false positives, duplicates) are counted
 * separately and excluded from the means by the query.
 */
#ifndef SIRT_CORE_INCIDENT_METRICS_H
#define SIRT_CORE_INCIDENT_METRICS_H

#include <jansson.h>
#include <stdint.h>

#include "util/err.h"

enum im_measure { IM_ACK, IM_CONTAIN, IM_RESOLVE, IM_DETECT, IM_NOTIFY, IM_MEASURES };

/* One row of the grouped query. */
struct im_row {
	int year;
	int month;            /* 1..12 */
	const char *severity; /* critical, high, medium, low */
	const char *category; /* NULL or "" = uncategorised */
	int64_t count;        /* incidents, rejected included */
	int64_t rejected;
	int64_t sum[IM_MEASURES];
	int64_t n[IM_MEASURES];
};

struct im_agg;

#define IM_MAX_PERIODS 600

/* bucket: "month", "quarter" or "year". from < to (epoch seconds, [from, to)).
 * SIRT_EINVAL for a bad bucket or more than IM_MAX_PERIODS periods. */
int im_new(int64_t from, int64_t to, const char *bucket, struct im_agg **out) WUR;
void im_free(struct im_agg *a);
/* Rows outside [from, to)'s months are ignored. */
void im_add(struct im_agg *a, const struct im_row *r);
/*
 * {"from","to","bucket","periods":["2026-01",...],
 *  "overall": {"count","rejected","mtta_seconds",...,"mttn_seconds"},
 *  "by_severity": {"critical": {...}, ...},
 *  "series": [{"period","count",...,"by_severity":{...}}],
 *  "counts": {"by_category": {...}, "by_severity": {...}, "by_month": {"2026-01": n}}}
 * Means are whole seconds (rounded) or null when nothing was measured.
 */
json_t *im_result(const struct im_agg *a);
/* The period label of a month for a bucket ("2026-03", "2026-Q1", "2026"). */
void im_period_label(const char *bucket, int year, int month, char out[16]);

#endif
