/*
 * The delivery worker: one thread per `sirt serve` process.
 *
 * Every second (sooner while there is work) it claims up to a batch of due
 * outbox rows with a lease (leased_until = now + NOTIFY_LEASE_SECONDS,
 * leased_by = this node) in one short transaction — on PostgreSQL with
 * SELECT ... FOR UPDATE SKIP LOCKED, so several nodes on one database never
 * claim the same row; on SQLite through the single writer — then delivers
 * each outside any transaction and records the attempt and its outcome in
 * another. A node that dies mid-delivery leaves a lease that expires, and
 * the row is delivered again (at least once, with the same idempotency
 * key). Every two seconds it also checks the regulatory clocks of open
 * incidents and queues reminders and breach notices (clock_store.h).
 */
#ifndef SIRT_NOTIFY_WORKER_H
#define SIRT_NOTIFY_WORKER_H

#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

struct app;
struct store;
struct notify_worker;

/* Reads the notify settings from app->cfg and starts the thread. */
int notify_worker_start(struct app *app, struct notify_worker **out, char *err,
			size_t errlen) WUR;
/* Asks the thread to stop, waits for the delivery in progress, joins it. */
void notify_worker_stop(struct notify_worker *w);

/* One pass (claim, deliver, record); returns how many rows were handled or
 * a negative error. Exposed for the CLI ("sirt outbox run"). */
int notify_worker_run_once(struct store *st) WUR;

/* See timeline.c. */
int notify_timeline_record(struct db *db, int64_t org_id, int64_t incident_id,
			   const char *channel_name, const char *channel_kind, const char *event,
			   const char *subject, int64_t sent_at) WUR;

#endif
