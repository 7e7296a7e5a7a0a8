/* Durable SQLite commits off the writer's critical path; see wal_sync.h. */
#include "store/wal_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

struct wal_sync {
	char *path;
	int fd; /* -1 until the first flush */
	void (*done)(void *batch);
	void (*idle)(void *arg);
	void *idle_arg;
	bool flushing; /* between taking the queue and the last done() */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	void **queued; /* committed batches waiting for a flush */
	int nqueued, cap;
	/* flushes and their time (metrics; with SIRT_SQL_PROFILE also printed
	 * at the stop), written by the flusher under lock */
	bool profile;
	uint64_t flushes, batches, flush_ns;
};

/* The WAL file as it is now. SQLite keeps the same file (it rewrites it
 * from the start after a checkpoint) while any connection is open, which
 * the server's are; checking the inode costs a stat and covers the rest. */
static int wal_fd(struct wal_sync *ws)
{
	struct stat now, have;
	if (ws->fd >= 0) {
		if (stat(ws->path, &now) == 0 && fstat(ws->fd, &have) == 0 &&
		    now.st_ino == have.st_ino && now.st_dev == have.st_dev)
			return ws->fd;
		close(ws->fd);
		ws->fd = -1;
	}
	ws->fd = open(ws->path, O_RDONLY | O_CLOEXEC);
	if (ws->fd < 0)
		fatal("cannot open %s to flush it: %s", ws->path, strerror(errno));
	return ws->fd;
}

static void *flusher_main(void *arg)
{
	struct wal_sync *ws = arg;
	void **mine = NULL;
	int cap = 0;
	for (;;) {
		pthread_mutex_lock(&ws->lock);
		while (!ws->nqueued && !ws->stopping)
			pthread_cond_wait(&ws->cond, &ws->lock);
		if (!ws->nqueued) { /* stopping, nothing left */
			pthread_mutex_unlock(&ws->lock);
			break;
		}
		/* Take the queue as it is: every batch in it has committed, so
		 * the flush that starts below covers them all. */
		void **tmp = mine;
		mine = ws->queued;
		ws->queued = tmp;
		int n = ws->nqueued, c = cap;
		cap = ws->cap;
		ws->cap = c;
		ws->nqueued = 0;
		ws->flushing = true;
		pthread_mutex_unlock(&ws->lock);

		int fd = wal_fd(ws);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (fdatasync(fd) != 0) {
			if (errno != EINTR)
				fatal("fdatasync %s: %s; stopping so that nothing is acknowledged"
				      " that may not be on disk",
				      ws->path, strerror(errno));
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_lock(&ws->lock); /* counted before anyone is answered */
		ws->flushes++;
		ws->batches += (uint64_t)n;
		ws->flush_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
		pthread_mutex_unlock(&ws->lock);
		for (int i = 0; i < n; i++)
			ws->done(mine[i]);
		pthread_mutex_lock(&ws->lock);
		ws->flushing = false;
		bool idle = !ws->nqueued;
		pthread_mutex_unlock(&ws->lock);
		if (idle && ws->idle)
			ws->idle(ws->idle_arg);
	}
	free(mine);
	return NULL;
}

struct wal_sync *wal_sync_start(const char *wal_path, void (*done)(void *batch),
				void (*idle)(void *arg), void *arg)
{
	struct wal_sync *ws = xcalloc(1, sizeof(*ws));
	ws->path = xstrdup(wal_path);
	ws->fd = -1;
	ws->done = done;
	ws->idle = idle;
	ws->idle_arg = arg;
	const char *prof = getenv("SIRT_SQL_PROFILE");
	ws->profile = prof && *prof && strcmp(prof, "0") != 0;
	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->cond, NULL);
	if (pthread_create(&ws->thread, NULL, flusher_main, ws) != 0)
		fatal("cannot start the WAL flushing thread");
	return ws;
}

void wal_sync_after(struct wal_sync *ws, void *batch)
{
	pthread_mutex_lock(&ws->lock);
	if (ws->nqueued == ws->cap) {
		ws->cap = ws->cap ? 2 * ws->cap : 64;
		ws->queued = xrealloc(ws->queued, (size_t)ws->cap * sizeof(*ws->queued));
	}
	ws->queued[ws->nqueued++] = batch;
	pthread_cond_signal(&ws->cond);
	pthread_mutex_unlock(&ws->lock);
}

bool wal_sync_idle(struct wal_sync *ws)
{
	pthread_mutex_lock(&ws->lock);
	bool idle = !ws->nqueued && !ws->flushing;
	pthread_mutex_unlock(&ws->lock);
	return idle;
}

void wal_sync_stats(struct wal_sync *ws, int64_t *flushes, double *seconds)
{
	pthread_mutex_lock(&ws->lock);
	*flushes = (int64_t)ws->flushes;
	*seconds = (double)ws->flush_ns / 1e9;
	pthread_mutex_unlock(&ws->lock);
}

void wal_sync_stop(struct wal_sync *ws)
{
	if (!ws)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->stopping = true;
	pthread_cond_signal(&ws->cond);
	pthread_mutex_unlock(&ws->lock);
	pthread_join(ws->thread, NULL);
	if (ws->profile && ws->flushes)
		fprintf(stderr, "sql profile: WAL flushes: %llu, %.2f commits and %.3f ms each\n",
			(unsigned long long)ws->flushes, (double)ws->batches / (double)ws->flushes,
			(double)ws->flush_ns / 1e6 / (double)ws->flushes);
	if (ws->fd >= 0)
		close(ws->fd);
	free(ws->queued);
	free(ws->path);
	pthread_mutex_destroy(&ws->lock);
	pthread_cond_destroy(&ws->cond);
	free(ws);
}
