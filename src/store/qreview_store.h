/*
 * Quality reviews of the plan, the team roster and contact details, the
 * playbooks and the clock definitions; their cadence per subject; and the
 * significant organisational changes that trigger a plan review.
 *
 * Completing a review (status done) needs a reviewer, a date that is not in
 * the future and an outcome; outcome changes_required needs at least one
 * change, and each change becomes an action item (owner and due date
 * required) in the same transaction. A done or cancelled review is final.
 */
#ifndef SIRT_QREVIEW_STORE_H
#define SIRT_QREVIEW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/compliance.h"
#include "store/db.h"
#include "store/review_common.h"

#define ORG_CHANGE_REVIEW_DAYS 30 /* a plan review is due this long after a change */

struct qreview_filter {
	const char *subject;
	const char *status;
	bool overdue;
	int64_t now;
	int64_t cursor_due, cursor_id;
	int limit;
};

int qreview_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const json_t *body,
		   const char *created_by, int64_t now, struct op_result *res, json_t **out) WUR;
int qreview_get(struct db *db, int64_t org_id, const char *uid, int64_t now, json_t **out) WUR;
int qreview_list(struct db *db, int64_t org_id, const struct qreview_filter *f, json_t **items,
		 char **next_cursor) WUR;
int qreview_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		   int64_t expect_version, const json_t *patch, const char *actor_email,
		   int64_t now, struct op_result *res, json_t **out) WUR;
/* Per subject: cadence, last review, next due, days overdue, open reviews. */
int qreview_schedule(struct db *db, int64_t org_id, int64_t now, json_t **out) WUR;
/* body: {"plan": days, ...} (validated: known subjects, 1..3660). */
int qreview_set_cadence(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const json_t *body) WUR;
/* Fills f->qr[] (cadence, last done, earliest open due). */
int qreview_facts(struct db *db, int64_t org_id, struct comp_qr_facts qr[QR_SUBJECT_COUNT]) WUR;

/* Records the change and opens a plan review (reason organisational_change)
 * due ORG_CHANGE_REVIEW_DAYS after the later of the change and today. */
int org_change_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      const json_t *body, const char *recorded_by, int64_t now,
		      struct op_result *res, json_t **out) WUR;
int org_change_list(struct db *db, int64_t org_id, int limit, json_t **items) WUR;

#endif
