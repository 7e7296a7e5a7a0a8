/*
 * One database interface, two backends (SQLite, PostgreSQL).
 *
 * SQL is written once in the common dialect both engines understand, with
 * numbered parameters $1..$n (SQLite accepts "$1" as a named parameter; we
 * bind by name so order of appearance does not matter). Values are ALWAYS
 * bound, never formatted into SQL. Where the dialects differ (full-text
 * search, upserts with special types) code asks db_is_postgres().
 *
 * Use CAST($n AS TEXT) / CAST($n AS BIGINT) where PostgreSQL could not infer
 * a parameter's type (e.g. "$1 IS NULL OR col = $1").
 *
 * A struct db is one connection, used by one thread at a time. Results:
 *   struct db_res *r;
 *   if (db_query(db, &r, sql, 2, DBV(DB_INT(org), DB_TEXT(key))) < 0) ...
 *   while (db_next(r)) { db_int(r, 0); db_text(r, 1); }
 *   db_res_free(r);
 * Column values stay valid until the next db_next() or db_res_free().
 */
#ifndef SIRT_DB_H
#define SIRT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum db_type { DB_T_NULL, DB_T_INT, DB_T_TEXT, DB_T_BLOB };

struct db_val {
	enum db_type type;
	int64_t i;
	const char *s;
	size_t len;
};

#define DB_NULL() ((struct db_val){.type = DB_T_NULL})
#define DB_INT(x) ((struct db_val){.type = DB_T_INT, .i = (int64_t)(x)})
/* NULL pointer binds SQL NULL */
#define DB_TEXT(x) db_text_val(x)
#define DB_BLOB(p, n) ((struct db_val){.type = DB_T_BLOB, .s = (const char *)(p), .len = (n)})
#define DBV(...) ((const struct db_val[]){__VA_ARGS__})

static inline struct db_val db_text_val(const char *s)
{
	struct db_val v = {.type = s ? DB_T_TEXT : DB_T_NULL, .s = s};
	return v;
}

struct db;
struct db_res;

enum db_backend { DB_SQLITE, DB_POSTGRES };

/* url: "sqlite:PATH", a plain path, or "postgres://..." / "postgresql://..." */
int db_open(const char *url, struct db **out, char *err, size_t errlen) WUR;
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);
static inline bool db_is_postgres(const struct db *db)
{
	return db_backend(db) == DB_POSTGRES;
}
bool db_url_is_postgres(const char *url);

/* Runs one statement; *out may be NULL when no rows are wanted. */
int db_query(struct db *db, struct db_res **out, const char *sql, int nparams,
	     const struct db_val *params) WUR;
/* Convenience: statement without result rows. */
int db_exec(struct db *db, const char *sql, int nparams, const struct db_val *params) WUR;
/* Runs a script of several statements without parameters (migrations). */
int db_exec_script(struct db *db, const char *sql) WUR;
/* Convenience: first column of the first row as int64; SIRT_ENOTFOUND if no row. */
int db_query_int(struct db *db, int64_t *out, const char *sql, int nparams,
		 const struct db_val *params) WUR;

bool db_next(struct db_res *r);
int db_ncols(const struct db_res *r);
bool db_isnull(const struct db_res *r, int col);
int64_t db_int(const struct db_res *r, int col);
const char *db_text(const struct db_res *r, int col); /* NULL for SQL NULL */
const void *db_blob(const struct db_res *r, int col, size_t *len);
/* rows changed by the last INSERT/UPDATE/DELETE */
int64_t db_changes(const struct db_res *r);
/* rows changed by the last db_exec() on this connection */
int64_t db_last_changes(const struct db *db);
void db_res_free(struct db_res *r);
/* Results of this connection not yet freed. */
int db_open_results(const struct db *db);

