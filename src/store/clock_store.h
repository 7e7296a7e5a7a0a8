/*
 * Regulatory clocks in the database: definitions per organisation (the
 * built-ins of clock_builtin.c are copied in on first use and may then be
 * edited; organisations add their own, e.g. a customer contract), clocks
 * applied to incidents (by hand or by rule), the decisions that start them
 * and the submissions that end their stages. Deadlines and statuses are
 * never stored: they are computed by the engine (core/clock.h) from the
 * definition snapshot taken when the clock was applied, the incident's
 * trigger times and the submissions.
 *
 * Trigger times of an incident: the latest recorded decision of that name
 * wins; without one, became_aware falls back to the incident's aware_at,
 * then detected_at, then created_at; detected to detected_at, then
 * created_at; discovered to aware_at, detected_at, created_at. The others
 * (classified_major, materiality_determined, ransom_paid) start only with a
 * decision; a "custom" trigger starts with a decision named after the
 * clock definition's key.
 */
#ifndef SIRT_CLOCK_STORE_H
#define SIRT_CLOCK_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/strbuf.h"

struct store;

#define CLOCK_REMINDERS_MAX 8

/* Copies any missing built-in definition into the organisation. */
int clock_defs_seed(struct db *db, int64_t org_id) WUR;
/* True when the organisation already has every built-in. */
bool clock_defs_seeded(struct db *db, int64_t org_id);
int clock_def_list(struct db *db, int64_t org_id, json_t **items) WUR;
int clock_def_get(struct db *db, int64_t org_id, const char *key, json_t **out) WUR;
/* definition: the JSON object (clock.h format); reminders: array of hours
 * before a deadline (NULL: [24, 4, 1] on create, unchanged on update).
 * SIRT_EINVAL with a reason in why; SIRT_ECONFLICT when the key exists. */
int clock_def_put(struct db *db, const struct audit_ctx *ac, int64_t org_id, bool create,
		  const char *key, json_t *definition, json_t *reminders, int64_t expect_version,
		  json_t **out, struct strbuf *why) WUR;
/* clock_def_put() as a store_tx() job (the API and the admin page both use it):
 * seeds the built-ins first, then creates or updates. Results in out / why. */
struct clock_def_job {
	int64_t org_id;
	bool create;
	const char *key;
	json_t *def, *rem;
	int64_t version;
	struct audit_ctx ac;
	json_t *out;
	struct strbuf why;
};
int clock_def_put_tx(struct db *db, void *arg) WUR;
/* Built-ins cannot be deleted (SIRT_EPERM); applied clocks keep their copy. */
int clock_def_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		     const char *key) WUR;
/* Checks a reminders array; NULL when fine, else why not. */
const char *clock_reminders_check(json_t *reminders);

/* Applies a definition to an incident. how: "manual" or "rule" (with rule
 * naming it). SIRT_ECONFLICT when that clock runs on the incident already. */
int clock_apply(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t incident_id,
		const char *key, const char *how, const char *rule, int64_t now,
		json_t **out) WUR;
/*
 * The rules that apply clocks by themselves; the incident store calls it (via
 * notify/rules.c) in the store_tx that creates an incident or changes its
 * category, severity or personal data. With a plan in force: every clock of
 * the plan's reporting requirements that match (plan_reporting; rule
 * "plan_reporting"). Without one: personal data affected -> gdpr_art33 (rule
 * "personal_data"). Clocks already running are left alone, so applying twice
 * adds nothing; *applied (may be NULL) gets how many were added.
 */
int clock_rules_apply(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      int64_t incident_id, int *applied) WUR;

int clock_list(struct db *db, int64_t org_id, int64_t incident_id, int64_t now,
	       json_t **items) WUR;
int clock_get(struct db *db, int64_t org_id, int64_t incident_id, const char *uid, int64_t now,
	      json_t **out) WUR;

/* decision: a trigger name (became_aware, classified_major, ...) or a custom
 * clock's key; [a-z0-9_], 1..64. */
int clock_decision_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       int64_t incident_id, const char *decision, int64_t decided_at,
		       const char *decided_by, const char *note, const char *recorded_by,
		       json_t **out) WUR;
int clock_decision_list(struct db *db, int64_t org_id, int64_t incident_id,
			json_t **items) WUR;

struct clock_submission_in {
	const char *stage;
	const char *outcome;       /* "submitted" or "not_required" */
	int64_t submitted_at;      /* or decided at, for not_required */
	const char *authority;
	const char *reference;
	const char *submitted_by;
	const char *evidence_id;   /* may be NULL */
	const char *justification; /* required when late */
	const char *decision;      /* required for not_required */
	const char *recorded_by;
};
/* SIRT_EINVAL with why (unknown stage, late without justification, ...). */
int clock_submission_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 int64_t incident_id, const char *clock_uid,
			 const struct clock_submission_in *in, int64_t now, json_t **out,
			 struct strbuf *why) WUR;

/* Computes a definition's stages for given trigger times (preview). */
json_t *clock_preview_json(const char *definition_json, const int64_t *trigger_at, int64_t now,
			   struct strbuf *why);

/* The worker's periodic check: queues reminders at the configured lead
 * times and a breach notice when a stage's deadline passes unmet, each once
 * across all nodes (clock_alerts). */
int clock_scan_alerts(struct store *st, int64_t now) WUR;

#endif
