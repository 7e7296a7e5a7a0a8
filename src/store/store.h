/*
 * The store: connections and durable transactions for the whole process.
 *
 * Reads use a connection lent to the calling thread (store_reader()) until
 * it hands it back (store_reader_release()), so idle threads hold none.
 * Writes go through store_tx(fn, arg): fn runs inside a transaction and
 * store_tx returns only after the transaction is committed to disk (or has
 * failed). On SQLite a single writer thread batches the transactions of many
 * concurrent requests into one commit (group commit), each request in its
 * own savepoint, so one failing request does not undo the others; a
 * flushing thread fsyncs the WAL before any of them returns (wal_sync.h). On
 * PostgreSQL fn runs on the calling thread's connection, retried on
 * serialization failures.
 *
 * fn must only touch the database and memory owned by arg, and write its
 * results into arg only; it may be run more than once.
 */
#ifndef SIRT_STORE_H
#define SIRT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

struct store;

struct store_stats {
	int64_t connections;   /* open connections */
	int64_t tx_committed;  /* transactions committed */
	int64_t tx_failed;     /* transactions rolled back */
	int64_t batches;       /* commits (group commit batches on SQLite) */
	int64_t queue_depth;   /* transactions waiting for the writer */
	int64_t wal_flushes;   /* SQLite: fdatasyncs of the WAL that made commits durable */
	double wal_flush_seconds; /* the time they took in all */
};

typedef int (*store_tx_fn)(struct db *db, void *arg);

int store_open(const char *url, struct store **out, char *err, size_t errlen) WUR;
void store_close(struct store *st);
const char *store_url(const struct store *st);
bool store_is_postgres(const struct store *st);

/* The calling thread's connection; NULL when the database is unreachable. */
struct db *store_reader(struct store *st);
/* Hands the calling thread's reader connection back to the pool, unless a
 * result or transaction of it is still open; the HTTP server calls it when
 * a request is done. The thread's next store_reader() may get another. */
void store_reader_release(struct store *st);
int store_tx(struct store *st, store_tx_fn fn, void *arg) WUR;
/* An informational stamp (a token's or session's last use), written
 * without waiting and without failing anyone: on SQLite it joins the
 * writer's next batch (a reader connection taking the write lock itself
 * would wait for the writer, up to the busy timeout); on PostgreSQL it is
 * one UPDATE on this thread's connection. sql is a string literal taking
 * $1 = id and $2 = time. */
void store_touch(struct store *st, const char *sql, int64_t id, int64_t at);
/* Applies pending migrations; returns how many were applied in *applied. */
int store_migrate(struct store *st, int *applied, char *err, size_t errlen) WUR;
int store_schema_version(struct store *st, int64_t *version) WUR;
void store_get_stats(struct store *st, struct store_stats *out);
/* Checks that the database answers (readyz). */
bool store_ping(struct store *st);

#endif
