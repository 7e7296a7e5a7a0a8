/*
 * Adapters: the facts this area needs from areas that are merged separately
 * (the IR plan and team, notifications and clocks, the evidence pack). The
 * plan, team and clock adapters read the real tables; the evidence adapter
 * returns "no data" (data = false, defaults) until the table it reads exists.
 * The queries here are the ONLY place that knows those tables.
 */
#ifndef SIRT_COMPLIANCE_INPUTS_H
#define SIRT_COMPLIANCE_INPUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compliance.h"
#include "core/lifecycle.h"
#include "store/db.h"
#include "util/err.h"

struct plan_facts {
	bool data;                   /* the plan area is installed */
	bool approved;               /* an approved version is in force */
	int64_t approved_at;
	int64_t next_review_due;     /* 0 = not set */
	char version_id[40];
	char version_label[64];
	bool has_roles, has_team_contacts, has_communication, has_procedures, has_reporting;
	char last_revision_reasons[200];
};

struct team_facts {
	bool data;
	int members;
	int without_contact;
	int training_expired;
	int training_missing;
	int training_expiring_soon; /* within 30 days of now */
};

struct notification_facts {
	bool data;
	int late;                                  /* sent late, or deadline passed unsent */
	struct comp_ref late_refs[COMP_REFS_MAX];  /* label "INC-... <clock>", id incident uid */
	int due_soon;                              /* deadline within 24 hours, unsent */
};

struct evidence_facts {
	bool data;
	int64_t last_pack_at; /* 0 = never */
};

/* What the plan says about post-incident reviews. */
struct review_policy {
	bool required[SEVERITY_RANK_MAX + 1]; /* by severity rank */
	int signoffs;                         /* sign-offs needed to publish, >= 1 */
};

int compliance_plan_facts(struct db *db, int64_t org_id, struct plan_facts *out) WUR;
int compliance_team_facts(struct db *db, int64_t org_id, int64_t now, struct team_facts *out) WUR;
int compliance_notification_facts(struct db *db, int64_t org_id, int64_t now,
				  struct notification_facts *out) WUR;
int compliance_evidence_facts(struct db *db, int64_t org_id, struct evidence_facts *out) WUR;
/* Default until the plan says otherwise: high and critical, one sign-off. */
int compliance_review_policy(struct db *db, int64_t org_id, struct review_policy *out) WUR;
/* The plan version in force (empty strings when unknown). */
int compliance_plan_current(struct db *db, int64_t org_id, char id[40], char label[64]) WUR;
/* First notification sent for an incident (0 when none or unknown). */
int compliance_first_notified_at(struct db *db, int64_t org_id, int64_t incident_id,
				 int64_t *at) WUR;

/* Time-to-notify sums for the metrics, by month and severity of incidents
 * whose period time is in [from, to): cb(year, month, severity, sum, n, arg). */
typedef void (*notify_metric_cb)(int year, int month, const char *severity, int64_t sum,
				 int64_t n, void *arg);
int compliance_notify_metrics(struct db *db, int64_t org_id, int64_t from, int64_t to,
			      notify_metric_cb cb, void *arg) WUR;

#endif
