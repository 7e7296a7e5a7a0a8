/*
 * SQLite backend: WAL, foreign keys, defensive mode, synchronous=FULL so a
 * committed transaction is on disk (the store's group-commit writer switches
 * its own connection to NORMAL and flushes the WAL on another thread before
 * it answers, see wal_sync.h). Prepared statements are cached per
 * connection keyed by their SQL text; a statement still in use by an open
 * result (nested query with the same SQL) gets a fresh, uncached one.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/xalloc.h"

/* Prepared statements kept per connection, found by a hash of their text.
 * Full: the least recently used idle one makes room. */
#define STMT_CACHE 512
#define STMT_BUCKETS 1024 /* a power of two */

struct cached {
	char *sql;
	uint32_t hash;
	sqlite3_stmt *st;
	bool busy;
	int nmap;       /* entries in map */
	int *map;       /* map[k] = bind index of parameter $k+1, 0 when unused */
	uint64_t used;  /* clock of the last use */
	int next;       /* next entry in the same bucket, -1 at the end */
};

struct wal_hook {
	void (*cb)(void *arg, int wal_pages);
	void *arg;
};

/* SIRT_SQL_PROFILE=1: time spent per statement on each connection,
 * printed to standard error when the connection closes (a tool for
 * benchmarking, see bench/README.md). */
struct sql_prof {
	char *sql;
	uint64_t ns, calls;
};
#define SQL_PROF_MAX 256

struct sqlite_db {
	struct db base;
	struct sql_prof *prof; /* NULL unless SIRT_SQL_PROFILE is set */
	int nprof;
	int64_t wal_last, wal_frames, wal_commits; /* profile: WAL frames appended */
	sqlite3 *h;
	struct cached cache[STMT_CACHE];
	int ncache;
	int bucket[STMT_BUCKETS]; /* first entry of each bucket, -1 when empty */
	uint64_t clock;
	struct wal_hook hook; /* db_sqlite_wal_hook() */
};

struct sqlite_res {
	struct db_res base;
	sqlite3_stmt *st;
	struct cached *slot; /* NULL when the statement is not cached */
	bool have_row;       /* a row was stepped but not yet returned */
	bool started;
};

static int q_query(struct db *, struct db_res **, const char *, int, const struct db_val *);
static int on_profile(unsigned mask, void *ctx, void *p, void *x);
static int q_exec_script(struct db *, const char *);
static void q_close(struct db *);
static bool q_next(struct db_res *);
static bool q_isnull(const struct db_res *, int);
static int64_t q_int(const struct db_res *, int);
static const char *q_text(const struct db_res *, int);
static const void *q_blob(const struct db_res *, int, size_t *);
static void q_res_free(struct db_res *);
static int q_ncols(const struct db_res *);

static const struct db_ops sqlite_ops = {
	.query = q_query,
	.exec_script = q_exec_script,
	.close = q_close,
	.next = q_next,
	.isnull = q_isnull,
	.get_int = q_int,
	.get_text = q_text,
	.get_blob = q_blob,
	.res_free = q_res_free,
	.ncols = q_ncols,
};

static void set_err(struct sqlite_db *d)
{
	int ext = sqlite3_extended_errcode(d->h);
	snprintf(d->base.errmsg, sizeof(d->base.errmsg), "%s", sqlite3_errmsg(d->h));
	d->base.constraint = (ext & 0xff) == SQLITE_CONSTRAINT;
}

/* Before SQLite initialises: no global allocation statistics, which cost a
 * process-wide mutex on every malloc and free of every connection. */
