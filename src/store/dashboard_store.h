/*
 * The dashboard's figures, each from one grouped query with bound
 * parameters (no query per month or per severity):
 *   open incidents by status and severity           dashboard_open_counts
 *   per month: incidents by severity, and the sums   dashboard_months
 *     behind MTTA, MTTC and MTTR (acknowledged_at,
 *     contained_at, resolved_at minus detected_at)
 *   the newest open incidents                        dashboard_newest_open
 * Months are given by the caller as boundaries (so they can follow the
 * user's time zone); an incident counts in the month its detected_at falls
 * in, and incidents without detected_at are left out of the monthly
 * figures. Every query filters on org_id.
 */
#ifndef SIRT_DASHBOARD_STORE_H
#define SIRT_DASHBOARD_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "core/lifecycle.h"
#include "store/db.h"

#define DASH_MONTHS_MAX 24

struct dash_open {
	int64_t total;
	int64_t by_severity[SEVERITY_RANK_MAX + 1]; /* index: severity_rank() */
	int64_t by_status[LC_STATUS_COUNT];         /* index: enum lifecycle_status */
};

struct dash_month {
	int64_t total;
	int64_t by_severity[SEVERITY_RANK_MAX + 1];
	int64_t ack_sum, ack_n;   /* seconds from detection to acknowledgement */
	int64_t con_sum, con_n;   /* ... to containment */
	int64_t res_sum, res_n;   /* ... to resolution */
};

int dashboard_open_counts(struct db *db, int64_t org_id, struct dash_open *out) WUR;
/* bounds[0..nmonths]: ascending month starts (epoch seconds); month i is
 * [bounds[i], bounds[i+1]). 1 <= nmonths <= DASH_MONTHS_MAX. */
int dashboard_months(struct db *db, int64_t org_id, const int64_t *bounds, int nmonths,
		     struct dash_month *out) WUR;
/* The newest open incidents, newest first: array of {key, title, severity,
 * status, detected_at, created_at} (times as epoch seconds, detected_at may
 * be null). */
int dashboard_newest_open(struct db *db, int64_t org_id, int limit, json_t **items) WUR;

#endif
