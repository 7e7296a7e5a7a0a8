/*
 * Alert intake in the database: configured intake sources (hashed secrets),
 * routing rules, and reading alerts. Writing alerts is src/intake/intake.c's
 * job (one transaction per request). Every function takes the organisation
 * id and every query filters on it: another organisation's object is simply
 * not found.
 *
 * Results are JSON records in the API's shape; the caller owns them.
 */
#ifndef SIRT_ALERT_STORE_H
#define SIRT_ALERT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "intake/rules.h"
#include "store/db.h"

#define INTAKE_SECRET_PREFIX "sirt_in_"
#define INTAKE_SECRET_LEN 51 /* prefix + 43 base64url characters (256 bits) */

/* ---- intake sources ---- */

struct intake_source_auth {
	int64_t id;
	int64_t org_id;
	char uid[37];
	char kind[32];
	char name[128];
	bool enabled;
	int64_t last_used_at;
};

/* Creates a source; *out gets the record with "secret" (shown once). */
int intake_source_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *name, const char *kind, const char *created_by,
			 json_t **out) WUR;
/* ref: the uid or the name. A new secret replaces the old one at once. */
int intake_source_rotate(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref, json_t **out) WUR;
int intake_source_get(struct db *db, int64_t org_id, const char *ref, json_t **out) WUR;
int intake_source_list(struct db *db, int64_t org_id, json_t **out) WUR;
/* name may be NULL (unchanged); enabled < 0 = unchanged. */
int intake_source_update(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref, const char *name, int enabled, json_t **out) WUR;
/* Deletes (revokes) a source: its secret stops working, its alerts stay. */
int intake_source_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref) WUR;
/*
 * Finds the source whose secret this is (SHA-256, compared in constant
 * time); SIRT_EAUTH when none.
 */
int intake_source_authenticate(struct db *db, const char *secret,
			       struct intake_source_auth *out) WUR;
bool intake_source_name_valid(const char *name);

/* ---- routing rules ---- */

/*
 * body: validated by the caller against the field list (name, position,
 * enabled, match, action, category, severity, group_by, group_window,
 * resolve_note); the deep checks happen here and fail with SIRT_EINVAL and
 * a message in err.
 */
int intake_rule_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const json_t *body, json_t **out, char *err, size_t errlen) WUR;
int intake_rule_update(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *ref, int64_t expect_version, const json_t *patch,
		       json_t **out, char *err, size_t errlen) WUR;
int intake_rule_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *ref) WUR;
int intake_rule_get(struct db *db, int64_t org_id, const char *ref, json_t **out) WUR;
int intake_rule_list(struct db *db, int64_t org_id, json_t **out) WUR;
/* The enabled rules in order, for routing. Free with intake_rules_free(). */
int intake_rules_load(struct db *db, int64_t org_id, struct intake_rule **out, size_t *n) WUR;
void intake_rules_free(struct intake_rule *rules, size_t n);

/* ---- alerts ---- */

struct alert_filter {
	const char *source;
	const char *status;
	const char *severity;
	int64_t incident_id;  /* 0 = any */
	const char *q;        /* substring of the title, case-insensitive */
	int64_t cursor;       /* 0 = first page; else ids below this */
	int limit;
};

/* with_raw adds "raw" (the alert as received) and "payload" (the request
 * body verbatim and its metadata). */
int alert_store_get(struct db *db, int64_t org_id, int64_t id, bool with_raw,
		    json_t **out) WUR;
/* Newest first; *next is 0 on the last page. */
int alert_store_list(struct db *db, int64_t org_id, const struct alert_filter *f,
		     json_t **items, int64_t *next) WUR;
/* An incident by uid or key: its row id, uid and key (caller frees both). */
int alert_store_find_incident(struct db *db, int64_t org_id, const char *ref, int64_t *id,
			      char **uid, char **key) WUR;
int alert_id_parse(const char *s, int64_t *out) WUR;

#endif