static void sqlite_global_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_sqlite_open(const char *path, struct db **out, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_global_init);
	struct sqlite_db *d = xcalloc(1, sizeof(*d));
	d->base.ops = &sqlite_ops;
	d->base.backend = DB_SQLITE;
	for (int i = 0; i < STMT_BUCKETS; i++)
		d->bucket[i] = -1;
	int rc = sqlite3_open_v2(path, &d->h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
					 SQLITE_OPEN_EXRESCODE,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: cannot open %s: %s", path,
			 d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc));
		sqlite3_close(d->h);
		free(d);
		return SIRT_EUNAVAIL;
	}
	sqlite3_busy_timeout(d->h, 10000);
	sqlite3_db_config(d->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(d->h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(d->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			      "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
			      "PRAGMA cache_size=-16000;";
	char *msg = NULL;
	if (sqlite3_exec(d->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s", path, msg ? msg : "cannot set pragmas");
		sqlite3_free(msg);
		sqlite3_close(d->h);
		free(d);
		return SIRT_EUNAVAIL;
	}
	const char *prof = getenv("SIRT_SQL_PROFILE");
	if (prof && *prof && strcmp(prof, "0") != 0) {
		d->prof = xcalloc(SQL_PROF_MAX, sizeof(*d->prof));
		sqlite3_trace_v2(d->h, SQLITE_TRACE_PROFILE, on_profile, d);
	}
	*out = &d->base;
	return 0;
}

static int on_profile(unsigned mask, void *ctx, void *p, void *x)
{
	struct sqlite_db *d = ctx;
	const char *sql = sqlite3_sql(p);
	if (!sql)
		return 0;
	int i = 0;
	while (i < d->nprof && strcmp(d->prof[i].sql, sql) != 0)
		i++;
	if (i == d->nprof) {
		if (d->nprof == SQL_PROF_MAX)
			return 0;
		d->prof[d->nprof++].sql = xstrdup(sql);
	}
	d->prof[i].ns += (uint64_t) * (sqlite3_int64 *)x;
	d->prof[i].calls++;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct sql_prof *x = a, *y = b;
	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static void print_profile(struct sqlite_db *d)
{
	uint64_t total = 0;
	for (int i = 0; i < d->nprof; i++)
		total += d->prof[i].ns;
	if (total < 100000000) /* connections that did little */
		goto done;
	qsort(d->prof, (size_t)d->nprof, sizeof(*d->prof), by_time);
	fprintf(stderr, "sql profile: %.3f s in statements", (double)total / 1e9);
	if (d->wal_commits)
		fprintf(stderr, "; %lld commits appended %.1f WAL frames each",
			(long long)d->wal_commits, (double)d->wal_frames / (double)d->wal_commits);
	fputc('\n', stderr);
	for (int i = 0; i < d->nprof && i < 40; i++)
		fprintf(stderr, "%8.3f s %5.1f%% %9llu calls %7.1f us  %.150s\n",
			(double)d->prof[i].ns / 1e9, 100.0 * (double)d->prof[i].ns / (double)total,
			(unsigned long long)d->prof[i].calls,
			(double)d->prof[i].ns / 1e3 / (double)d->prof[i].calls, d->prof[i].sql);
done:
	for (int i = 0; i < d->nprof; i++)
		free(d->prof[i].sql);
	free(d->prof);
}

static void q_close(struct db *db)
{
	struct sqlite_db *d = (struct sqlite_db *)db;
	if (d->prof)
		print_profile(d);
	for (int i = 0; i < d->ncache; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
		free(d->cache[i].map);
	}
	sqlite3_close(d->h);
	free(d);
}

/* Parameters are bound by position through the statement's map of "$n"
 * names, worked out once when it was prepared. */
static int bind_all(struct sqlite_db *d, sqlite3_stmt *st, const struct cached *c, int n,
		    const struct db_val *p)
{
	char name[16];
	for (int i = 0; i < n; i++) {
		int idx;
		if (c) {
			idx = i < c->nmap ? c->map[i] : 0;
		} else {
			snprintf(name, sizeof(name), "$%d", i + 1);
			idx = sqlite3_bind_parameter_index(st, name);
		}
		if (idx == 0)
			continue; /* parameter not used by this statement */
		int rc;
		switch (p[i].type) {
		case DB_T_NULL: rc = sqlite3_bind_null(st, idx); break;
		case DB_T_INT: rc = sqlite3_bind_int64(st, idx, p[i].i); break;
		case DB_T_TEXT: rc = sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_STATIC); break;
		case DB_T_BLOB:
			rc = sqlite3_bind_blob64(st, idx, p[i].s, p[i].len, SQLITE_STATIC);
			break;
		default: rc = SQLITE_MISUSE;
		}
		if (rc != SQLITE_OK) {
			set_err(d);
			return SIRT_EDB;
		}
	}
	return 0;
}

/* Eight bytes at a time: statement texts run to a few kilobytes. */
static uint32_t sql_hash(const char *s)
{
	size_t n = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 32));
}

static void param_map(struct cached *c)
{
	int count = sqlite3_bind_parameter_count(c->st);
	c->nmap = 0;
	c->map = NULL;
	for (int idx = 1; idx <= count; idx++) {
		const char *name = sqlite3_bind_parameter_name(c->st, idx);
		if (!name || name[0] != '$')
			continue;
		int k = atoi(name + 1);
		if (k < 1 || k > 999)
			continue;
		if (k > c->nmap) {
			c->map = xrealloc(c->map, (size_t)k * sizeof(int));
			memset(c->map + c->nmap, 0, (size_t)(k - c->nmap) * sizeof(int));
			c->nmap = k;
		}
		c->map[k - 1] = idx;
	}
}

static void bucket_unlink(struct sqlite_db *d, int i)
{
	int *pp = &d->bucket[d->cache[i].hash & (STMT_BUCKETS - 1)];
	while (*pp != i)
		pp = &d->cache[*pp].next;
	*pp = d->cache[i].next;
}

/* A slot for a new statement: a free one, or the least recently used idle
 * one (finalized); -1 when every cached statement is in use. */
static int cache_slot(struct sqlite_db *d)
{
	if (d->ncache < STMT_CACHE)
		return d->ncache++;
	int victim = -1;
	for (int i = 0; i < STMT_CACHE; i++)
		if (!d->cache[i].busy && (victim < 0 || d->cache[i].used < d->cache[victim].used))
			victim = i;
	if (victim >= 0) {
		struct cached *c = &d->cache[victim];
		bucket_unlink(d, victim);
		sqlite3_finalize(c->st);
		free(c->sql);
		free(c->map);
	}
	return victim;
}

static sqlite3_stmt *prepare(struct sqlite_db *d, const char *sql, struct cached **slot)
{
	*slot = NULL;
	uint32_t h = sql_hash(sql);
	int *head = &d->bucket[h & (STMT_BUCKETS - 1)];
	for (int i = *head; i >= 0; i = d->cache[i].next) {
		struct cached *c = &d->cache[i];
		if (c->hash == h && strcmp(c->sql, sql) == 0) {
			if (c->busy)
				break; /* nested use of the same SQL: a fresh statement */
			c->used = ++d->clock;
			*slot = c;
			return c->st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		set_err(d);
		return NULL;
	}
	bool nested = false;
	for (int i = *head; i >= 0; i = d->cache[i].next)
		if (d->cache[i].hash == h && strcmp(d->cache[i].sql, sql) == 0)
			nested = true;
	int i = nested ? -1 : cache_slot(d);
	if (i >= 0) {
		struct cached *c = &d->cache[i];
		c->sql = xstrdup(sql);
		c->hash = h;
		c->st = st;
		c->busy = false;
		c->used = ++d->clock;
		param_map(c);
		c->next = *head;
		*head = i;
		*slot = c;
	}
	return st;
}

static void release_stmt(sqlite3_stmt *st, struct cached *slot)
{
	if (slot) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		slot->busy = false;
	} else {
		sqlite3_finalize(st);
	}
}

static int q_query(struct db *db, struct db_res **out, const char *sql, int n,
		   const struct db_val *p)
{
	struct sqlite_db *d = (struct sqlite_db *)db;
	struct cached *slot;
	sqlite3_stmt *st = prepare(d, sql, &slot);
	if (!st)
		return SIRT_EDB;
	if (slot)
		slot->busy = true;
	if (bind_all(d, st, slot, n, p) < 0) {
		release_stmt(st, slot);
		return SIRT_EDB;
	}
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		set_err(d);
		release_stmt(st, slot);
		return rc == SQLITE_BUSY ? SIRT_EUNAVAIL : SIRT_EDB;
	}
	if (!out) {
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			set_err(d);
			release_stmt(st, slot);
			return SIRT_EDB;
		}
		d->base.changes = sqlite3_changes64(d->h);
		release_stmt(st, slot);
		return 0;
	}
	struct sqlite_res *r = xcalloc(1, sizeof(*r));
	r->base.db = db;
	r->st = st;
	r->slot = slot;
	r->have_row = rc == SQLITE_ROW;
	r->base.changes = rc == SQLITE_DONE ? sqlite3_changes64(d->h) : 0;
	*out = &r->base;
	return 0;
}

