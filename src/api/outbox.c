/*
 * The outbox through the API: the administrators' view of every message
 * (/api/v1/outbox), a retry for failed ones, and the messages of one
 * incident (/api/v1/incidents/{id}/notifications), where a responder can
 * also send a message to the incident's channels.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "notify/outbox.h"
#include "store/notify_store.h"
#include "util/rand.h"
#include "util/xalloc.h"

static const char *const statuses[] = {"pending", "sent", "failed", "cancelled", NULL};

static const struct field_spec send_fields[] = {
	{"subject", F_STRING, true, false, OUTBOX_SUBJECT_MAX, NULL, "one line"},
	{"body", F_TEXT, false, false, OUTBOX_BODY_MAX, NULL, "plain text"},
	{"channel", F_STRING, false, false, 64, NULL,
	 "a channel id; default: every channel that takes incident.message"},
	{"recipients", F_STRINGS, false, false, 50, NULL,
	 "e-mail addresses replacing an e-mail channel's list"},
	{"idempotency_key", F_STRING, false, false, 100, NULL,
	 "makes a repeated request a no-op (default: a new key)"},
	{NULL},
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int list_common(struct req *r, int64_t incident_id)
{
	struct outbox_filter f = {.status = req_query(r, "status"), .incident_id = incident_id};
	if (api_limit(r, &f.limit) < 0)
		return 0;
	if (f.status && !in_list(statuses, f.status))
		return resp_problem(r, 400, NULL,
				    "status must be one of pending, sent, failed, cancelled", NULL);
	const char *cur = req_query(r, "cursor");
	if (cur && *cur) {
		char *end;
		long long v = strtoll(cur, &end, 10);
		if (end == cur || *end || v <= 0)
			return resp_problem(r, 400, NULL, "cursor is not one this server returned",
					    NULL);
		f.cursor_id = v;
	}
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int64_t next;
	int rc = outbox_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing notifications");
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_cursor",
			    next ? json_string(arena_printf(&r->arena, "%lld", (long long)next))
				 : json_null());
	return resp_json(r, 200, o);
}

static int h_list(struct req *r)
{
	return list_common(r, 0);
}

static int h_incident_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	int64_t id;
	int rc = notify_incident_id(db, r->who.org_id, req_param(r, "id"), &id);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the incident");
	return list_common(r, id);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = outbox_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such notification", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the notification");
	return resp_json(r, 200, o);
}

struct retry_job {
	int64_t org_id;
	const char *uid;
	struct audit_ctx ac;
	json_t *out;
};

static int retry_tx(struct db *db, void *arg)
{
	struct retry_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return outbox_retry(db, &j->ac, j->org_id, j->uid, &j->out);
}

static int h_retry(struct req *r)
{
	struct retry_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			      .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, retry_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such notification", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL,
				    "only a failed or pending message of an existing channel can be"
				    " retried",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "retrying the notification");
	return resp_json(r, 200, j.out);
}

struct send_job {
	int64_t org_id;
	const char *incident_uid;
	const char *channel_uid;
	struct outbox_msg m;
	struct audit_ctx ac;
	int queued;
	bool no_channel;
};

static int send_tx(struct db *db, void *arg)
{
	struct send_job *j = arg;
	j->queued = 0;
	int rc = notify_incident_id(db, j->org_id, j->incident_uid, &j->m.incident_id);
	if (rc < 0)
		return rc;
	if (j->channel_uid) {
		rc = db_query_int(db, &j->m.channel_id,
				  "SELECT id FROM notify_channels WHERE org_id = $1 AND uid = $2", 2,
				  DBV(DB_INT(j->org_id), DB_TEXT(j->channel_uid)));
		if (rc == SIRT_ENOTFOUND)
			j->no_channel = true;
		if (rc < 0)
			return rc;
	}
	rc = outbox_enqueue_count(db, &j->m, &j->queued);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s, s:i}", "incident", j->incident_uid, "subject",
			      j->m.subject, "queued", j->queued);
	rc = audit_append(db, &j->ac, j->org_id, "notification.send", "incident", j->incident_uid,
			  d);
	json_decref(d);
	return rc;
}

static int h_send(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, send_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	json_t *rcpt = json_object_get(body, "recipients");
	size_t i;
	json_t *v;
	json_array_foreach(rcpt, i, v) {
		if (!email_valid(json_string_value(v))) {
			json_decref(body);
			errors = NULL;
			validate_add(&errors, "recipients", "contains an invalid e-mail address");
			return api_invalid(r, errors);
		}
	}
	const char *key = json_string_value(json_object_get(body, "idempotency_key"));
	char rnd[33];
	rand_hex(rnd, 16);
	struct send_job j = {.org_id = r->who.org_id, .incident_uid = req_param(r, "id"),
			     .channel_uid = json_string_value(json_object_get(body, "channel")),
			     .ac = req_audit_ctx(r)};
	j.m.org_id = r->who.org_id;
	j.m.event = "incident.message";
	j.m.subject = json_string_value(json_object_get(body, "subject"));
	j.m.body = json_string_value(json_object_get(body, "body"));
	j.m.idem_key = arena_printf(&r->arena, "message:%s:%s", j.incident_uid, key ? key : rnd);
	char *rs = rcpt ? json_dumps(rcpt, JSON_COMPACT) : NULL;
	j.m.recipients = rs;
	json_t *p = json_pack("{s:s}", "sent_by", r->who.email ? r->who.email : "");
	char *ps = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	j.m.payload = ps;
	int rc = store_tx(r->app->store, send_tx, &j);
	free(rs);
	free(ps);
	json_decref(body);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, j.no_channel ? "no such channel" : "no such incident",
				    NULL);
	if (rc == SIRT_EINVAL)
		return resp_problem(r, 422, NULL, "the message is not valid (subject on one line,"
						  " UTF-8 text)", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "queueing the message");
	return resp_json(r, 202, json_pack("{s:i, s:s}", "queued", j.queued, "idempotency_key",
					   j.m.idem_key));
}

const struct route api_outbox_routes[] = {
	{"GET", "/api/v1/outbox", PERM_ADMIN, BODY_NONE, 0, h_list, NULL,
	 "Every queued, sent and failed notification (?status=, newest first)", "notifications",
	 NULL, 0},
	{"GET", "/api/v1/outbox/{id}", PERM_ADMIN, BODY_NONE, 0, h_get, NULL,
	 "One notification with every delivery attempt", "notifications", NULL, 0},
	{"POST", "/api/v1/outbox/{id}/retry", PERM_ADMIN, BODY_NONE, 0, h_retry, NULL,
	 "Send a failed notification again", "notifications", NULL, 0},
	{"GET", "/api/v1/incidents/{id}/notifications", PERM_READ, BODY_NONE, 0, h_incident_list,
	 NULL, "The notifications about an incident", "notifications", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/notifications", PERM_RESPOND, BODY_JSON, 0, h_send, NULL,
	 "Send a message about an incident through its channels", "notifications", send_fields, 0},
};
ROUTES_COUNT(api_outbox);
