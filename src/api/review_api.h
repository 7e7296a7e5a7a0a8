/* Helpers shared by the review, action, exercise, quality-review,
 * compliance and metrics handlers. */
#ifndef SIRT_REVIEW_API_H
#define SIRT_REVIEW_API_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "store/review_common.h"

/* Sends the problem for a store result: 422 with res->errors, 404, 409 with
 * res->why, 412, 403, or the generic store error. Frees res. */
int rapi_fail(struct req *r, int rc, struct op_result *res, const char *what);
/* "<int>.<int>" keyset cursor; sends 400 and returns -1 when malformed. */
int rapi_cursor(struct req *r, int64_t *a, int64_t *b);
bool rapi_in(const char *const *list, const char *s);
/* ?name=true|false (absent = false); sends 400 and returns -1 otherwise. */
int rapi_bool(struct req *r, const char *name, bool *out);
/* The actor's display name, or the e-mail. */
const char *rapi_name(const struct req *r);

#endif
