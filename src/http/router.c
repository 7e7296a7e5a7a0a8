/*
 * The router table. Each API or web module exports its routes as an array;
 * routes.c lists the modules. Matching walks the table segment by segment;
 * "{name}" matches one non-empty path segment.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "http/routes.h"
#include "util/xalloc.h"

static struct route *table;
static int table_len;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
	int n = 0;
	for (int m = 0; route_modules[m].routes; m++)
		n += *route_modules[m].count;
	table = xcalloc((size_t)n, sizeof(*table));
	for (int m = 0; route_modules[m].routes; m++)
		for (int i = 0; i < *route_modules[m].count; i++)
			table[table_len++] = route_modules[m].routes[i];
}

const struct route *router_table(int *count)
{
	pthread_once(&table_once, build_table);
	*count = table_len;
	return table;
}

/* Compares pattern with path; on a match fills r's params (if r). */
static bool match_path(const char *pat, const char *path, struct req *r)
{
	int np = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return false;
		pat++;
		path++;
		const char *pe = strchr(pat, '/');
		const char *se = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t sl = se ? (size_t)(se - path) : strlen(path);
		if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			if (sl == 0 || np >= MAX_PATH_PARAMS)
				return false;
			if (r) {
				r->param_names[np] = arena_strndup(&r->arena, pat + 1, pl - 2);
				r->param_values[np] = arena_strndup(&r->arena, path, sl);
			}
			np++;
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return false;
		}
		pat += pl;
		path += sl;
	}
	if (*pat || *path)
		return false;
	if (r)
		r->nparams = np;
	return true;
}

int router_match(const char *method, const char *path, struct req *r, char *allow,
		 size_t allowlen)
{
	int n;
	const struct route *t = router_table(&n);
	bool path_found = false;
	size_t used = 0;
	if (allowlen)
		allow[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!match_path(t[i].pattern, path, NULL))
			continue;
		path_found = true;
		if (strcmp(t[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(t[i].method, "GET") == 0)) {
			match_path(t[i].pattern, path, r);
			return i;
		}
		if (!strstr(allow, t[i].method) && used + strlen(t[i].method) + 3 < allowlen) {
			used += (size_t)snprintf(allow + used, allowlen - used, "%s%s",
						 used ? ", " : "", t[i].method);
		}
	}
	return path_found ? -2 : -1;
}

const char *req_param(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nparams; i++)
		if (strcmp(r->param_names[i], name) == 0)
			return r->param_values[i];
	return NULL;
}
