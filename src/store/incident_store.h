/*
 * Incidents in the database: the full record, its lifecycle, timeline,
 * tasks and indicators, and search. Every function takes the organisation id
 * and every query filters on it: an incident of another organisation is
 * simply not found.
 *
 * An incident is named by `ref`: its id (a UUID) or its key (INC-2026-0042).
 *
 * The JSON record (what incident_get() and incident_list() return, and what
 * the API accepts) uses the column names of the incidents table, except:
 *   id            the UUID (column uid)
 *   commander     the commander's e-mail (column commander_id), or null
 *   assignees     array of e-mails (table incident_assignees), sorted
 *   tags          array of strings (table incident_tags), sorted
 *   related       array of incident keys (table incident_links), sorted
 *   duplicate_of  the other incident's key, or null
 *   personal_data true or false
 *   times         RFC 3339 UTC strings ("2026-03-01T14:30:00Z") or null
 * Field errors are always a JSON array of {"field", "message"}.
 *
 * Writes append their audit entry and, for every field change, transition,
 * task or indicator change, a "system" timeline entry, inside the caller's
 * transaction (run them from a store_tx function).
 */
#ifndef SIRT_INCIDENT_STORE_H
#define SIRT_INCIDENT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/strbuf.h"

#define INCIDENT_TITLE_MAX 200
#define INCIDENT_LIST_MAX 100  /* items in affected_systems, tags, ... */

/*
 * A new incident. Strings and arrays are borrowed; NULL (or 0 for times)
 * means "not set". Enumerations are the names in src/core/category.h.
 */
struct incident_new {
	int64_t org_id;
	const char *title;       /* required */
	const char *description;
	const char *severity;    /* required: critical, high, medium, low */
	int64_t detected_at;     /* 0 = unknown */
	const char *created_by;

	const char *status;      /* NULL = new; an import may bring resolved/closed ones */
	const char *category;
	const char *attack_vector;
	const char *veris_action;
	const char *resolution;
	const char *resolution_summary;
	const char *root_cause_category;
	int64_t occurred_at;
	int64_t aware_at;
	int64_t acknowledged_at; /* the lifecycle times: normally set by transitions */
	int64_t contained_at;
	int64_t resolved_at;
	int64_t closed_at;
	const char *reporter;
	const char *commander;        /* e-mail of a member of the organisation */
	json_t *assignees;            /* array of member e-mails */
	json_t *affected_systems;     /* arrays of strings */
	json_t *affected_customers;
	json_t *data_types;
	bool personal_data;
	const char *impact_functional;
	const char *impact_information;
	const char *impact_recoverability;
	const char *tlp;              /* NULL = amber */
	json_t *tags;
	json_t *related;              /* array of incident keys */
	const char *plan_version;
	const char *reject_reason;    /* status rejected: false_positive, duplicate */
	const char *duplicate_of;     /* key of the original */
	const char *source;           /* NULL = manual; alert, import */
	const char *external_ref;     /* unique per organisation (import identity) */
	/* On success *out is only {"id": uid}: the caller reads the record
	 * after the commit, on its own connection, which spares the single
	 * SQLite writer the work (the API's create does this). */
	bool out_id_only;
};

/*
 * Reads the JSON record fields of obj (API names, see above) into *in;
 * strings and arrays stay borrowed from obj. Fields it does not know are
 * ignored. Type errors (a time that is not RFC 3339, a number where a
 * string belongs) are added to *errors; enumerations and limits are checked
 * by incident_create().
 */
void incident_new_from_json(json_t *obj, struct incident_new *in, json_t **errors);

/*
 * Validates and creates the incident with its tags, assignees and links,
 * its playbook tasks (when it has a category and is open), a "created"
 * timeline entry and an audit entry.
 *   0              *out = the full record (or only its id, see out_id_only)
 *   SIRT_EINVAL    *out = field errors (unknown category, time out of order...)
 *   SIRT_ECONFLICT external_ref exists already: *out = that incident's record
 * The caller owns *out in every case.
 */
int incident_create(struct db *db, const struct audit_ctx *ac, const struct incident_new *in,
		    json_t **out) WUR;
/* The record as JSON, or SIRT_ENOTFOUND. */
int incident_get(struct db *db, int64_t org_id, const char *ref, json_t **out) WUR;
/* The same record as JSON text appended to out (the API sends it as it is,
 * without building jansson objects), and its version for the ETag. */
int incident_get_text(struct db *db, int64_t org_id, const char *ref, struct strbuf *out,
		      int64_t *version) WUR;

enum incident_pd { PD_ANY = 0, PD_YES, PD_NO };

struct incident_filter {
	const char *status;
	const char *severity;
	int64_t cursor_created; /* legacy keyset for the default sort; 0 = first page */
	int64_t cursor_id;
	int limit;
	/* issue 4 */
	const char *category;
	const char *assignee;   /* e-mail */
	const char *commander;  /* e-mail */
	const char *tag;
	enum incident_pd personal_data;
	int64_t detected_from, detected_to; /* inclusive; 0 = open */
	int64_t created_from, created_to;
	int64_t resolved_from, resolved_to;
	const char *q;          /* full-text: every word must occur in the incident */
	const char *sort;       /* created_at (default), detected_at, resolved_at, updated_at */
	bool ascending;         /* default newest first */
	const char *cursor;     /* next_cursor of the previous page, same sort */
};

/* Checks sort, cursor and q; SIRT_EINVAL with one sentence in *why. */
int incident_filter_check(const struct incident_filter *f, char *why, size_t whylen) WUR;
/*
 * A page of full records. Incidents without a value for the sort time
 * (detected_at, resolved_at) come last in both directions. *next_cursor is
 * NULL on the last page (caller frees).
 */