int db_begin(struct db *db) WUR;   /* BEGIN (IMMEDIATE on SQLite) */
/* Runs the statements db_exec_at_commit() held back, then COMMIT. */
int db_commit(struct db *db) WUR;
int db_rollback(struct db *db);

/*
 * Statements that only keep a derived index in step (SQLite's FTS5 tables).
 * Inside a transaction they are held back and run, in order, just before
 * its COMMIT; outside one they run at once. Why: FTS5 flushes its pending
 * terms into a new on-disk segment at every savepoint and every statement
 * that opens a statement journal, so an index write in the middle of a
 * group-commit batch (one savepoint per request) cost a segment per
 * request. Held back, a batch writes one segment. sql must be a string
 * literal; the values are copied. A failure surfaces at db_commit(), which
 * the writer then retries request by request.
 *   mark/truncate: the writer drops the held statements of a request whose
 *   savepoint it rolled back.
 */
int db_exec_at_commit(struct db *db, const char *sql, int nparams,
		      const struct db_val *params) WUR;
size_t db_at_commit_mark(const struct db *db);
void db_at_commit_truncate(struct db *db, size_t mark);
int db_savepoint(struct db *db, const char *name) WUR;
int db_release(struct db *db, const char *name) WUR;
int db_rollback_to(struct db *db, const char *name);

/* Message of the last error on this connection (never NULL). */
const char *db_errmsg(const struct db *db);
/* True when the last error was a unique/foreign-key constraint violation. */
bool db_last_was_constraint(const struct db *db);
/* True when the connection is broken (server gone). */
bool db_is_broken(const struct db *db);

/* SQLite only: online backup into a new file. */
int db_sqlite_backup(struct db *db, const char *path, char *err, size_t errlen) WUR;
/* SQLite only (no-ops elsewhere), used by the store: the page cache size of
 * this connection in KiB; and moving WAL checkpoints off a connection:
 * automatic checkpoints are turned off and cb(arg, wal_pages) is called after
 * each commit instead, so another connection can db_sqlite_checkpoint(). */
void db_sqlite_cache_kib(struct db *db, int kib);
void db_sqlite_wal_hook(struct db *db, void (*cb)(void *arg, int wal_pages), void *arg);
/* A PASSIVE checkpoint (never waits for the writer or readers); with
 * truncate, a TRUNCATE checkpoint that waits briefly (busy timeout) and
 * shrinks the WAL file to zero bytes. */
int db_sqlite_checkpoint(struct db *db, bool truncate);
/* SQLite only: the path of the connection's WAL file, when its database
 * is a file in WAL mode (0), else SIRT_ENOTFOUND. */
int db_sqlite_wal_path(struct db *db, char *buf, size_t len);
/* SQLite only: true inside an explicit transaction. */
bool db_sqlite_in_tx(const struct db *db);

/* Backend internals, used by db.c only */
struct db_ops {
	int (*query)(struct db *, struct db_res **, const char *, int, const struct db_val *);
	int (*exec_script)(struct db *, const char *);
	void (*close)(struct db *);
	bool (*next)(struct db_res *);
	bool (*isnull)(const struct db_res *, int);
	int64_t (*get_int)(const struct db_res *, int);
	const char *(*get_text)(const struct db_res *, int);
	const void *(*get_blob)(const struct db_res *, int, size_t *);
	void (*res_free)(struct db_res *);
	int (*ncols)(const struct db_res *);
};

struct db_held; /* one statement held back by db_exec_at_commit() */

struct db {
	const struct db_ops *ops;
	enum db_backend backend;
	char errmsg[512];
	bool constraint;
	bool broken;
	int64_t changes;
	struct db_held **held;
	size_t nheld, capheld;
	int open_results; /* results not yet freed (db_res_free) */
};

struct db_res {
	struct db *db;
	int64_t changes;
};

int db_sqlite_open(const char *path, struct db **out, char *err, size_t errlen);
int db_pg_open(const char *url, struct db **out, char *err, size_t errlen);

#endif
