/* Shared by the incident_*.c files of the store; not for other modules. */
#ifndef SIRT_INCIDENT_INTERNAL_H
#define SIRT_INCIDENT_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/incident_store.h"
#include "util/strbuf.h"

enum { NORM_LOWER, NORM_UPPER };

/* Adds {"field","message"} to *errors (created if NULL). */
void incident_error_add(json_t **errors, const char *field, const char *message);
/* The SELECT list of a full record over "incidents i". */
const char *incident_record_cols(struct db *db);
json_t *incident_row_json(const struct db_res *r);
/* The record as compact JSON text, the same bytes json_dumps() would give. */
void incident_row_write(struct strbuf *sb, const struct db_res *r);
json_t *incident_time_json(const struct db_res *r, int col);
/* The WHERE condition naming the incident by $2, and the value to bind. */
const char *incident_ref_cond(const char *ref, char *buf, size_t len, const char **val);
/* A new sorted array of the distinct strings of a, case-folded by mode. */
json_t *incident_norm_set(json_t *a, int mode);
int incident_strcmp_p(const void *a, const void *b);
/* lifecycle_check_times() for the record's times, errors named as in the record. */
void incident_check_times(const struct incident_new *in, int64_t now, json_t **errors);
/* Checks text: UTF-8, at most max code points, control characters (multi: \n\r\t allowed). */
void incident_check_text(json_t **errors, const char *field, const char *s, size_t max, bool multi);
bool incident_blank(const char *s);

/* SQLite full-text index upkeep (incident_fts.c); no-ops on PostgreSQL.
 * old_* NULL: nothing to remove; new NULL: nothing to add. */
int incident_fts_record(struct db *db, int64_t id, const char *old_title, const char *old_desc,
			const char *title, const char *desc) WUR;
int incident_fts_timeline(struct db *db, int64_t id, const char *text) WUR;
int incident_fts_indicator(struct db *db, int64_t id, const char *old_value, const char *old_desc,
			   const char *value, const char *desc) WUR;

#endif
