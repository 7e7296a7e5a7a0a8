#include "store/store.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/wal_sync.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define BATCH_MAX 256

/*
 * SQLite memory and checkpoints (see bench/README.md for the figures).
 * Each connection has its own page cache, which only grows: readers (one per
 * request in progress, see below) get a small one, enough for the interior pages of the
 * b-trees they walk, since the kernel's page cache holds the file anyway;
 * the writer, which touches a leaf of every index per insert, a larger one.
 *
 * WAL checkpoints run on their own thread and connection instead of inside
 * the commit of whichever batch crossed the threshold, so the single writer
 * (the throughput limit for writes) does not copy pages back to the database
 * file itself. SQLite starts the WAL over (rewriting the same file blocks,
 * which keeps each fsync cheap) only when a checkpoint has copied all of it,
 * which a background checkpoint never quite does while writes go on; so once
 * it has finished, the writer checkpoints the few frames committed meanwhile
 * itself before its next batch.
 */
#define READER_CACHE_KIB 2048
#define WRITER_CACHE_KIB 8192
#define CKPT_CACHE_KIB 256
#define CKPT_PAGES 1000 /* SQLite's own automatic checkpoint threshold */

/*
 * Reader connections are lent to threads, not owned by them: a thread keeps
 * the one it got (store_reader) until it hands it back (store_reader_release,
 * which the HTTP server calls when a request is done and the notification
 * worker before it sleeps). At most readers_max are open; a thread that
 * finds none free waits for one. A connection holds its schema, prepared
 * statements and page cache (a few MB), so this, not the worker thread
 * count, bounds the memory.
 *
 * On SQLite a thread also lends its connection out while store_tx waits
 * for the group commit (the many worker threads that group commit needs
 * mostly wait there), and takes the same one back before store_tx returns:
 * a caller's `db` pointer stays its own around store_tx. While it is
 * wanted back nobody new may borrow it, so the wait is one borrower's
 * request at most. The writer thread, which must never wait for a
 * connection that a thread waiting for the writer holds, reads through a
 * private connection outside the pool.
 */
struct conn_slot {
	struct store *st;
	struct db *db;
	bool private_conn; /* the writer's: outside the pool, never lent */
	struct conn_slot *next;
};

struct tx_job {
	store_tx_fn fn;
	void *arg;
	int rc;
	bool detached; /* store_touch(): nobody waits; the writer frees it */
	/* Posted when the job's batch is committed. A semaphore, not a
	 * condition variable under qlock: the waiter wakes without first
	 * fighting the writer (and the other waiters) for a mutex, and
	 * sem_post is safe against the waiter destroying it at once. */
	sem_t done;
	struct tx_job *next;
};

struct store {
	char *url;
	bool postgres;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns, stats and the reader pool */
	struct conn_slot *conns;
	struct store_stats stats;
	struct db **idle; /* reader connections no thread holds */
	int nidle;
	int readers, readers_max; /* open: lent or idle */
	pthread_cond_t reader_cv;
	/* connections lent in store_tx and awaited back, once per waiting
	 * thread (several may have lent the same one in turn) */
	struct db **wanted;
	int nwanted, wanted_cap;

	/* SQLite group commit */
	pthread_t writer;
	bool writer_running;
	bool stopping;
	struct db *wdb;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;    /* writer waits for work */
	struct tx_job *qhead, *qtail;
	int64_t qlen;
	struct wal_sync *flusher; /* NULL: the writer's COMMIT fsyncs itself */

	/* SQLite WAL checkpoints, off the writer thread */
	pthread_t ckpt;
	bool ckpt_running;
	bool ckpt_wanted; /* guarded by qlock, like stopping */
	bool ckpt_done;   /* a background checkpoint finished; writer's turn */
	struct db *cdb;
	pthread_cond_t ckcond;
};

static void slot_destroy(void *p);
static void pool_put(struct store *st, struct db *db);
static void *writer_main(void *arg);
static void *ckpt_main(void *arg);
static void on_wal_pages(void *arg, int pages);
static int run_one(struct db *db, struct tx_job *j);
static void finish_batch(void *batch);
static void wake_writer(void *arg);

