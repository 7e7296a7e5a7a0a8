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
 * old_* NULL: nothing to remove; new NULL: nothing to add. The indicator's
 * row must exist when incident_fts_indicator() is called. */
int incident_fts_record(struct db *db, int64_t id, const char *old_title, const char *old_desc,
			const char *title, const char *desc) WUR;
int incident_fts_timeline(struct db *db, int64_t search_key, const char *text) WUR;
int incident_fts_indicator(struct db *db, int64_t id, const char *old_value, const char *old_desc,
			   const char *value, const char *desc) WUR;
/* The next search key of an incident's timeline or indicator rows (SQLite):
 * SQL for "$<n> = incident id", table one of the two. */
#define INCIDENT_SEARCH_KEY(table, n)                                                              \
	"(SELECT coalesce(max(search_key) + 1, $" #n " << 24) FROM " table                          \
	" WHERE search_key BETWEEN ($" #n " << 24) AND ($" #n " << 24) + 16777215)"

/* Incidents matching every FTS5 phrase, walked in id order (SQLite;
 * incident_search_walk.c). next: the first id at `from` or after it;
 * 1 = *id set, 0 = no more, < 0 error. */
struct search_walk;
struct search_walk *search_walk_open(struct db *db, char **phrases, int n, bool asc);
int search_walk_next(struct search_walk *sw, int64_t from, int64_t *id) WUR;
void search_walk_free(struct search_walk *sw);
#define SEARCH_WALK_ID_MAX ((INT64_C(1) << 39) - 1)

#endif
