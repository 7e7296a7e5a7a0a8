/*
 * The single place where a sent notification is written to its incident's
 * timeline as a communication. The timeline table belongs to the incident
 * log (issue 4, being written in parallel); until it is merged this
 * function records nothing, and the outbox row itself (visible at
 * GET /api/v1/incidents/{id}/notifications) is the record. Wire it to the
 * timeline's insert function at merge time: it runs inside the worker's
 * store_tx that marks the message sent.
 */
#include "notify/worker.h"

int notify_timeline_record(struct db *db, int64_t org_id, int64_t incident_id,
			   const char *channel_name, const char *channel_kind, const char *event,
			   const char *subject, int64_t sent_at)
{
	(void)db;
	(void)org_id;
	(void)incident_id;
	(void)channel_name;
	(void)channel_kind;
	(void)event;
	(void)subject;
	(void)sent_at;
	return 0;
}
