/*
 * Post-incident reviews in the database: one row per revision.
 *
 * Life of a revision: draft -> in_review (required sections checked) ->
 * published (sign-offs checked, facts frozen) -> superseded (when a later
 * revision is published). Editing an in_review revision returns it to draft
 * and drops its sign-offs (they approved other words). A published revision
 * is immutable, here and by a trigger in the database; POST a new revision
 * to change it. At most one draft/in_review revision per incident.
 *
 * Incidents are named by uid or key; every query filters on the org.
 */
#ifndef SIRT_REVIEW_STORE_H
#define SIRT_REVIEW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "store/review_common.h"

struct review_actor {
	const char *email;  /* the signed-in user; "" for CLI */
	const char *name;
};

/* The latest revision (revision 0) or revision N, as the API returns it. */
int review_get(struct db *db, int64_t org_id, const char *incident_ref, int revision,
	       int64_t now, json_t **out) WUR;
/* The newest published revision. */
int review_get_published(struct db *db, int64_t org_id, const char *incident_ref, int64_t now,
			 json_t **out) WUR;
int review_revisions(struct db *db, int64_t org_id, const char *incident_ref, json_t **out) WUR;
/* Starts revision 1, or the next revision after a published one (its content
 * copied). content: validated sections to start with, or NULL. */
int review_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		  const char *incident_ref, const struct review_actor *who, const json_t *content,
		  int64_t now, struct op_result *res, json_t **out) WUR;
int review_update(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		  const char *incident_ref, int64_t expect_version, const json_t *patch,
		  int64_t now, struct op_result *res, json_t **out) WUR;
int review_submit(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		  const char *incident_ref, int64_t now, struct op_result *res, json_t **out) WUR;
int review_signoff(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		   const char *incident_ref, const struct review_actor *who, const char *comment,
		   int64_t now, struct op_result *res, json_t **out) WUR;
int review_publish(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		   const char *incident_ref, int64_t now, struct op_result *res, json_t **out) WUR;

/*
 * For the incident close rule: *missing is true when the plan requires a
 * published review for this incident's severity (default high and critical)
 * and none is published. incident_id is incidents.id.
 */
int review_required_and_missing(struct db *db, int64_t org_id, int64_t incident_id,
				bool *missing) WUR;

#endif
