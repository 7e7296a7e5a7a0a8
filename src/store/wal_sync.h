/*
 * Durable SQLite commits off the writer's critical path.
 *
 * The group-commit writer (store.c) runs its connection with
 * synchronous=NORMAL: COMMIT appends the batch's frames to the WAL file but
 * does not fsync it. It then hands the batch here, and moves on to the next
 * batch while this thread fdatasync()s the WAL and only then calls done()
 * for the batch, which wakes the requests waiting in store_tx(). So a
 * request is still answered only once its commit is on disk; the writer's
 * CPU work on batch n+1 overlaps the disk flush of batch n.
 *
 * A batch is handed over after its COMMIT returned, and done() is called
 * after an fdatasync that began after the hand-over, so it covers every
 * frame of that batch (and of every batch before it: the WAL is appended
 * in order, so no acknowledged write can depend on one a crash loses).
 * Other connections can read a batch between its COMMIT and the end of its
 * flush (a millisecond or two); a power cut in that window loses the batch
 * (and any later one), none of which was acknowledged. A process crash
 * loses nothing: the frames are in the kernel's page cache.
 * If fdatasync fails the process stops (fatal), as PostgreSQL does: the
 * kernel may have dropped the dirty pages, and nothing may be acknowledged.
 */
#ifndef SIRT_STORE_WAL_SYNC_H
#define SIRT_STORE_WAL_SYNC_H

#include <stdbool.h>
#include <stdint.h>

struct wal_sync;

/* Starts the flushing thread for the WAL file at wal_path (opened when it
 * first needs flushing). On that thread: done(batch) for each batch once it
 * is on disk, then idle(arg) when nothing more is queued. */
struct wal_sync *wal_sync_start(const char *wal_path, void (*done)(void *batch),
				void (*idle)(void *arg), void *arg);
/* Queues a committed batch: done(batch) once the WAL is on disk. */
void wal_sync_after(struct wal_sync *ws, void *batch);
/* True when no flush is running or queued (the disk is free). */
bool wal_sync_idle(struct wal_sync *ws);
/* Flushes so far, and the seconds they took in all. */
void wal_sync_stats(struct wal_sync *ws, int64_t *flushes, double *seconds);
/* Flushes and finishes whatever is queued, then stops the thread. */
void wal_sync_stop(struct wal_sync *ws);

#endif
