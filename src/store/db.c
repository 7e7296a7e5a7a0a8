#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

bool db_url_is_postgres(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

int db_open(const char *url, struct db **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!url || !*url) {
		snprintf(err, errlen, "no database given (use --db or SIRT_DB)");
		return SIRT_EINVAL;
	}
	if (db_url_is_postgres(url))
		return db_pg_open(url, out, err, errlen);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (strncmp(url, "//", 2) == 0)
		url += 2;
	if (!*url) {
		snprintf(err, errlen, "sqlite: URL has no path");
		return SIRT_EINVAL;
	}
	return db_sqlite_open(url, out, err, errlen);
}

static void held_clear(struct db *db, size_t from);

void db_close(struct db *db)
{
	if (!db)
		return;
	held_clear(db, 0);
	free(db->held);
	db->ops->close(db);
}

enum db_backend db_backend(const struct db *db)
{
	return db->backend;
}

int db_query(struct db *db, struct db_res **out, const char *sql, int nparams,
	     const struct db_val *params)
{
	if (out)
		*out = NULL;
	db->errmsg[0] = '\0';
	db->constraint = false;
	int rc = db->ops->query(db, out, sql, nparams, params);
	if (rc == 0 && out && *out)
		db->open_results++;
	return rc;
}

int db_exec(struct db *db, const char *sql, int nparams, const struct db_val *params)
{
	return db_query(db, NULL, sql, nparams, params);
}

int db_exec_script(struct db *db, const char *sql)
{
	db->errmsg[0] = '\0';
	return db->ops->exec_script(db, sql);
}

int db_query_int(struct db *db, int64_t *out, const char *sql, int nparams,
		 const struct db_val *params)
{
	struct db_res *r;
	int rc = db_query(db, &r, sql, nparams, params);
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = db_int(r, 0);
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

bool db_next(struct db_res *r)
{
	return r->db->ops->next(r);
}

int db_ncols(const struct db_res *r)
{
	return r->db->ops->ncols(r);
}

bool db_isnull(const struct db_res *r, int col)
{
	return r->db->ops->isnull(r, col);
}

int64_t db_int(const struct db_res *r, int col)
{
	return r->db->ops->get_int(r, col);
}

const char *db_text(const struct db_res *r, int col)
{
	return r->db->ops->get_text(r, col);
}

const void *db_blob(const struct db_res *r, int col, size_t *len)
{
	return r->db->ops->get_blob(r, col, len);
}

int64_t db_changes(const struct db_res *r)
{
	return r->changes;
}

void db_res_free(struct db_res *r)
{
	if (!r)
		return;
	r->db->open_results--;
	r->db->ops->res_free(r);
}

int db_open_results(const struct db *db)
{
	return db->open_results;
}

int db_begin(struct db *db)
{
	return db_exec_script(db, db->backend == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

/* ---- statements held back until COMMIT (db_exec_at_commit) ---- */

struct db_held {
	const char *sql;
	int n;
	struct db_val v[]; /* text and blob values point into the same allocation */
};

static void held_clear(struct db *db, size_t from)
{
	for (size_t i = from; i < db->nheld; i++)
		free(db->held[i]);
	if (db->nheld > from)
		db->nheld = from;
}

int db_exec_at_commit(struct db *db, const char *sql, int n, const struct db_val *p)
{
	if (db->backend != DB_SQLITE || !db_sqlite_in_tx(db))
		return db_exec(db, sql, n, p);
	size_t bytes = sizeof(struct db_held) + (size_t)n * sizeof(struct db_val);
	for (int i = 0; i < n; i++)
		if (p[i].type == DB_T_TEXT)
			bytes += strlen(p[i].s) + 1;
		else if (p[i].type == DB_T_BLOB)
			bytes += p[i].len;
	struct db_held *h = xmalloc(bytes);
	h->sql = sql;
	h->n = n;
	char *data = (char *)&h->v[n];
	for (int i = 0; i < n; i++) {
		h->v[i] = p[i];
		if (p[i].type == DB_T_TEXT || p[i].type == DB_T_BLOB) {
			size_t len = p[i].type == DB_T_TEXT ? strlen(p[i].s) + 1 : p[i].len;
			memcpy(data, p[i].s, len);
			h->v[i].s = data;
			data += len;
		}
	}
	if (db->nheld == db->capheld) {
		db->capheld = db->capheld ? db->capheld * 2 : 64;
		db->held = xrealloc(db->held, db->capheld * sizeof(*db->held));
	}
	db->held[db->nheld++] = h;
	return 0;
}

size_t db_at_commit_mark(const struct db *db)
{
	return db->nheld;
}

void db_at_commit_truncate(struct db *db, size_t mark)
{
	held_clear(db, mark);
}

int db_commit(struct db *db)
{
	int rc = 0;
	for (size_t i = 0; i < db->nheld && rc == 0; i++)
		rc = db_exec(db, db->held[i]->sql, db->held[i]->n, db->held[i]->v);
	held_clear(db, 0);
	return rc < 0 ? rc : db_exec_script(db, "COMMIT");
}

int db_rollback(struct db *db)
{
	held_clear(db, 0);
	return db_exec_script(db, "ROLLBACK");
}

/* Savepoint names are compile-time literals chosen by sirt, never input. */
static int savepoint_cmd(struct db *db, const char *verb, const char *name)
{
	char sql[96];
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9')))
			return SIRT_EINVAL;
	snprintf(sql, sizeof(sql), "%s %s", verb, name);
	return db_exec_script(db, sql);
}

int db_savepoint(struct db *db, const char *name)
{
	return savepoint_cmd(db, "SAVEPOINT", name);
}

int db_release(struct db *db, const char *name)
{
	return savepoint_cmd(db, "RELEASE SAVEPOINT", name);
}

int db_rollback_to(struct db *db, const char *name)
{
	return savepoint_cmd(db, "ROLLBACK TO SAVEPOINT", name);
}

const char *db_errmsg(const struct db *db)
{
	return db->errmsg;
}

bool db_last_was_constraint(const struct db *db)
{
	return db->constraint;
}

bool db_is_broken(const struct db *db)
{
	return db->broken;
}

int64_t db_last_changes(const struct db *db)
{
	return db->changes;
}
