/*
 * The single place where a sent notification is written to its incident's
 * timeline, as a "communication" entry (with its audit entry) through the
 * incident log's own incident_timeline_add(). It runs inside the worker's
 * store_tx that marks the message sent, so the entry exists exactly when
 * the message is recorded as sent.
 */
#include "notify/worker.h"

#include <stdio.h>
#include <stdlib.h>

#include "audit/audit.h"
#include "store/incident_store.h"
#include "util/xalloc.h"

#define TIMELINE_SUBJECT_MAX 400

int notify_timeline_record(struct db *db, int64_t org_id, int64_t incident_id,
			   const char *channel_name, const char *channel_kind, const char *event,
			   const char *subject, int64_t sent_at)
{
	char uid[64];
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT uid FROM incidents WHERE id = $1 AND org_id = $2", 2,
			  DBV(DB_INT(incident_id), DB_INT(org_id)));
	if (rc < 0)
		return rc;
	bool found = db_next(r);
	if (found)
		snprintf(uid, sizeof(uid), "%s", db_text(r, 0));
	db_res_free(r);
	if (!found)
		return 0; /* nothing to record on */
	char *text = xasprintf("Notification sent via %s (%s, %s): %.*s", channel_name,
			       channel_kind, event, TIMELINE_SUBJECT_MAX, subject);
	struct audit_ctx ac = {.actor = "system:notify", .request_id = "", .client_addr = ""};
	struct timeline_new t = {.kind = "communication", .text = text, .occurred_at = sent_at};
	json_t *out = NULL;
	rc = incident_timeline_add(db, &ac, org_id, uid, &t, &out);
	json_decref(out);
	free(text);
	/* An entry the timeline refuses must not hold the message back as unsent
	 * (it would be delivered again and again). */
	return rc == SIRT_EINVAL ? 0 : rc;
}
