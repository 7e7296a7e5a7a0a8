/*
 * The durable outbox: how any module sends a notification.
 *
 * Call outbox_enqueue() INSIDE the store_tx job that makes the change the
 * notification is about, with the same struct db: the message is then
 * committed together with the change, or not at all. The worker started by
 * `sirt serve` (worker.h) delivers it later, at least once, retrying with
 * exponential back-off and jitter until it is sent or has failed
 * max_attempts times (notify-max-attempts, default 8).
 *
 *   struct outbox_msg m = {
 *           .org_id = org, .incident_id = inc_id,
 *           .idem_key = "incident.created:<incident uid>",
 *           .event = "incident.created",
 *           .subject = "New critical incident INC-2026-0007",
 *           .body = "Ransomware on the file server...",
 *   };
 *   rc = outbox_enqueue(db, &m);   // in your store_tx fn
 *
 * Fan-out: channel_id 0 queues one row for every enabled channel of the
 * organisation whose "events" patterns match m->event ("*", "clock.*",
 * "incident.created"); a channel id queues for that channel only (when
 * enabled, whatever its patterns). Each row's idempotency key is
 * "<idem_key>:<channel uid>"; it is unique per organisation, so queueing the
 * same idem_key twice is a no-op (safe in a store_tx fn that may run twice,
 * and a natural de-duplication for reminders). Receivers see the key in
 * X-Sirt-Idempotency-Key and in the webhook body, identical on every retry.
 */
#ifndef SIRT_NOTIFY_OUTBOX_H
#define SIRT_NOTIFY_OUTBOX_H

#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

#define OUTBOX_KEY_MAX 200
#define OUTBOX_SUBJECT_MAX 500
#define OUTBOX_BODY_MAX 20000

struct outbox_msg {
	int64_t org_id;         /* required */
	int64_t channel_id;     /* 0: every enabled channel whose events match */
	int64_t incident_id;    /* internal incidents.id, 0: not about an incident */
	const char *idem_key;   /* required, <= OUTBOX_KEY_MAX, printable ASCII */
	const char *event;      /* required: "incident.created", "clock.reminder", ... */
	const char *subject;    /* required, one line */
	const char *body;       /* plain text (UTF-8), may be "" */
	const char *payload;    /* JSON object text for webhooks, NULL = {} */
	const char *recipients; /* JSON array of e-mail addresses replacing an e-mail
				 * channel's "to", NULL = the channel's */
	int64_t not_before;     /* first attempt not before (epoch s), 0 = now */
};

/* Queues m (see above). SIRT_EINVAL for a malformed message. */
int outbox_enqueue(struct db *db, const struct outbox_msg *m) WUR;
/* The same, telling how many rows were queued (0 when no channel matched or
 * every row existed already). */
int outbox_enqueue_count(struct db *db, const struct outbox_msg *m, int *queued) WUR;

#endif
