/*
 * The incident response plan in the database (tables in migration 0030).
 *
 * Part 1 is for other modules: what the plan in force says. Each function
 * reads the organisation's approved version ("the version in force") and
 * returns SIRT_ENOTFOUND when there is none, so callers can fall back to
 * their own defaults:
 *
 *   plan_in_force()          which version is in force (id, "v3", dates)
 *   plan_severity_targets()  acknowledge / update targets, who must be told
 *   plan_playbook_tasks()    the tasks a new incident of a category receives
 *   plan_escalation()        escalation levels for a severity
 *   plan_reporting()         which regulatory clocks apply to an incident
 *
 * Part 2 is the plan's life cycle for the API and CLI. Functions that write
 * run inside store_tx: they check state first, return a precise reason in
 * struct plan_err, and append their audit entry in the same transaction.
 * Versions are named by uid, by label ("v3") or by number ("3").
 */
#ifndef SIRT_PLAN_STORE_H
#define SIRT_PLAN_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

/* ---------------- part 1: the plan in force, for other modules ---------------- */

struct plan_ref {
	int64_t plan_id;
	int64_t version_id;
	int number;
	char plan_uid[37];
	char version_uid[37];
	char label[16];          /* "v3": what incidents record as plan_version */
	int64_t approved_at;
	int64_t next_review_due; /* approved_at + review interval */
	bool review_overdue;     /* at time_now() */
};

int plan_in_force(struct db *db, int64_t org_id, struct plan_ref *out) WUR;

struct plan_target {
	char severity[16];
	int acknowledge_minutes;
	int update_interval_minutes;
	int resolve_target_hours; /* 0 when the plan sets none */
	json_t *notify;           /* array of role/party keys; the caller decrefs */
};

/* SIRT_ENOTFOUND: no plan in force (or, never in a valid plan, no such level). */
int plan_severity_targets(struct db *db, int64_t org_id, const char *severity,
			  struct plan_target *out) WUR;

/*
 * *tasks: a new array of {title, phase, role?, due_minutes?, description?,
 * playbook} from the playbook covering `category`, else from the one covering
 * "other"; an empty array when neither exists.
 */
int plan_playbook_tasks(struct db *db, int64_t org_id, const char *category, json_t **tasks) WUR;

/* *levels: a new array of {level, after_minutes, notify[], note?}; empty if none. */
int plan_escalation(struct db *db, int64_t org_id, const char *severity, json_t **levels) WUR;

/*
 * *reqs: a new array of the reporting requirements that apply to an incident
 * of this category and severity ({clock, notify, owner, note?, ...}): those
 * whose applies_to lists the category or "any", whose min_severity (if any)
 * is at or below `severity`, and, when personal_data_only, only if the
 * incident involves personal data. category or severity may be NULL (unknown:
 * treated as matching).
 */
int plan_reporting(struct db *db, int64_t org_id, const char *category, const char *severity,
		   bool personal_data, json_t **reqs) WUR;

/* ---------------- part 2: life cycle ---------------- */

/* Why a write was refused: an HTTP status, a sentence and field errors. */
struct plan_err {
	int status;        /* 0, 403, 404, 409, 422 */
	char detail[400];
	json_t *errors;    /* owned; NULL or array of {field, message} */
};
void plan_err_reset(struct plan_err *e);

/* The person acting. */
struct plan_actor {
	int64_t user_id; /* 0 for the CLI */
	const char *email;
	const char *name;
	const char *actor; /* audit / created_by text */
};

int plan_list(struct db *db, int64_t org_id, json_t **items) WUR;
int plan_get(struct db *db, int64_t org_id, const char *plan_uid, json_t **out) WUR;
/* The org's only plan, by uid (for the CLI). */
int plan_find(struct db *db, int64_t org_id, char uid_out[37]) WUR;

/* Creates an empty plan with an empty v1 draft; 409 when the organisation has one. */
int plan_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *name,
		const struct plan_actor *who, json_t **out, struct plan_err *err) WUR;
/* Creates the starter plan unless the organisation has a plan (*created false). */
int plan_create_starter(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const struct plan_actor *who, json_t **out, bool *created) WUR;

/* For `sirt init`: the starter plan for org_id unless it has a plan. */
int plan_init_starter(struct db *db, const struct audit_ctx *ac, int64_t org_id) WUR;

int plan_version_list(struct db *db, int64_t org_id, const char *plan_uid, json_t **items) WUR;
int plan_version_get(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
		     json_t **out) WUR;

struct plan_revision {
	const char *reason;       /* plan_reasons */
	const char *trigger_type; /* incident, exercise, text or NULL */
	const char *trigger_ref;
	const char *note;
};

/* A new draft copying the version in force (or the latest version). */
int plan_version_new(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		     const char *plan_uid, const struct plan_revision *rev,
		     const struct plan_actor *who, json_t **out, struct plan_err *err) WUR;
/*
 * Changes a draft's title, settings {approvals_required, review_interval_months,
 * approvers[]} and revision {reason, trigger, note} (already shape-checked).
 * expect_version 0 = no If-Match.
 */
int plan_version_patch(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *plan_uid, const char *vref, int64_t expect_version,
		       json_t *patch, json_t **out, struct plan_err *err) WUR;
/* Creates or replaces a section of a draft; fields: title, body, data, position. */
int plan_section_put(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		     const char *plan_uid, const char *vref, const char *key, json_t *fields,
		     int64_t expect_version, json_t **out, struct plan_err *err) WUR;
int plan_section_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const char *key,
			json_t **out, struct plan_err *err) WUR;
int plan_version_submit(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const struct plan_actor *who,
			const char *comment, json_t **out, struct plan_err *err) WUR;
int plan_version_withdraw(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  const char *plan_uid, const char *vref, const struct plan_actor *who,
			  const char *comment, json_t **out, struct plan_err *err) WUR;
int plan_version_approve(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *plan_uid, const char *vref, const struct plan_actor *who,
			 const char *comment, json_t **out, struct plan_err *err) WUR;
int plan_version_attest(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *plan_uid, const char *vref, const struct plan_actor *who,
			json_t **out, struct plan_err *err) WUR;
/* Who on the team has and has not attested the version in force. */
int plan_attestations(struct db *db, int64_t org_id, const char *plan_uid, const char *vref,
		      json_t **out, struct plan_err *err) WUR;
/* Section by section diff between two versions. */
int plan_diff(struct db *db, int64_t org_id, const char *plan_uid, const char *from,
	      const char *to, json_t **out, struct plan_err *err) WUR;

/* approved_at plus months, same day (clamped to the month's end) and time. */
int64_t plan_add_months(int64_t t, int months);

#endif