static int q_exec_script(struct db *db, const char *sql)
{
	struct sqlite_db *d = (struct sqlite_db *)db;
	char *msg = NULL;
	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(d->base.errmsg, sizeof(d->base.errmsg), "%s", msg ? msg : "error");
		d->base.constraint =
			(sqlite3_extended_errcode(d->h) & 0xff) == SQLITE_CONSTRAINT;
		sqlite3_free(msg);
		return SIRT_EDB;
	}
	return 0;
}

static bool q_next(struct db_res *res)
{
	struct sqlite_res *r = (struct sqlite_res *)res;
	if (!r->started) {
		r->started = true;
		return r->have_row;
	}
	if (!r->have_row)
		return false;
	int rc = sqlite3_step(r->st);
	if (rc == SQLITE_ROW)
		return true;
	r->have_row = false;
	if (rc != SQLITE_DONE)
		set_err((struct sqlite_db *)res->db);
	return false;
}

static int q_ncols(const struct db_res *res)
{
	return sqlite3_column_count(((const struct sqlite_res *)res)->st);
}

static bool q_isnull(const struct db_res *res, int col)
{
	return sqlite3_column_type(((const struct sqlite_res *)res)->st, col) == SQLITE_NULL;
}

static int64_t q_int(const struct db_res *res, int col)
{
	return sqlite3_column_int64(((const struct sqlite_res *)res)->st, col);
}

