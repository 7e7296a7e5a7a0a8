#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/xalloc.h"

struct db *api_db(struct req *r)
{
	struct db *db = store_reader(r->app->store);
	if (!db)
		resp_error(r, SIRT_EUNAVAIL, NULL);
	return db;
}

int api_store_error(struct req *r, struct db *db, int rc, const char *what)
{
	if (rc == SIRT_EUNAVAIL || (db && db_is_broken(db)))
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	if (rc == SIRT_EDB) {
		fprintf(stderr, "sirt: %s: database error: %s (request %s)\n", what,
			db ? db_errmsg(db) : "?", r->request_id);
		return resp_problem(r, 500, NULL, "a database error occurred; it has been logged",
				    NULL);
	}
	return resp_error(r, rc, what);
}

int api_invalid(struct req *r, json_t *errors)
{
	size_t n = json_array_size(errors);
	json_t *first = json_array_get(errors, 0);
	char *d = arena_printf(&r->arena, "%zu field%s failed validation: %s %s%s", n,
			       n == 1 ? "" : "s",
			       json_string_value(json_object_get(first, "field")),
			       json_string_value(json_object_get(first, "message")),
			       n > 1 ? " (see errors)" : "");
	return resp_problem(r, 422, NULL, d, errors);
}

int api_limit(struct req *r, int *limit)
{
	const char *s = req_query(r, "limit");
	*limit = 50;
	if (!s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 200) {
		resp_problem(r, 400, NULL, "limit must be an integer from 1 to 200", NULL);
		return -1;
	}
	*limit = (int)v;
	return 0;
}

void api_etag(struct req *r, int64_t version)
{
	resp_header(r, "ETag", arena_printf(&r->arena, "\"%lld\"", (long long)version));
}

int api_if_match(struct req *r, int64_t *version)
{
	*version = 0;
	const char *m = req_header(r, "If-Match");
	if (!m)
		return 0;
	if (strncmp(m, "W/", 2) == 0)
		m += 2;
	size_t n = strlen(m);
	char *end;
	long long v = n >= 3 && m[0] == '"' ? strtoll(m + 1, &end, 10) : -1;
	if (v <= 0 || *end != '"' || end[1] != '\0') {
		resp_problem(r, 412, NULL, "If-Match must be an ETag as returned by GET, e.g. \"3\"",
			     NULL);
		return -1;
	}
	*version = v;
	return 0;
}
