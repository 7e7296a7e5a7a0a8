/*
 * Alert intake: turning one parsed request (struct alert_batch) into stored,
 * de-duplicated, grouped and routed alerts, in ONE transaction per request.
 *
 * Life of an intake request (src/api/intake.c):
 *   authenticate the source by its secret → parse the body with the source's
 *   parser (src/alerts) → intake_prepare(): serialise each alert, apply the
 *   routing rules (loaded once per request) and work out group keys, all on
 *   the request's thread → store_tx(intake_store_batch): the payload row,
 *   then per alert one upsert (firing) or one update (resolved), plus the
 *   group/incident statements for the few alerts a rule routes → 200 with
 *   what happened to each alert. A 2xx therefore means it is on disk.
 *
 * De-duplication:
 *   - one firing alert per (org, source, fingerprint) (a unique partial
 *     index); a repeat updates it: count + 1 when its start time differs
 *     (a new occurrence), last_seen = the latest activity, the newest
 *     title/severity/labels/entities/raw;
 *   - the same occurrence notified again (same start time: Alertmanager's
 *     repeat_interval, a retry) does not count;
 *   - a resolved notification resolves the firing alert; a resolved one for
 *     an occurrence already resolved (same start) changes nothing; a resolved
 *     one never seen firing is recorded as resolved;
 *   - a byte-identical body accepted within INTAKE_REPLAY_WINDOW is a replay:
 *     409 and nothing stored (best effort under concurrency; the per-alert
 *     rule above keeps counts exact anyway).
 *
 * Routing (src/intake/rules.h) applies to NEW firing alerts only.
 */
#ifndef SIRT_INTAKE_H
#define SIRT_INTAKE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "alerts/alert.h"
#include "audit/audit.h"
#include "intake/rules.h"
#include "store/db.h"

#define INTAKE_REPLAY_WINDOW 3600 /* seconds */

enum intake_outcome {
	INTAKE_CREATED = 0, /* a new alert */
	INTAKE_UPDATED,     /* merged into the firing alert (count + 1 if a new occurrence) */
	INTAKE_RESOLVED,    /* a firing alert resolved */
	INTAKE_DUPLICATE,   /* resolved again: nothing changed */
	INTAKE_RECORDED_RESOLVED, /* never seen firing: stored as resolved */
};

/* One alert of the batch, serialised and routed before the transaction. */
struct intake_item {
	const struct alert *a;
	char *entities, *labels, *annotations; /* JSON text */
	int64_t starts_at, ends_at, first_seen, last_seen;
	const struct intake_rule *rule; /* NULL: no rule matched */
	char group_key[65];
	char *group_label;              /* JSON text, NULL without a rule */
	int dup_of;                     /* earlier index with the same fingerprint, or -1 */
	bool in_bulk;                   /* stored by the one multi-row upsert */
	/* results of the transaction */
	int64_t id;
	enum intake_outcome outcome;
	bool created_firing;
	int64_t incident_id;
	char incident_key[64];
	bool incident_opened;
};

struct intake_job {
	/* in */
	int64_t org_id;
	int64_t source_id;       /* intake_sources.id */
	const char *source_name;
	const char *kind;
	const char *body;
	size_t len;
	const char *content_type;
	char digest[65];
	const struct alert_batch *batch;
	int64_t now;
	bool touch_source;       /* also set the source's last_used_at */
	bool bulk;               /* PostgreSQL: one multi-row upsert for the firing alerts */
	char *bulk_json;         /* their records, built by intake_prepare() */
	struct audit_ctx ac;
	struct intake_rule *rules;
	size_t nrules;
	struct intake_item *items;
	size_t n;
	/* out */
	int64_t payload_id;
	int64_t replay_of;       /* with SIRT_ECONFLICT: the earlier payload */
	int64_t replay_at;
};

/*
 * Fills job->items from job->batch (job->rules already loaded) on the
 * calling thread. Free with intake_job_free().
 */
void intake_prepare(struct intake_job *job);
void intake_job_free(struct intake_job *job);
/* The store_tx function: stores job; SIRT_ECONFLICT for a replay. */
int intake_store_batch(struct db *db, void *arg) WUR;
/* The response body for a stored job. */
json_t *intake_result_json(const struct intake_job *job);
const char *intake_outcome_name(enum intake_outcome o);

/*
 * What intake would do with job (prepared) without writing anything: per
 * alert the outcome, the rule, the action and the incident.
 */
int intake_dry_run(struct db *db, struct intake_job *job, json_t **out) WUR;

/* Attaches an alert to an incident (uid or key) by hand; notes it on the
 * incident's timeline. SIRT_ECONFLICT when attached to another incident. */
int intake_attach(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t alert_id,
		  const char *incident_ref, const char *who) WUR;
/* SIRT_ECONFLICT when not attached. */
int intake_detach(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t alert_id,
		  const char *who) WUR;

/*
 * The two places intake touches the incident's own records: a system entry
 * on its timeline, and the alert's entities as its indicators (through the
 * incident store, so they are validated and de-duplicated).
 */
int intake_timeline_note(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 int64_t incident_id, const char *incident_uid, const char *text) WUR;
int intake_indicators_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  int64_t incident_id, const char *incident_uid, int64_t alert_id,
			  const char *entities_json) WUR;

#endif
