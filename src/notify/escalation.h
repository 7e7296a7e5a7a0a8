/*
 * Escalation of unacknowledged incidents, as durable outbox messages.
 *
 * When an incident is created in status `new`, every level of its
 * severity's escalation path (plan_escalation) is queued at once, in the
 * same transaction, as outbox messages with event "incident.escalation",
 * not_before = created_at + the level's after_minutes, and the idempotency
 * key "escalate:<incident uid>:<level>". So the timers are rows: they
 * survive restarts, and the outbox's leases deliver each exactly once
 * across nodes.
 *
 * Acknowledgement (any transition out of `new`) cancels the pending levels
 * in the transaction of the transition. Independently, the worker asks
 * escalation_before_delivery() about every escalation message it is about
 * to deliver: if the incident is no longer `new` the message is marked
 * cancelled with the reason instead of being sent (this also covers a
 * message already claimed when the acknowledgement committed). It also
 * resolves the recipients again at the time the level is due: the member
 * on call then for each role, else the role's members.
 *
 * A severity change while the incident is still `new` cancels the pending
 * levels and queues the new severity's path (keys suffixed ":v<incident
 * version>"), counted from the incident's creation as well.
 */
#ifndef SIRT_NOTIFY_ESCALATION_H
#define SIRT_NOTIFY_ESCALATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

struct store;
struct outbox_work;

#define ESCALATION_EVENT "incident.escalation"

/* Queues the levels for the incident's current severity. key_suffix NULL
 * for the first schedule, else appended to each key (":v7"). */
int escalation_schedule(struct db *db, int64_t org_id, int64_t incident_id,
			const char *key_suffix) WUR;
/* Cancels every pending escalation message of the incident, with reason. */
int escalation_cancel(struct db *db, int64_t org_id, int64_t incident_id, const char *reason) WUR;

/* Worker side, for a message of event ESCALATION_EVENT about to be
 * delivered: *drop is true when it was cancelled instead (incident
 * acknowledged); otherwise w->recipients may have been replaced by the
 * addresses resolved now. */
int escalation_before_delivery(struct store *st, struct outbox_work *w, bool *drop) WUR;

/* GET /api/v1/incidents/{id}/escalation: the path, each level's due time,
 * recipients and state (scheduled, sent, cancelled, failed). */
int escalation_state(struct db *db, int64_t org_id, int64_t incident_id, int64_t now,
		     json_t **out) WUR;

#endif
