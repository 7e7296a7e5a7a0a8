/*
 * PostgreSQL backend through libpq. Parameters go as text (bytea as binary),
 * so values are never part of the SQL text. Each connection prepares the
 * statements it runs once (PQprepare, then PQexecPrepared), which saves the
 * server parsing and analysing them on every call; past PREP_MAX distinct
 * statements, or for anything but SELECT/INSERT/UPDATE/DELETE/WITH, it falls
 * back to PQexecParams.
 */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/db.h"
#include "util/xalloc.h"

#define PREP_SLOTS 1024 /* hash table size, a power of two */
#define PREP_MAX 512     /* prepared statements per connection at most */

/* A statement prepared on this connection, keyed by the SQL as the store
 * wrote it and its parameter count (the renumbering below depends on it). */
struct prep {
	char *sql;
	int n;
	uint64_t hash;
	int used;   /* parameters it references */
	int *map;   /* map[k]: which given parameter is its $k+1 */
	char name[16];
};

struct pg_db {
	struct db base;
	PGconn *c;
	struct prep *preps; /* PREP_SLOTS, open addressing; NULL until used */
	int nprep;
};

struct pg_res {
	struct db_res base;
	PGresult *res;
	int row;
	int nrows;
	unsigned char *blob; /* last unescaped bytea */
};

static int p_query(struct db *, struct db_res **, const char *, int, const struct db_val *);
static int p_exec_script(struct db *, const char *);
static void p_close(struct db *);
static bool p_next(struct db_res *);
static bool p_isnull(const struct db_res *, int);
static int64_t p_int(const struct db_res *, int);
static const char *p_text(const struct db_res *, int);
static const void *p_blob(const struct db_res *, int, size_t *);
static void p_res_free(struct db_res *);
static int p_ncols(const struct db_res *);

static const struct db_ops pg_ops = {
	.query = p_query,
	.exec_script = p_exec_script,
	.close = p_close,
	.next = p_next,
	.isnull = p_isnull,
	.get_int = p_int,
	.get_text = p_text,
	.get_blob = p_blob,
	.res_free = p_res_free,
	.ncols = p_ncols,
};

int db_pg_open(const char *url, struct db **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		snprintf(err, errlen, "postgres: %.*s", (int)n, m);
		PQfinish(c);
		return SIRT_EUNAVAIL;
	}
	PGresult *r = PQexec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
	PQclear(r);
	struct pg_db *d = xcalloc(1, sizeof(*d));
	d->base.ops = &pg_ops;
	d->base.backend = DB_POSTGRES;
	d->c = c;
	*out = &d->base;
	return 0;
}

static void p_close(struct db *db)
{
	struct pg_db *d = (struct pg_db *)db;
	PQfinish(d->c);
	if (d->preps) {
		for (int i = 0; i < PREP_SLOTS; i++) {
			free(d->preps[i].sql);
			free(d->preps[i].map);
		}
		free(d->preps);
	}
	free(d);
}

static int check(struct pg_db *d, PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	const char *m = PQresultErrorMessage(res);
	if (!m || !*m)
		m = PQerrorMessage(d->c);
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(d->base.errmsg, sizeof(d->base.errmsg), "%.*s", (int)n, m);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	d->base.constraint = state && strncmp(state, "23", 2) == 0;
	d->base.broken = PQstatus(d->c) != CONNECTION_OK;
	return d->base.broken ? SIRT_EUNAVAIL : SIRT_EDB;
}

/*
 * PostgreSQL refuses parameters a statement does not reference, while the
 * common dialect lets a statement skip some ($2 unused when a filter is
 * absent). Renumber the referenced ones densely and pass only those.
 */
