/*
 * Where the evidence pack reads its data: ONE function per source, so the
 * tables behind a source can change (or arrive: exercises, reviews,
 * notifications and clocks are written by other areas) without touching the
 * documents. Every function filters on the organisation.
 *
 * Sources whose tables may not exist yet check first (pack_table_exists)
 * and return SIRT_ENOTFOUND, which the documents show as "no records of this
 * kind". Large sources (incidents, audit entries, notifications,
 * submissions) call back once per row in a stable order and never hold the
 * whole result; small ones return JSON the caller decrefs.
 */
#ifndef SIRT_PACK_SOURCES_H
#define SIRT_PACK_SOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/err.h"

bool pack_table_exists(struct db *db, const char *table);

/* ---- the plan ---- */
/*
 * *in_force: the full version (sections, approvals) in force at time `at`
 * (approved at or before it and not superseded by then), or NULL;
 * *versions: every version, newest first, with approvals and revision
 * reasons; *attestations: who attested the version in force (or null).
 * SIRT_ENOTFOUND when the organisation has no plan at all.
 */
int pack_src_plan(struct db *db, int64_t org_id, int64_t at, json_t **in_force, json_t **versions,
		  json_t **attestations) WUR;

/* ---- the team ---- */
/* Active and inactive members with roles, contacts, "trainings" and
 * "verifications" arrays. */
int pack_src_team(struct db *db, int64_t org_id, json_t **members) WUR;

/* ---- incidents ---- */
struct pack_incident {
	int64_t id;
	const char *uid, *key, *title, *description, *severity, *status, *category;
	const char *resolution, *resolution_summary;
	int64_t detected_at; /* COALESCE(detected_at, created_at) */
	int64_t created_at, resolved_at, closed_at;
	bool has_review;     /* a published post-incident review exists */
};
typedef int (*pack_incident_fn)(const struct pack_incident *in, void *arg);
/* Incidents detected in [from, to] (created, when the detection time is not
 * known), oldest first. */
int pack_src_incidents(struct db *db, int64_t org_id, int64_t from, int64_t to,
		       pack_incident_fn fn, void *arg) WUR;

/* The record, its timeline (oldest first) and its newest published review
 * ({content, facts, published_at, signoffs} or NULL). */
int pack_src_incident_report(struct db *db, int64_t org_id, const char *key, json_t **record,
			     json_t **timeline, json_t **review) WUR;

/* ---- exercises and reviews (SIRT_ENOTFOUND until their tables exist) ---- */
/* Exercises scheduled or held in [from, to], with participants. */
int pack_src_exercises(struct db *db, int64_t org_id, int64_t from, int64_t to,
		       json_t **items) WUR;
/* Quality reviews due or done in [from, to]. */
int pack_src_quality_reviews(struct db *db, int64_t org_id, int64_t from, int64_t to,
			     json_t **items) WUR;
/* Action items created in [from, to] or still open at `to`. */
int pack_src_action_items(struct db *db, int64_t org_id, int64_t from, int64_t to,
			  json_t **items) WUR;
/* Newest held exercise / completed quality review at or before `at`; 0 = none. */
int pack_src_last_exercise(struct db *db, int64_t org_id, int64_t at, int64_t *held_at) WUR;
int pack_src_last_quality_review(struct db *db, int64_t org_id, int64_t at,
				 int64_t *reviewed_on) WUR;

/* Compliance status per control ({frameworks: [{id, controls: [{id, title,
 * status, reasons: [{text}]}]}]}); SIRT_ENOTFOUND while the reviews area
 * (compliance_status()) is not there. */
int pack_src_compliance(struct db *db, int64_t org_id, int64_t now, const char *framework,
			json_t **out) WUR;

/* ---- notifications and regulatory clocks (SIRT_ENOTFOUND until present) ---- */
typedef int (*pack_row_fn)(void *arg, const char *const *cols);
#define PACK_NOTIFY_COLS 7
extern const char *const pack_notify_cols[PACK_NOTIFY_COLS];
/* Messages sent (or given up) in [from, to]: sent at, incident, channel,
 * kind, event, subject, status. */
int pack_src_notifications(struct db *db, int64_t org_id, int64_t from, int64_t to,
			   pack_row_fn fn, void *arg) WUR;
#define PACK_SUBMIT_COLS 9
extern const char *const pack_submit_cols[PACK_SUBMIT_COLS];
/* Regulatory clock stages of incidents of the period: incident, clock,
 * stage, recipient, deadline, submitted at, authority and reference,
 * status (met, late, overdue, pending, not_required), by. */
int pack_src_submissions(struct db *db, int64_t org_id, int64_t from, int64_t to,
			 pack_row_fn fn, void *arg) WUR;

/* ---- the audit trail ---- */
typedef int (*pack_audit_fn)(const struct audit_entry *e, const char *hash, void *arg);
/* Entries of the organisation's chain with ts in [from, to], by seq. */
int pack_src_audit(struct db *db, int64_t org_id, int64_t from, int64_t to, pack_audit_fn fn,
		   void *arg) WUR;
int pack_src_audit_verify(struct db *db, int64_t org_id, struct audit_verify_result *out) WUR;
/* The newest signed checkpoint of the chain (SIRT_ENOTFOUND when none). */
int pack_src_checkpoint(struct db *db, int64_t org_id, json_t **out) WUR;

#endif
