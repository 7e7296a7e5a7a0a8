/*
 * Evidence items and their chain of custody in the database. Every function
 * takes the organisation id and filters on it: another organisation's
 * incident or item is not found.
 *
 * The custody log (evidence_custody) is append-only: triggers refuse UPDATE
 * and DELETE. Each custody entry is also an audit-trail entry
 * ("evidence.<action>") written in the same transaction.
 */
#ifndef SIRT_EVIDENCE_STORE_H
#define SIRT_EVIDENCE_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

struct evidence_new {
	int64_t org_id;
	int64_t incident_id;      /* internal id, from evidence_incident_id() */
	const char *incident_uid;
	const char *file_name;
	const char *content_type;
	const char *description;
	const char *source;       /* where it was collected from (free text) */
	const char *collected_by;
	int64_t collected_at;
	const char *sha256;
	int64_t size;
	const char *blob_store;   /* "fs" or "db" */
};

/* The internal id of incident uid in org_id, or SIRT_ENOTFOUND. */
int evidence_incident_id(struct db *db, int64_t org_id, const char *incident_uid,
			 int64_t *id) WUR;
/* Inserts the item with its "upload" custody entry and audit entry; *out
 * gets the item as JSON. */
int evidence_insert(struct db *db, const struct audit_ctx *ac, const struct evidence_new *in,
		    json_t **out) WUR;
/* The incident's items, oldest first (at most 1000). */
int evidence_list(struct db *db, int64_t org_id, const char *incident_uid, json_t **items) WUR;
/* One item; with_custody adds "custody": [...] oldest first. The JSON also
 * carries "blob_store" (where the content is). */
int evidence_get(struct db *db, int64_t org_id, const char *incident_uid, const char *uid,
		 bool with_custody, json_t **out) WUR;
/*
 * Appends a custody entry for item uid: action is view, download, export,
 * handover (to_party required) or integrity_failure; reason may be "".
 * observed_sha is the hash seen at this event ("" when not read).
 */
int evidence_custody_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *uid, const char *action, const char *reason,
			 const char *to_party, const char *observed_sha) WUR;

#endif