static struct db *open_conn(struct store *st, char *err, size_t errlen)
{
	struct db *db = NULL;
	if (db_open(st->url, &db, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&st->lock);
	st->stats.connections++;
	pthread_mutex_unlock(&st->lock);
	return db;
}

static void close_conn(struct store *st, struct db *db)
{
	if (!db)
		return;
	db_close(db);
	pthread_mutex_lock(&st->lock);
	st->stats.connections--;
	pthread_mutex_unlock(&st->lock);
}

int store_open(const char *url, struct store **out, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));
	st->url = xstrdup(url);
	st->postgres = db_url_is_postgres(url);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->reader_cv, NULL);
	/* SQLite: a few connections suffice, each costs sirt memory (see
	 * above). PostgreSQL: a transaction holds its connection through every
	 * round trip, so concurrency is what it needs, and the memory is the
	 * server's. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	st->readers_max = st->postgres ? 64 : cpus > 4 ? 4 * (int)cpus : 16;
	st->idle = xcalloc((size_t)st->readers_max, sizeof(*st->idle));
	pthread_mutex_init(&st->qlock, NULL);
	pthread_cond_init(&st->qcond, NULL);
	pthread_cond_init(&st->ckcond, NULL);
	if (pthread_key_create(&st->key, slot_destroy) != 0)
		fatal("pthread_key_create");
	/* Open one connection now so a bad URL fails at start-up. */
	struct db *probe = open_conn(st, err, errlen);
	if (!probe) {
		pthread_key_delete(st->key);
		free(st->url);
		free(st);
		return SIRT_EUNAVAIL;
	}
	if (!st->postgres) {
		st->wdb = probe;
		db_sqlite_cache_kib(st->wdb, WRITER_CACHE_KIB);
		/* The writer commits without fsync and a flushing thread makes
		 * each batch durable before its requests are answered (see
		 * wal_sync.h); without a WAL file the writer syncs itself. */
		char wal[4096];
		if (db_sqlite_wal_path(st->wdb, wal, sizeof(wal)) == 0 &&
		    db_exec_script(st->wdb, "PRAGMA synchronous=NORMAL") == 0)
			st->flusher = wal_sync_start(wal, finish_batch, wake_writer, st);
		st->cdb = open_conn(st, err, errlen);
		if (st->cdb) {
			db_sqlite_cache_kib(st->cdb, CKPT_CACHE_KIB);
			if (pthread_create(&st->ckpt, NULL, ckpt_main, st) != 0)
				fatal("cannot start the database checkpoint thread");
			st->ckpt_running = true;
			db_sqlite_wal_hook(st->wdb, on_wal_pages, st);
		} /* else SQLite keeps checkpointing on the writer */
		if (pthread_create(&st->writer, NULL, writer_main, st) != 0)
			fatal("cannot start the database writer thread");
		st->writer_running = true;
	} else {
		close_conn(st, probe);
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->writer_running) {
		pthread_mutex_lock(&st->qlock);
		st->stopping = true;
		pthread_cond_broadcast(&st->qcond);
		pthread_mutex_unlock(&st->qlock);
		pthread_join(st->writer, NULL);
	}
	wal_sync_stop(st->flusher); /* answers the writer's last batches */
	if (st->ckpt_running) {
		pthread_mutex_lock(&st->qlock);
		st->stopping = true;
		pthread_cond_broadcast(&st->ckcond);
		pthread_mutex_unlock(&st->qlock);
		pthread_join(st->ckpt, NULL);
	}
	close_conn(st, st->cdb);
	close_conn(st, st->wdb);
	/* This thread's slot and any left by threads that are gone. */
	pthread_setspecific(st->key, NULL);
	pthread_mutex_lock(&st->lock);
	struct conn_slot *s = st->conns;
	st->conns = NULL;
	pthread_mutex_unlock(&st->lock);
	while (s) {
		struct conn_slot *next = s->next;
		close_conn(st, s->db);
		free(s);
		s = next;
	}
	for (int i = 0; i < st->nidle; i++)
		close_conn(st, st->idle[i]);
	pthread_key_delete(st->key);
	free(st->idle);
	free(st->wanted);
	pthread_cond_destroy(&st->reader_cv);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->qlock);
	pthread_cond_destroy(&st->qcond);
	pthread_cond_destroy(&st->ckcond);
	free(st->url);
	free(st);
}

