/*
 * Compliance status: whether each control of each framework is met.
 *
 * Two halves, kept apart on purpose:
 *   - the control mapping is DATA: a JSON document (a built-in one ships with
 *     sirt, each organisation may store its own) listing frameworks, their
 *     controls and, for each control, requirements that reference named
 *     checks with optional parameters;
 *   - the checks are CODE: pure functions over a struct compliance_facts that
 *     the store fills in once per request. No I/O here.
 *
 * A control's status is the worst status of its requirements (not_met worse
 * than at_risk worse than met); its reasons are the reasons of every
 * requirement that is not met, each a sentence with an optional API link.
 *
 * Mapping document:
 *   {"frameworks": [
 *     {"id": "m365", "name": "Microsoft 365 Certification",
 *      "controls": [
 *        {"id": "25", "title": "Security incident response plan",
 *         "requirements": [
 *           {"check": "plan_approved", "text": "a ratified plan"},
 *           {"check": "exercise_recent", "params": {"months": 12}}]}]}]}
 * Unknown members, unknown checks and unknown parameters are rejected.
 */
#ifndef SIRT_CORE_COMPLIANCE_H
#define SIRT_CORE_COMPLIANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

enum comp_status { COMP_MET = 0, COMP_AT_RISK = 1, COMP_NOT_MET = 2 };

const char *compliance_status_name(enum comp_status s);

/* Quality-review subjects, in this order everywhere. */
enum qr_subject { QR_PLAN, QR_TEAM, QR_PLAYBOOKS, QR_CLOCKS, QR_SUBJECT_COUNT };
const char *qr_subject_name(enum qr_subject s);   /* "plan", "team", "playbooks", "clocks" */
int qr_subject_parse(const char *s);              /* -1 when unknown */
const char *qr_subject_label(enum qr_subject s);  /* "plan", "team roster and contact details", ... */
int qr_default_cadence_days(enum qr_subject s);

#define COMP_REFS_MAX 5
#define COMP_DAY 86400

/* One object a reason can point at: an incident, an action item, ... */
struct comp_ref {
	char label[64]; /* "INC-2026-0007", an action title, an org change title */
	char id[40];    /* uid for the link */
	int64_t at;     /* a date that matters for the reason (due date, change date) */
};

struct comp_qr_facts {
	int cadence_days;      /* review every N days */
	int64_t last_done_at;  /* newest completed review; 0 = never */
	int64_t open_due;      /* earliest due date of an open review; 0 = none */
	char open_id[40];
};

struct compliance_facts {
	int64_t now;

	/* The IR plan (adapter; plan_data false until the plan area answers). */
	bool plan_data;
	bool plan_approved;
	int64_t plan_approved_at;
	int64_t plan_next_review_due;    /* 0 = not set by the plan */
	char plan_version_id[40];
	char plan_version_label[64];
	bool plan_has_roles, plan_has_team_contacts, plan_has_communication, plan_has_procedures,
		plan_has_reporting;

	/* The team (adapter). */
	bool team_data;
	int team_members;
	int team_without_contact;
	int training_expired;
	int training_missing;
	int training_expiring_soon;      /* within 30 days */

	/* Notifications (adapter). */
	bool notify_data;
	int notifications_late;          /* sent late or deadline passed unsent */
	struct comp_ref late_refs[COMP_REFS_MAX];
	int notifications_due_soon;

	/* Incidents. */
	int closed_without_review;       /* closed, review required, none published */
	struct comp_ref no_review_refs[COMP_REFS_MAX];
	int awaiting_review;             /* resolved, review required, none published */
	int without_resolution;          /* resolved or closed without a resolution */
	struct comp_ref no_resolution_refs[COMP_REFS_MAX];
	int unacknowledged;              /* still new after 24 hours */
	struct comp_ref unack_refs[COMP_REFS_MAX];

	/* Reviews, exercises, lessons. */
	int64_t last_review_published_at;
	int64_t last_exercise_held_at;
	char last_exercise_id[40];
	int64_t next_exercise_at;        /* earliest planned exercise in the future; 0 = none */
	int64_t last_plan_link_at;       /* newest action item linking a plan revision */
	char last_plan_link_label[64];

	/* Organisational changes whose plan review is not done. */
	int org_changes_unreviewed;
	struct comp_ref org_change_refs[COMP_REFS_MAX]; /* at = review due date */

	/* Quality reviews, by subject. */
	struct comp_qr_facts qr[QR_SUBJECT_COUNT];

	/* Action items. */
	int actions_overdue;
	struct comp_ref overdue_refs[COMP_REFS_MAX];  /* at = due date, oldest first */

	/* Evidence. */
	int64_t newest_record_at;        /* newest review, exercise, quality review, action done */
	bool evidence_data;
	int64_t last_evidence_pack_at;   /* 0 = never generated */

	/* Audit trail. */
	bool audit_checked;
	bool audit_ok;
	char audit_problem[160];
};

/* A check: fills reasons (an array it appends {"text","link"?,"status"} to)
 * and returns the status. params is the requirement's "params" object or NULL. */
typedef enum comp_status (*comp_check_fn)(const struct compliance_facts *f, const json_t *params,
					  json_t *reasons);

struct comp_check {
	const char *name;
	comp_check_fn fn;
	const char *params;  /* comma-separated parameter names it accepts, "" for none */
	const char *doc;
};

/* The table of checks, terminated by a NULL name. */
const struct comp_check *compliance_checks(void);
const struct comp_check *compliance_check_find(const char *name);

/* Runs one check by name; COMP_NOT_MET with a reason if it does not exist. */
enum comp_status compliance_run_check(const char *name, const struct compliance_facts *f,
				      const json_t *params, json_t *reasons);

/* The built-in mapping document (a JSON text). */
const char *compliance_builtin_mapping(void);

/* Validates a mapping document. 0 or SIRT_EINVAL with every problem in
 * *errors (a new array of {"field","message"}; field is a JSON path such as
 * "frameworks[0].controls[2].requirements[1].check"). */
int compliance_mapping_validate(const json_t *doc, json_t **errors) WUR;

/* Evaluates a (validated) mapping over the facts:
 *   {"summary": {"met":n,"at_risk":n,"not_met":n},   (counts of controls)
 *    "frameworks": [{"id","name","status",
 *       "controls": [{"id","title","status","reasons":[...],
 *                     "requirements":[{"check","text","status","reasons"}]}]}]}
 * framework: only that framework id, or NULL for all. */
json_t *compliance_evaluate(const json_t *mapping, const struct compliance_facts *f,
			    const char *framework);

/* Whole days from a to b, rounded up (0 when b <= a): "due in N days".
 * Lateness is counted differently: a due date (midnight UTC) is late from
 * the next day on, by whole days elapsed. */
int64_t compliance_days_between(int64_t a, int64_t b);

#endif