static char *renumber(const char *sql, int n, int *map, int *used)
{
	size_t len = strlen(sql);
	char *out = xmalloc(len + 1 + 8 * 64);
	int newidx[65] = {0};
	size_t o = 0;
	bool quote = false;
	*used = 0;
	for (size_t i = 0; i < len; i++) {
		char c = sql[i];
		if (c == '\'' )
			quote = !quote;
		if (!quote && c == '$' && i + 1 < len && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
			int k = 0;
			size_t j = i + 1;
			while (j < len && sql[j] >= '0' && sql[j] <= '9' && k < 1000)
				k = k * 10 + (sql[j++] - '0');
			if (k >= 1 && k <= n && k <= 64) {
				if (!newidx[k]) {
					newidx[k] = ++*used;
					map[*used - 1] = k - 1;
				}
				o += (size_t)snprintf(out + o, 8, "$%d", newidx[k]);
				i = j - 1;
				continue;
			}
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static uint64_t sql_hash(const char *s, int n)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool preparable(const char *sql)
{
	static const char *const verbs[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", NULL};
	while (isspace((unsigned char)*sql))
		sql++;
	for (int i = 0; verbs[i]; i++) {
		size_t k = strlen(verbs[i]);
		if (strncasecmp(sql, verbs[i], k) == 0 && !isalnum((unsigned char)sql[k]))
			return true;
	}
	return false;
}

/* The statement prepared on this connection, preparing it now if there is
 * room; NULL to run it unprepared (also when preparing fails: running it
 * then reports the same error). */
static const struct prep *prepared(struct pg_db *d, const char *sql, int n)
{
	if (!preparable(sql))
		return NULL;
	if (!d->preps)
		d->preps = xcalloc(PREP_SLOTS, sizeof(*d->preps));
	uint64_t h = sql_hash(sql, n);
	size_t i = (size_t)h & (PREP_SLOTS - 1);
	for (; d->preps[i].sql; i = (i + 1) & (PREP_SLOTS - 1)) {
		struct prep *e = &d->preps[i];
		if (e->hash == h && e->n == n && strcmp(e->sql, sql) == 0)
			return e;
	}
	if (d->nprep >= PREP_MAX)
		return NULL;
	int map[64], used = 0;
	char *q = renumber(sql, n, map, &used);
	char name[16];
	snprintf(name, sizeof(name), "s%d", d->nprep + 1);
	PGresult *res = PQprepare(d->c, name, q, used, NULL);
	free(q);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return NULL;
	struct prep *e = &d->preps[i];
	e->sql = xstrdup(sql);
	e->n = n;
	e->hash = h;
	e->used = used;
	e->map = xmalloc(sizeof(int) * (size_t)(used ? used : 1));
	memcpy(e->map, map, sizeof(int) * (size_t)used);
	snprintf(e->name, sizeof(e->name), "%s", name);
	d->nprep++;
	return e;
}

static int p_query(struct db *db, struct db_res **out, const char *sql, int n,
		   const struct db_val *p)
{
	struct pg_db *d = (struct pg_db *)db;
	const char *vals[64];
	int lens[64], fmts[64], map[64];
	char nums[64][24];
	if (n > 64) {
		snprintf(db->errmsg, sizeof(db->errmsg), "too many parameters");
		return SIRT_EDB;
	}
	int used = 0;
	const int *pmap = map;
	char *q = NULL;
	const struct prep *pr = prepared(d, sql, n);
	if (pr) {
		used = pr->used;
		pmap = pr->map;
	} else {
		q = renumber(sql, n, map, &used);
	}
	for (int u = 0; u < used; u++) {
		int i = pmap[u];
		lens[u] = 0;
		fmts[u] = 0;
		switch (p[i].type) {
		case DB_T_NULL: vals[u] = NULL; break;
		case DB_T_INT:
			snprintf(nums[u], sizeof(nums[u]), "%lld", (long long)p[i].i);
			vals[u] = nums[u];
			break;
		case DB_T_TEXT: vals[u] = p[i].s; break;
		case DB_T_BLOB:
			vals[u] = p[i].s;
			lens[u] = (int)p[i].len;
			fmts[u] = 1;
			break;
		}
	}
	PGresult *res = pr ? PQexecPrepared(d->c, pr->name, used, vals, lens, fmts, 0)
			   : PQexecParams(d->c, q, used, NULL, vals, lens, fmts, 0);
	free(q);
	int rc = check(d, res);
	if (rc < 0) {
		PQclear(res);
		return rc;
	}
	const char *ct = PQcmdTuples(res);
	int64_t changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
	db->changes = changes;
	if (!out) {
		PQclear(res);
		return 0;
	}
	struct pg_res *r = xcalloc(1, sizeof(*r));
	r->base.db = db;
	r->base.changes = changes;
	r->res = res;
	r->row = -1;
	r->nrows = PQntuples(res);
	*out = &r->base;
	return 0;
}

static int p_exec_script(struct db *db, const char *sql)
{
	struct pg_db *d = (struct pg_db *)db;
	PGresult *res = PQexec(d->c, sql);
	int rc = check(d, res);
	PQclear(res);
	return rc;
}

static bool p_next(struct db_res *res)
{
	struct pg_res *r = (struct pg_res *)res;
	if (r->row + 1 >= r->nrows)
		return false;
	r->row++;
	return true;
}

static int p_ncols(const struct db_res *res)
{
	return PQnfields(((const struct pg_res *)res)->res);
}

static bool p_isnull(const struct db_res *res, int col)
{
	const struct pg_res *r = (const struct pg_res *)res;
	return PQgetisnull(r->res, r->row, col);
}

static int64_t p_int(const struct db_res *res, int col)
{
	const struct pg_res *r = (const struct pg_res *)res;
	if (PQgetisnull(r->res, r->row, col))
		return 0;
	const char *v = PQgetvalue(r->res, r->row, col);
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	if (v[0] == 'f' && v[1] == '\0')
		return 0;
	return strtoll(v, NULL, 10);
}

static const char *p_text(const struct db_res *res, int col)
{
	const struct pg_res *r = (const struct pg_res *)res;
	if (PQgetisnull(r->res, r->row, col))
		return NULL;
	return PQgetvalue(r->res, r->row, col);
}

static const void *p_blob(const struct db_res *res, int col, size_t *len)
{
	struct pg_res *r = (struct pg_res *)res;
	*len = 0;
	if (PQgetisnull(r->res, r->row, col))
		return NULL;
	PQfreemem(r->blob);
	r->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r->res, r->row, col), len);
	return r->blob;
}

static void p_res_free(struct db_res *res)
{
	struct pg_res *r = (struct pg_res *)res;
	PQfreemem(r->blob);
	PQclear(r->res);
	free(r);
}