int incident_list(struct db *db, int64_t org_id, const struct incident_filter *f, json_t **items,
		  char **next_cursor) WUR;
/* The same page as a JSON array's text appended to items (nothing is
 * appended when it fails). */
int incident_list_text(struct db *db, int64_t org_id, const struct incident_filter *f,
		       struct strbuf *items, char **next_cursor) WUR;

/*
 * Applies the changes in `patch` (types already checked by the API; the
 * fields of the record except id, key, status, the bookkeeping fields and
 * the lifecycle-set ones; a lifecycle time that is set may be corrected).
 * expect_version 0 = no If-Match. SIRT_EPRECOND when the stored version
 * differs; SIRT_EINVAL with *out = field errors.
 */
int incident_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		    int64_t expect_version, json_t *patch, json_t **out) WUR;

struct incident_transition_req {
	const char *to;
	const char *reason;        /* reopen, step back; free text otherwise */
	const char *reject_reason; /* to rejected: false_positive or duplicate */
	const char *duplicate_of;  /* key of the original */
	int64_t at;                /* when it happened; 0 = now */
	/* optional fields set in the same step (closing often needs them) */
	const char *resolution;
	const char *resolution_summary;
	const char *root_cause_category;
};

/*
 * Moves the incident through its lifecycle (src/core/lifecycle.h): checks
 * the transition and its reasons, the close rules and the resulting times,
 * sets the lifecycle stamps.
 *   SIRT_ECONFLICT  the lifecycle forbids it; *out = field errors (field "to")
 *   SIRT_EINVAL     a missing reason or close requirement; *out = field errors
 *   SIRT_EPRECOND   stale expect_version
 */
int incident_transition(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
			int64_t expect_version, const struct incident_transition_req *t,
			json_t **out) WUR;

/* ---- timeline (incident_timeline.c) ---- */

struct timeline_new {
	const char *kind;     /* action, note, decision, communication */
	const char *text;
	int64_t occurred_at;  /* 0 = not given */
	int64_t corrects;     /* id of the entry this one corrects; 0 = none */
};

/* SIRT_EINVAL with *out = field errors; else *out = the entry. */
int incident_timeline_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  const char *ref, const struct timeline_new *t, json_t **out) WUR;
/* Entries in the order they happened (occurred_at, else recorded_at), a page
 * at a time; after = 0 for the first page, else the last entry's id. */
int incident_timeline_list(struct db *db, int64_t org_id, const char *ref, int64_t after, int limit,
			   json_t **items, int64_t *next_after) WUR;
/* A "system" entry (inside the caller's transaction). details borrowed, may be NULL. */
int incident_timeline_system(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			     int64_t incident_id, const char *text, json_t *details) WUR;
/* Who wrote it: the e-mail in ac->actor where there is one, else the actor. */
const char *incident_author(const struct audit_ctx *ac, char *buf, size_t len);

/* ---- tasks (incident_tasks.c) ---- */

struct task_new {
	const char *title;
	const char *assignee; /* member e-mail or NULL */
	int64_t due_at;       /* 0 = none */
	const char *status;   /* NULL = open */
	const char *source;   /* NULL = manual; playbook */
};

int incident_task_add(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
		      const struct task_new *t, json_t **out) WUR;
int incident_task_list(struct db *db, int64_t org_id, const char *ref, json_t **items) WUR;
/* patch: title, assignee (null clears), due_at (null clears), status. */
int incident_task_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref,
			 int64_t task_id, json_t *patch, json_t **out) WUR;
/* Adds the playbook's tasks for category to incident_id (internal id). */
int incident_tasks_from_playbook(struct db *db, const struct audit_ctx *ac, int64_t org_id,
				 int64_t incident_id, const char *category) WUR;

/* ---- indicators (incident_indicators.c) ---- */

struct indicator_new {
	const char *type;
	const char *value;
	const char *tlp;         /* NULL = the incident's TLP */
	const char *description;
	int64_t first_seen;      /* 0 = last_seen, or now */
	int64_t last_seen;       /* 0 = first_seen, or now */
};

/* Normalises and adds the indicator, or, when the incident has it already,
 * widens first_seen/last_seen (last_seen = now if not given) and sets
 * *created false. SIRT_EINVAL with *out = field errors. */
int incident_indicator_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const char *ref, const struct indicator_new *in, json_t **out,
			   bool *created) WUR;
int incident_indicator_list(struct db *db, int64_t org_id, const char *ref, json_t **items) WUR;
int incident_indicator_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			      const char *ref, int64_t indicator_id) WUR;
/* Every incident of the organisation with this indicator: value is
 * normalised under `type`, or, when type is NULL, under every type it is
 * valid for. Items: {"incident": {id, key, title, status, severity}, "indicator": {...}}. */
int indicator_lookup(struct db *db, int64_t org_id, const char *value, const char *type,
		     int limit, json_t **items) WUR;

/* ---- shared by the incident_*.c files ---- */

struct incident_ref {
	int64_t id;       /* internal row id */
	char uid[37];
	char key[64];
	char status[16];
	char tlp[16];
	int64_t version;
};

/* Finds the incident by UUID or key; SIRT_ENOTFOUND. */
int incident_lookup(struct db *db, int64_t org_id, const char *ref, struct incident_ref *out) WUR;
/* The user id of a member of the organisation with this e-mail
 * (case-insensitive); SIRT_ENOTFOUND. */
int incident_member(struct db *db, int64_t org_id, const char *email, int64_t *user_id) WUR;

/* legacy cursor "<created>.<id>" */
int incident_cursor_parse(const char *s, int64_t *created, int64_t *id) WUR;

#endif