const char *store_url(const struct store *st)
{
	return st->url;
}

bool store_is_postgres(const struct store *st)
{
	return st->postgres;
}

static void slot_destroy(void *p)
{
	struct conn_slot *slot = p;
	struct store *st = slot->st;
	pthread_mutex_lock(&st->lock);
	for (struct conn_slot **pp = &st->conns; *pp; pp = &(*pp)->next) {
		if (*pp == slot) {
			*pp = slot->next;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	if (slot->private_conn)
		close_conn(st, slot->db);
	else
		pool_put(st, slot->db); /* someone may be waiting to take it back */
	free(slot);
}

static struct conn_slot *thread_slot(struct store *st)
{
	struct conn_slot *slot = pthread_getspecific(st->key);
	if (!slot) {
		slot = xcalloc(1, sizeof(*slot));
		slot->st = st;
		pthread_mutex_lock(&st->lock);
		slot->next = st->conns;
		st->conns = slot;
		pthread_mutex_unlock(&st->lock);
		pthread_setspecific(st->key, slot);
	}
	return slot;
}

/* Closes a broken pooled connection, freeing its place. */
static void drop_reader(struct store *st, struct db *db)
{
	close_conn(st, db);
	pthread_mutex_lock(&st->lock);
	st->readers--;
	pthread_cond_broadcast(&st->reader_cv);
	pthread_mutex_unlock(&st->lock);
}

static bool is_wanted(const struct store *st, const struct db *db)
{
	for (int i = 0; i < st->nwanted; i++)
		if (st->wanted[i] == db)
			return true;
	return false;
}

/* An idle connection nobody waits to take back, or NULL; st->lock held. */
static struct db *take_idle(struct store *st)
{
	for (int i = st->nidle - 1; i >= 0; i--) {
		if (!is_wanted(st, st->idle[i])) {
			struct db *db = st->idle[i];
			st->idle[i] = st->idle[--st->nidle];
			return db;
		}
	}
	return NULL;
}

static struct db *open_reader(struct store *st)
{
	char err[256];
	struct db *db = open_conn(st, err, sizeof(err));
	if (db)
		db_sqlite_cache_kib(db, READER_CACHE_KIB);
	return db;
}

struct db *store_reader(struct store *st)
{
	struct conn_slot *slot = pthread_getspecific(st->key);
	if (slot && slot->db && db_is_broken(slot->db)) {
		if (slot->private_conn)
			close_conn(st, slot->db);
		else
			drop_reader(st, slot->db);
		slot->db = NULL;
	}
	if (slot && slot->db)
		return slot->db;
	if (st->writer_running && pthread_equal(pthread_self(), st->writer)) {
		slot = thread_slot(st);
		slot->private_conn = true;
		return slot->db = open_reader(st);
	}
	struct db *db = NULL;
	bool open_new = false;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		if ((db = take_idle(st)))
			break;
		if (st->readers < st->readers_max) {
			st->readers++;
			open_new = true;
			break;
		}
		pthread_cond_wait(&st->reader_cv, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	if (open_new && !(db = open_reader(st))) {
		pthread_mutex_lock(&st->lock);
		st->readers--;
		pthread_cond_broadcast(&st->reader_cv);
		pthread_mutex_unlock(&st->lock);
		return NULL;
	}
	thread_slot(st)->db = db;
	return db;
}

/* Puts a connection back in the pool (or closes it if it is broken). */
static void pool_put(struct store *st, struct db *db)
{
	if (!db)
		return;
	if (db_is_broken(db)) {
		drop_reader(st, db);
		return;
	}
	pthread_mutex_lock(&st->lock);
	st->idle[st->nidle++] = db;
	pthread_cond_broadcast(&st->reader_cv);
	pthread_mutex_unlock(&st->lock);
}

/* Hands back the calling thread's connection unless something of it is
 * still in use; returns it (NULL when the thread keeps it or had none). */
static struct db *lend_reader(struct store *st)
{
	struct conn_slot *slot = pthread_getspecific(st->key);
	if (!slot || !slot->db || slot->private_conn || db_open_results(slot->db) > 0 ||
	    (!st->postgres && db_sqlite_in_tx(slot->db)))
		return NULL;
	struct db *db = slot->db;
	slot->db = NULL;
	pool_put(st, db);
	return db;
}

void store_reader_release(struct store *st)
{
	(void)lend_reader(st);
}

/* Takes back the connection lend_reader() gave out, waiting until whoever
 * borrowed it meanwhile hands it back. It cannot have been closed: SQLite
 * connections do not break, and a thread that ends returns its own. */
static void reclaim_reader(struct store *st, struct db *db)
{
	pthread_mutex_lock(&st->lock);
	if (st->nwanted == st->wanted_cap) {
		st->wanted_cap = st->wanted_cap ? 2 * st->wanted_cap : 64;
		st->wanted = xrealloc(st->wanted, (size_t)st->wanted_cap * sizeof(*st->wanted));
	}
	st->wanted[st->nwanted++] = db;
	for (;;) {
		int i;
		for (i = 0; i < st->nidle && st->idle[i] != db; i++)
			;
		if (i < st->nidle) {
			st->idle[i] = st->idle[--st->nidle];
			break;
		}
		pthread_cond_wait(&st->reader_cv, &st->lock);
	}
	for (int i = 0; i < st->nwanted; i++) {
		if (st->wanted[i] == db) {
			st->wanted[i] = st->wanted[--st->nwanted];
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	thread_slot(st)->db = db;
}

bool store_ping(struct store *st)
{
	struct db *db = store_reader(st);
	int64_t v;
	return db && db_query_int(db, &v, "SELECT 1", 0, NULL) == 0 && v == 1;
}

/* Counters every transaction bumps: atomics, not st->lock, which the
 * connection pool takes on every request. */
static void bump(int64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

static void count(struct store *st, int rc)
{
	bump(rc < 0 ? &st->stats.tx_failed : &st->stats.tx_committed);
}

/* PostgreSQL: run on this thread's connection, retrying serialization
 * failures and deadlocks a few times. */
static int pg_tx(struct store *st, store_tx_fn fn, void *arg)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		struct db *db = store_reader(st);
		if (!db)
			return SIRT_EUNAVAIL;
		if (db_begin(db) < 0)
			return db_is_broken(db) ? SIRT_EUNAVAIL : SIRT_EDB;
		int rc = fn(db, arg);
		if (rc == 0) {
			rc = db_commit(db);
			if (rc == 0) {
				bump(&st->stats.batches);
				return 0;
			}
		} else {
			(void)db_rollback(db);
		}
		const char *m = db_errmsg(db);
		bool retry = strstr(m, "could not serialize") || strstr(m, "deadlock detected");
		if (db_is_broken(db))
			return SIRT_EUNAVAIL;
		if (!retry)
			return rc;
		usleep(1000u * (unsigned)(attempt + 1));
	}
	return SIRT_ECONFLICT;
}

int store_tx(struct store *st, store_tx_fn fn, void *arg)
{
	int rc;
	if (st->postgres) {
		rc = pg_tx(st, fn, arg);
		count(st, rc);
		return rc;
	}
	struct db *lent = lend_reader(st); /* others may read while this waits */
	struct tx_job job = {.fn = fn, .arg = arg};
	sem_init(&job.done, 0, 0);
	pthread_mutex_lock(&st->qlock);
	if (st->qtail)
		st->qtail->next = &job;
	else
		st->qhead = &job;
	st->qtail = &job;
	st->qlen++;
	pthread_cond_signal(&st->qcond);
	pthread_mutex_unlock(&st->qlock);
	while (sem_wait(&job.done) != 0)
		; /* EINTR */
	sem_destroy(&job.done);
	if (lent)
		reclaim_reader(st, lent);
	count(st, job.rc);
	return job.rc;
}

/* ---- informational stamps (store_touch) ---- */

struct touch {
	const char *sql;
	int64_t id, at;
};

static int touch_tx(struct db *db, void *arg)
{
	struct touch *t = arg;
	return db_exec(db, t->sql, 2, DBV(DB_INT(t->id), DB_INT(t->at)));
}

void store_touch(struct store *st, const char *sql, int64_t id, int64_t at)
{
	struct touch t = {.sql = sql, .id = id, .at = at};
	if (st->postgres) {
		struct db *db = store_reader(st);
		if (db)
			(void)touch_tx(db, &t);
		return;
	}
	struct tx_job *job = xcalloc(1, sizeof(*job) + sizeof(t));
	struct touch *copy = (struct touch *)(job + 1);
	*copy = t;
	job->fn = touch_tx;
	job->arg = copy;
	job->detached = true;
	pthread_mutex_lock(&st->qlock);
	if (st->stopping) { /* the writer may be gone */
		pthread_mutex_unlock(&st->qlock);
		free(job);
		return;
	}
	if (st->qtail)
		st->qtail->next = job;
	else
		st->qhead = job;
	st->qtail = job;
	st->qlen++;
	pthread_cond_signal(&st->qcond);
	pthread_mutex_unlock(&st->qlock);
}

/* One job in its own transaction (used for a lone job and for the retry
 * after a failed batch commit). */
static int run_one(struct db *db, struct tx_job *j)
{
	int rc = db_begin(db);
	if (rc < 0)
		return rc;
	rc = j->fn(db, j->arg);
	if (rc < 0) {
		(void)db_rollback(db);
		return rc;
	}
	rc = db_commit(db);
	if (rc < 0)
		(void)db_rollback(db);
	return rc;
}

/* True when no WAL flush is running or queued; qlock held (the flusher's
 * wake_writer() takes it after the flush, so a wait cannot miss it). */
static bool disk_free(struct store *st)
{
	return !st->flusher || wal_sync_idle(st->flusher);
}

/* The flusher has finished: an open transaction may commit now. */
static void wake_writer(void *arg)
{
	struct store *st = arg;
	pthread_mutex_lock(&st->qlock);
	pthread_cond_signal(&st->qcond);
	pthread_mutex_unlock(&st->qlock);
}

/* Runs each job of the list in its own savepoint of the open transaction. */
static void run_jobs(struct db *db, struct tx_job *batch)
{
	for (struct tx_job *j = batch; j; j = j->next) {
		/* db_exec: prepared once, unlike db_savepoint() */
		if (db_exec(db, "SAVEPOINT job", 0, NULL) < 0) {
			j->rc = SIRT_EDB;
			continue;
		}
		size_t held = db_at_commit_mark(db);
		j->rc = j->fn(db, j->arg);
		if (j->rc < 0) {
			db_at_commit_truncate(db, held);
			if (db_exec(db, "ROLLBACK TO job", 0, NULL) < 0) {
				/* RELEASE below fails too; the batch is retried */
			}
		}
		if (db_exec(db, "RELEASE job", 0, NULL) < 0 && j->rc == 0)
			j->rc = SIRT_EDB;
	}
}

/* Commits the open transaction and hands its jobs to the flusher. */
static void commit_jobs(struct store *st, struct db *db, struct tx_job *jobs)
{
	if (db_commit(db) < 0) {
		/* The batch failed as a whole: give each job its own try. */
		(void)db_rollback(db);
		for (struct tx_job *j = jobs; j; j = j->next)
			if (j->rc == 0)
				j->rc = run_one(db, j);
	}
	bump(&st->stats.batches);
	if (st->flusher)
		wal_sync_after(st->flusher, jobs);
	else
		finish_batch(jobs);
}

/*
 * The group-commit writer. It opens a transaction, runs the queued jobs in
 * it (a savepoint each) and commits as soon as the disk is free: while the
 * flusher is still making the previous commit durable, the jobs that arrive
 * meanwhile join the open transaction (up to BATCH_MAX) instead of waiting
 * idle, so the writer's CPU work overlaps the flush and each commit carries
 * what arrived during the last one.
 */
static void *writer_main(void *arg)
{
	struct store *st = arg;
	struct db *db = st->wdb;
	struct tx_job *open = NULL, *open_last = NULL; /* run in the open transaction */
	int nopen = 0;
	for (;;) {
		pthread_mutex_lock(&st->qlock);
		while (!st->qhead && !st->stopping && !(open && disk_free(st)))
			pthread_cond_wait(&st->qcond, &st->qlock);
		if (!st->qhead && !open && st->stopping) {
			pthread_mutex_unlock(&st->qlock);
			break;
		}
		struct tx_job *batch = st->qhead, *last = batch;
		int n = 0;
		if (batch) {
			n = 1;
			while (last->next && nopen + n < BATCH_MAX) {
				last = last->next;
				n++;
			}
			st->qhead = last->next;
			if (!st->qhead)
				st->qtail = NULL;
			last->next = NULL;
			st->qlen -= n;
		}
		bool finish_ckpt = !open && st->ckpt_done;
		if (finish_ckpt)
			st->ckpt_done = false;
		pthread_mutex_unlock(&st->qlock);

		if (batch && !open) {
			if (finish_ckpt)
				(void)db_sqlite_checkpoint(db, false);
			if (db_begin(db) < 0) {
				for (struct tx_job *j = batch; j; j = j->next)
					j->rc = SIRT_EDB;
				finish_batch(batch);
				continue;
			}
		}
		if (batch) {
			run_jobs(db, batch);
			if (open_last)
				open_last->next = batch;
			else
				open = batch;
			open_last = last;
			nopen += n;
		}
		pthread_mutex_lock(&st->qlock);
		bool commit = open && (nopen >= BATCH_MAX || st->stopping || disk_free(st));
		pthread_mutex_unlock(&st->qlock);
		if (commit) {
			commit_jobs(st, db, open);
			open = open_last = NULL;
			nopen = 0;
		}
	}
	return NULL;
}

/* The batch is on disk: wakes its waiting requests, frees the detached. */
static void finish_batch(void *arg)
{
	struct tx_job *detached = NULL;
	for (struct tx_job *j = arg, *next; j; j = next) {
		next = j->next; /* j may be gone once posted */
		if (j->detached) {
			j->next = detached;
			detached = j;
		} else {
			sem_post(&j->done);
		}
	}
	while (detached) {
		struct tx_job *next = detached->next;
		free(detached);
		detached = next;
	}
}

/* Called by SQLite on the writer thread after each commit. */
static void on_wal_pages(void *arg, int pages)
{
	struct store *st = arg;
	if (pages < CKPT_PAGES)
		return;
	pthread_mutex_lock(&st->qlock);
	if (!st->ckpt_wanted) {
		st->ckpt_wanted = true;
		pthread_cond_signal(&st->ckcond);
	}
	pthread_mutex_unlock(&st->qlock);
}

/* PASSIVE checkpoints never block the writer or the readers. The writer
 * starts the WAL over once a checkpoint has copied all of it back. */
static void *ckpt_main(void *arg)
{
	struct store *st = arg;
	for (;;) {
		pthread_mutex_lock(&st->qlock);
		while (!st->ckpt_wanted && !st->stopping)
			pthread_cond_wait(&st->ckcond, &st->qlock);
		bool stop = st->stopping;
		st->ckpt_wanted = false;
		pthread_mutex_unlock(&st->qlock);
		if (stop)
			break;
		(void)db_sqlite_checkpoint(st->cdb, false);
		pthread_mutex_lock(&st->qlock);
		st->ckpt_done = true;
		pthread_mutex_unlock(&st->qlock);
	}
	/* The writer has stopped: leave a short WAL behind. */
	(void)db_sqlite_checkpoint(st->cdb, true);
	return NULL;
}

void store_get_stats(struct store *st, struct store_stats *out)
{
	pthread_mutex_lock(&st->lock);
	out->connections = st->stats.connections;
	pthread_mutex_unlock(&st->lock);
	out->tx_committed = __atomic_load_n(&st->stats.tx_committed, __ATOMIC_RELAXED);
	out->tx_failed = __atomic_load_n(&st->stats.tx_failed, __ATOMIC_RELAXED);
	out->batches = __atomic_load_n(&st->stats.batches, __ATOMIC_RELAXED);
	pthread_mutex_lock(&st->qlock);
	out->queue_depth = st->qlen;
	pthread_mutex_unlock(&st->qlock);
	out->wal_flushes = 0;
	out->wal_flush_seconds = 0;
	if (st->flusher)
		wal_sync_stats(st->flusher, &out->wal_flushes, &out->wal_flush_seconds);
}

/* ---- migrations ---- */

static const char *backend_name(const struct store *st)
{
	return st->postgres ? "postgres" : "sqlite";
}

struct migrate_ctx {
	const struct migration *m;
	char *err;
	size_t errlen;
};

static int apply_migration(struct db *db, void *arg)
{
	struct migrate_ctx *c = arg;
	int64_t have = 0;
	if (db_is_postgres(db) &&
	    db_exec(db, "SELECT pg_advisory_xact_lock(727274)", 0, NULL) < 0)
		goto fail;
	/* Another node may have applied it while we waited for the lock. */
	if (db_query_int(db, &have, "SELECT count(*) FROM schema_migrations WHERE version = $1",
			 1, DBV(DB_INT(c->m->version))) < 0)
		goto fail;
	if (have)
		return 0;
	if (db_exec_script(db, c->m->sql) < 0)
		goto fail;
	if (db_exec(db, "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, $3)",
		    3, DBV(DB_INT(c->m->version), DB_TEXT(c->m->name), DB_INT(time_now()))) < 0)
		goto fail;
	return 0;
fail:
	snprintf(c->err, c->errlen, "migration %s: %s", c->m->name, db_errmsg(db));
	return SIRT_EDB;
}

int store_schema_version(struct store *st, int64_t *version)
{
	struct db *db = store_reader(st);
	if (!db)
		return SIRT_EUNAVAIL;
	*version = 0;
	int rc = db_query_int(db, version, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
			      0, NULL);
	return rc == SIRT_ENOTFOUND ? 0 : rc;
}

int store_migrate(struct store *st, int *applied, char *err, size_t errlen)
{
	*applied = 0;
	struct db *db = store_reader(st);
	if (!db) {
		snprintf(err, errlen, "database unreachable: %s", st->url);
		return SIRT_EUNAVAIL;
	}
	if (db_exec_script(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			       " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
			       " applied_at BIGINT NOT NULL)") < 0) {
		/* concurrent creation on PostgreSQL: fine if it now exists */
		int64_t v;
		if (store_schema_version(st, &v) < 0) {
			snprintf(err, errlen, "schema_migrations: %s", db_errmsg(db));
			return SIRT_EDB;
		}
	}
	for (int i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		if (strcmp(m->backend, backend_name(st)) != 0)
			continue;
		int64_t have = 0;
		if (db_query_int(db, &have, "SELECT count(*) FROM schema_migrations WHERE version = $1",
				 1, DBV(DB_INT(m->version))) < 0) {
			snprintf(err, errlen, "schema_migrations: %s", db_errmsg(db));
			return SIRT_EDB;
		}
		if (have)
			continue;
		struct migrate_ctx c = {.m = m, .err = err, .errlen = errlen};
		int rc = store_tx(st, apply_migration, &c);
		if (rc < 0)
			return rc;
		(*applied)++;
	}
	return 0;
}
