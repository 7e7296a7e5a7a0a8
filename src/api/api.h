/* Helpers shared by the JSON API handlers. */
#ifndef SIRT_API_H
#define SIRT_API_H

#include "http/http.h"
#include "store/db.h"

/* The calling thread's database connection, or a 503 sent and NULL. */
struct db *api_db(struct req *r);
/* Sends the right problem for a store error code (503 when unreachable). */
int api_store_error(struct req *r, struct db *db, int rc, const char *what);
/* Sends 422 with field errors (takes the reference). */
int api_invalid(struct req *r, json_t *errors);
/* Parses ?limit= (default 50, 1..200); sends 400 and returns -1 if bad. */
int api_limit(struct req *r, int *limit);
/* Sets ETag: "<version>" */
void api_etag(struct req *r, int64_t version);
/* Parses If-Match: "<version>" (0 if absent); sends 400/412 on a malformed one. */
int api_if_match(struct req *r, int64_t *version);

#endif
