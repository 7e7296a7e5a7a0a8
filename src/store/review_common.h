/*
 * Helpers shared by the review, action, exercise, quality-review and
 * compliance stores: an operation result that carries a precise reason,
 * time/date columns as JSON, incident lookup by uid or key, and schema
 * probes for the guarded adapters.
 */
#ifndef SIRT_REVIEW_COMMON_H
#define SIRT_REVIEW_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/review.h"
#include "store/db.h"
#include "util/err.h"

/* Why an operation failed: one sentence (409/404) or field errors (422). A
 * store_tx function resets it on each run (it may run more than once). */
struct op_result {
	char why[400];
	json_t *errors; /* [{"field","message"}] or NULL */
};

void op_reset(struct op_result *r);
void op_free(struct op_result *r);
/* Sets why and returns code. */
int op_fail(struct op_result *r, int code, const char *fmt, ...) PRINTF(3, 4);
/* Adds a field error; returns SIRT_EINVAL. */
int op_field(struct op_result *r, const char *field, const char *msg);

json_t *rs_time(const struct db_res *res, int col);  /* RFC 3339 or null */
json_t *rs_date(const struct db_res *res, int col);  /* YYYY-MM-DD or null */
void rs_date_str(int64_t t, char out[16]);
/* A TEXT column holding JSON; on NULL or bad JSON a new empty array/object. */
json_t *rs_json(const struct db_res *res, int col, bool object);
/* "" for NULL */
const char *rs_text(const struct db_res *res, int col);

struct rs_incident {
	int64_t id;
	char uid[40];
	char key[64];
	char title[256];
	char severity[16];
	char status[16];
	char category[64];
	bool has_resolution;
	struct review_times times; /* notified_at filled by the caller */
};

/* By uid or key, in the organisation; SIRT_ENOTFOUND otherwise. */
int rs_incident_find(struct db *db, int64_t org_id, const char *ref, struct rs_incident *out) WUR;
int rs_incident_by_id(struct db *db, int64_t org_id, int64_t id, struct rs_incident *out) WUR;
/* {"id","key","title","severity","status","category"} */
json_t *rs_incident_json(const struct rs_incident *in);

/* Whether a table (and, if cols is non-NULL, each named column) exists.
 * Used to guard adapter queries against tables other areas add later. */
bool rs_table_exists(struct db *db, const char *table, const char *const *cols);

/* The display name of a user e-mail in the organisation ("" if none). */
void rs_user_name(struct db *db, int64_t org_id, const char *email, char *out, size_t n);

#endif
