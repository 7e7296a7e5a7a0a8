/*
 * Incidents in the database. Every function takes the organisation id and
 * every query filters on it: an incident of another organisation is simply
 * not found.
 */
#ifndef SIRT_INCIDENT_STORE_H
#define SIRT_INCIDENT_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

struct incident_new {
	int64_t org_id;
	const char *title;
	const char *description;
	const char *severity;
	int64_t detected_at; /* 0 = unknown */
	const char *created_by;
};

struct incident_filter {
	const char *status;
	const char *severity;
	int64_t cursor_created; /* 0 = first page */
	int64_t cursor_id;
	int limit;
};

/* Creates the incident and its audit entry; *out gets the new record as JSON. */
int incident_create(struct db *db, const struct audit_ctx *ac, const struct incident_new *in,
		    json_t **out) WUR;
/* The record as JSON, or SIRT_ENOTFOUND. */
int incident_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
/* A page, newest first; *next_cursor is NULL on the last page (caller frees). */
int incident_list(struct db *db, int64_t org_id, const struct incident_filter *f, json_t **items,
		  char **next_cursor) WUR;
/*
 * Applies the changes in `patch` (already validated: title, description,
 * severity, detected_at). expect_version 0 = no If-Match. SIRT_EPRECOND when
 * the stored version differs. *out gets the updated record.
 */
int incident_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		    int64_t expect_version, json_t *patch, json_t **out) WUR;

int incident_cursor_parse(const char *s, int64_t *created, int64_t *id) WUR;

#endif
