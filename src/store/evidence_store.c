#include "store/evidence_store.h"

#include <stdio.h>
#include <string.h>

#include "util/rand.h"
#include "util/timeutil.h"

#define EVIDENCE_COLS                                                                       \
	"e.id, e.uid, i.uid, e.file_name, e.size, e.sha256, e.content_type, e.description,"  \
	" e.collected_by, e.collected_at, e.source, e.blob_store, e.created_at"

static json_t *time_json(int64_t t);
static json_t *row_to_json(const struct db_res *r);
static int custody_of(struct db *db, int64_t evidence_id, json_t *item, bool with_entries);

static json_t *time_json(int64_t t)
{
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	return json_string(buf);
}

static json_t *row_to_json(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 1)));
	json_object_set_new(o, "incident", json_string(db_text(r, 2)));
	json_object_set_new(o, "file_name", json_string(db_text(r, 3)));
	json_object_set_new(o, "size", json_integer(db_int(r, 4)));
	json_object_set_new(o, "sha256", json_string(db_text(r, 5)));
	json_object_set_new(o, "content_type", json_string(db_text(r, 6)));
	json_object_set_new(o, "description", json_string(db_text(r, 7)));
	json_object_set_new(o, "collected_by", json_string(db_text(r, 8)));
	json_object_set_new(o, "collected_at", time_json(db_int(r, 9)));
	json_object_set_new(o, "source", json_string(db_text(r, 10)));
	json_object_set_new(o, "blob_store", json_string(db_text(r, 11)));
	json_object_set_new(o, "created_at", time_json(db_int(r, 12)));
	return o;
}

int evidence_incident_id(struct db *db, int64_t org_id, const char *incident_uid, int64_t *id)
{
	return db_query_int(db, id, "SELECT id FROM incidents WHERE org_id = $1 AND uid = $2", 2,
			    DBV(DB_INT(org_id), DB_TEXT(incident_uid)));
}

static int custody_insert(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			  int64_t evidence_id, const char *uid, const char *action,
			  const char *reason, const char *to_party, const char *sha)
{
	int rc = db_exec(db,
			 "INSERT INTO evidence_custody(org_id, evidence_id, action, actor, at, reason,"
			 " to_party, sha256, request_id, client_addr)"
			 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			 10,
			 DBV(DB_INT(org_id), DB_INT(evidence_id), DB_TEXT(action), DB_TEXT(ac->actor),
			     DB_INT(time_now()), DB_TEXT(reason ? reason : ""), DB_TEXT(to_party),
			     DB_TEXT(sha ? sha : ""), DB_TEXT(ac->request_id ? ac->request_id : ""),
			     DB_TEXT(ac->client_addr ? ac->client_addr : "")));
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:s}", "action", action, "reason", reason ? reason : "",
			      "sha256", sha ? sha : "");
	if (to_party)
		json_object_set_new(d, "to", json_string(to_party));
	char act[64];
	snprintf(act, sizeof(act), "evidence.%s", action);
	rc = audit_append(db, ac, org_id, act, "evidence", uid, d);
	json_decref(d);
	return rc;
}

int evidence_insert(struct db *db, const struct audit_ctx *ac, const struct evidence_new *in,
		    json_t **out)
{
	char uid[37];
	rand_uuid(uid);
	int64_t now = time_now();
	int64_t id;
	int rc = db_query_int(
		db, &id,
		"INSERT INTO evidence(uid, org_id, incident_id, file_name, size, sha256, content_type,"
		" description, collected_by, collected_at, source, blob_store, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
		13,
		DBV(DB_TEXT(uid), DB_INT(in->org_id), DB_INT(in->incident_id), DB_TEXT(in->file_name),
		    DB_INT(in->size), DB_TEXT(in->sha256), DB_TEXT(in->content_type),
		    DB_TEXT(in->description ? in->description : ""), DB_TEXT(in->collected_by),
		    DB_INT(in->collected_at ? in->collected_at : now),
		    DB_TEXT(in->source ? in->source : ""), DB_TEXT(in->blob_store), DB_INT(now)));
	if (rc < 0)
		return rc;
	rc = custody_insert(db, ac, in->org_id, id, uid, "upload", "", NULL, in->sha256);
	if (rc < 0)
		return rc;
	return evidence_get(db, in->org_id, in->incident_uid, uid, true, out);
}

int evidence_list(struct db *db, int64_t org_id, const char *incident_uid, json_t **items)
{
	int64_t iid;
	int rc = evidence_incident_id(db, org_id, incident_uid, &iid);
	if (rc < 0)
		return rc;
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT " EVIDENCE_COLS " FROM evidence e JOIN incidents i ON i.id = e.incident_id"
		      " WHERE e.org_id = $1 AND e.incident_id = $2 ORDER BY e.id LIMIT 1000",
		      2, DBV(DB_INT(org_id), DB_INT(iid)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	while (db_next(r))
		json_array_append_new(arr, row_to_json(r));
	db_res_free(r);
	*items = arr;
	return 0;
}

/* Adds "custodian" (who holds it now) and, when asked, "custody": [...]. */
static int custody_of(struct db *db, int64_t evidence_id, json_t *item, bool with_entries)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT action, actor, at, reason, to_party, sha256, request_id"
			  " FROM evidence_custody WHERE evidence_id = $1 ORDER BY id",
			  1, DBV(DB_INT(evidence_id)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	json_t *holder = json_incref(json_object_get(item, "collected_by"));
	while (db_next(r)) {
		const char *action = db_text(r, 0);
		json_t *e = json_pack("{s:s, s:s, s:o, s:s, s:s}", "action", action, "actor",
				      db_text(r, 1), "at", time_json(db_int(r, 2)), "reason",
				      db_text(r, 3), "sha256", db_text(r, 5));
		json_object_set_new(e, "to", db_isnull(r, 4) ? json_null() : json_string(db_text(r, 4)));
		json_object_set_new(e, "request_id", json_string(db_text(r, 6)));
		if (strcmp(action, "handover") == 0 && !db_isnull(r, 4)) {
			json_decref(holder);
			holder = json_string(db_text(r, 4));
		}
		json_array_append_new(arr, e);
	}
	db_res_free(r);
	json_object_set_new(item, "custodian", holder);
	if (with_entries)
		json_object_set_new(item, "custody", arr);
	else
		json_decref(arr);
	return 0;
}

int evidence_get(struct db *db, int64_t org_id, const char *incident_uid, const char *uid,
		 bool with_custody, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " EVIDENCE_COLS " FROM evidence e JOIN incidents i ON i.id = e.incident_id"
			  " WHERE e.org_id = $1 AND e.uid = $2 AND (CAST($3 AS TEXT) IS NULL OR i.uid = $3)",
			  3, DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(incident_uid)));
	if (rc < 0)
		return rc;
	json_t *o = NULL;
	int64_t id = 0;
	if (db_next(r)) {
		o = row_to_json(r);
		id = db_int(r, 0);
	}
	db_res_free(r);
	if (!o)
		return SIRT_ENOTFOUND;
	rc = custody_of(db, id, o, with_custody);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int evidence_custody_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *uid, const char *action, const char *reason,
			 const char *to_party, const char *observed_sha)
{
	int64_t id;
	int rc = db_query_int(db, &id, "SELECT id FROM evidence WHERE org_id = $1 AND uid = $2", 2,
			      DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	if (strcmp(action, "handover") == 0 && (!to_party || !*to_party))
		return SIRT_EINVAL;
	return custody_insert(db, ac, org_id, id, uid, action, reason, to_party, observed_sha);
}