static const char *q_text(const struct db_res *res, int col)
{
	sqlite3_stmt *st = ((const struct sqlite_res *)res)->st;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(st, col);
}

static const void *q_blob(const struct db_res *res, int col, size_t *len)
{
	sqlite3_stmt *st = ((const struct sqlite_res *)res)->st;
	const void *p = sqlite3_column_blob(st, col);
	*len = (size_t)sqlite3_column_bytes(st, col);
	return p;
}

static void q_res_free(struct db_res *res)
{
	struct sqlite_res *r = (struct sqlite_res *)res;
	release_stmt(r->st, r->slot);
	free(r);
}

int db_sqlite_backup(struct db *db, const char *path, char *err, size_t errlen)
{
	if (db->backend != DB_SQLITE) {
		snprintf(err, errlen, "not a SQLite database");
		return SIRT_EINVAL;
	}
	struct sqlite_db *d = (struct sqlite_db *)db;
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot create %s: %s", path, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return SIRT_EIO;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", d->h, "main");
	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return SIRT_EIO;
	}
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return SIRT_EIO;
	}
	rc = sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : SIRT_EIO;
}

void db_sqlite_cache_kib(struct db *db, int kib)
{
	if (db->backend != DB_SQLITE)
		return;
	char sql[48];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", kib);
	(void)sqlite3_exec(((struct sqlite_db *)db)->h, sql, NULL, NULL, NULL);
}

static int on_wal(void *p, sqlite3 *h, const char *name, int pages)
{
	struct wal_hook *w = p;
	struct sqlite_db *d = (struct sqlite_db *)((char *)w - offsetof(struct sqlite_db, hook));
	if (d->prof) {
		d->wal_frames += pages > d->wal_last ? pages - d->wal_last : pages;
		d->wal_last = pages;
		d->wal_commits++;
	}
	w->cb(w->arg, pages);
	return SQLITE_OK;
}

void db_sqlite_wal_hook(struct db *db, void (*cb)(void *arg, int wal_pages), void *arg)
{
	if (db->backend != DB_SQLITE)
		return;
	struct sqlite_db *d = (struct sqlite_db *)db;
	/* replaces the automatic checkpoint, which is itself a WAL hook */
	d->hook.cb = cb;
	d->hook.arg = arg;
	sqlite3_wal_hook(d->h, on_wal, &d->hook);
}

bool db_sqlite_in_tx(const struct db *db)
{
	return db->backend == DB_SQLITE && !sqlite3_get_autocommit(((const struct sqlite_db *)db)->h);
}

int db_sqlite_wal_path(struct db *db, char *buf, size_t len)
{
	if (db->backend != DB_SQLITE)
		return SIRT_ENOTFOUND;
	struct sqlite_db *d = (struct sqlite_db *)db;
	sqlite3_stmt *st = NULL;
	bool wal = false;
	if (sqlite3_prepare_v2(d->h, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode && strcmp(mode, "wal") == 0;
	}
	sqlite3_finalize(st);
	sqlite3_filename file = sqlite3_db_filename(d->h, "main");
	const char *wal_file = wal && file && *file ? sqlite3_filename_wal(file) : NULL;
	if (!wal_file || !*wal_file || (size_t)snprintf(buf, len, "%s", wal_file) >= len)
		return SIRT_ENOTFOUND;
	return 0;
}

int db_sqlite_checkpoint(struct db *db, bool truncate)
{
	if (db->backend != DB_SQLITE)
		return 0;
	struct sqlite_db *d = (struct sqlite_db *)db;
	int rc = sqlite3_wal_checkpoint_v2(d->h, NULL,
					   truncate ? SQLITE_CHECKPOINT_TRUNCATE
						    : SQLITE_CHECKPOINT_PASSIVE,
					   NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		set_err(d);
		return SIRT_EDB;
	}
	return rc == SQLITE_BUSY ? SIRT_EUNAVAIL : 0;
}
