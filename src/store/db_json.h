/*
 * Query results as JSON: the common "one row as an object, or not found" and
 * "every row as an array" shapes of the *_store.c files, with the row turned
 * into JSON by the caller's function.
 */
#ifndef SIRT_DB_JSON_H
#define SIRT_DB_JSON_H

#include <jansson.h>

#include "store/db.h"

typedef json_t *(*db_row_json)(const struct db_res *r);

/* *out = row(first row); SIRT_ENOTFOUND when there is none. */
int db_query_one_json(struct db *db, db_row_json row, json_t **out, const char *sql, int nparams,
		      const struct db_val *params) WUR;
/* *out = a new array of row(each row). */
int db_query_all_json(struct db *db, db_row_json row, json_t **out, const char *sql, int nparams,
		      const struct db_val *params) WUR;

#endif
