/* /api/v1/channels: notification channels (administrators only). */
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "notify/notify.h"
#include "store/notify_store.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const kinds[] = {"email", "teams", "slack", "webhook", NULL};

static const struct field_spec create_fields[] = {
	{"name", F_STRING, true, false, 100, NULL, "a name to recognise the channel by"},
	{"kind", F_ENUM, true, false, 0, kinds, "email, teams, slack or webhook"},
	{"config", F_OBJECT, false, false, 0, NULL, "settings by kind (see docs/notifications.md)"},
	{"secrets", F_OBJECT, false, false, 0, NULL,
	 "password, webhook URL or signing secret: stored encrypted, never returned"},
	{"events", F_STRINGS, false, false, 20, NULL,
	 "event patterns this channel receives (default [\"*\"])"},
	{"enabled", F_BOOL, false, false, 0, NULL, "default true"},
	{NULL},
};

static const struct field_spec patch_fields[] = {
	{"name", F_STRING, false, false, 100, NULL, "new name"},
	{"config", F_OBJECT, false, false, 0, NULL, "replaces the settings"},
	{"secrets", F_OBJECT, false, false, 0, NULL,
	 "merged into the stored secrets (null removes one)"},
	{"events", F_STRINGS, false, false, 20, NULL, "event patterns"},
	{"enabled", F_BOOL, false, false, 0, NULL, "enable or disable"},
	{NULL},
};

static const struct field_spec test_fields[] = {
	{"subject", F_STRING, false, false, 200, NULL, "subject of the test message"},
	{"body", F_TEXT, false, false, 0, NULL, "text of the test message"},
	{NULL},
};

struct chan_job {
	int64_t org_id;
	const char *uid;
	int64_t version;
	struct channel_input in;
	struct audit_ctx ac;
	json_t *out;
	json_t *errors;
};

static bool notify_ready(struct req *r)
{
	const char *why = NULL;
	if (notify_init(&r->app->cfg, &why) < 0) {
		resp_problem(r, 500, NULL, why, NULL);
		return false;
	}
	return true;
}

static int create_tx(struct db *db, void *arg)
{
	struct chan_job *j = arg;
	json_decref(j->out);
	json_decref(j->errors);
	j->out = j->errors = NULL;
	return channel_create(db, &j->ac, j->org_id, &j->in, &j->out, &j->errors);
}

static int update_tx(struct db *db, void *arg)
{
	struct chan_job *j = arg;
	json_decref(j->out);
	json_decref(j->errors);
	j->out = j->errors = NULL;
	return channel_update(db, &j->ac, j->org_id, j->uid, j->version, &j->in, &j->out,
			      &j->errors);
}

static int delete_tx(struct db *db, void *arg)
{
	struct chan_job *j = arg;
	return channel_delete(db, &j->ac, j->org_id, j->uid);
}

static int finish(struct req *r, struct chan_job *j, int rc, int ok_status)
{
	if (rc == SIRT_EINVAL && j->errors) {
		json_decref(j->out);
		json_t *e = j->errors;
		j->errors = NULL;
		return api_invalid(r, e);
	}
	json_decref(j->errors);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such channel", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "a channel with this name exists already", NULL);
	if (rc == SIRT_EPRECOND)
		return resp_problem(r, 412, NULL,
				    "the channel was changed since you read it (ETag mismatch)", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "saving the channel");
	if (ok_status == 201)
		resp_header(r, "Location",
			    arena_printf(&r->arena, "/api/v1/channels/%s",
					 json_string_value(json_object_get(j->out, "id"))));
	api_etag(r, json_integer_value(json_object_get(j->out, "version")));
	return resp_json(r, ok_status, j->out);
}

static int h_create(struct req *r)
{
	json_t *body, *errors;
	if (!notify_ready(r) || req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct chan_job j = {.org_id = r->who.org_id, .ac = req_audit_ctx(r)};
	j.in.name = json_string_value(json_object_get(body, "name"));
	j.in.kind = json_string_value(json_object_get(body, "kind"));
	j.in.config = json_object_get(body, "config");
	j.in.secrets = json_object_get(body, "secrets");
	j.in.events = json_object_get(body, "events");
	json_t *en = json_object_get(body, "enabled");
	j.in.enabled = en ? json_is_true(en) : 1;
	int rc = store_tx(r->app->store, create_tx, &j);
	json_decref(body);
	return finish(r, &j, rc, 201);
}

static int h_patch(struct req *r)
{
	int64_t version;
	if (!notify_ready(r) || api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct chan_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			     .version = version, .ac = req_audit_ctx(r)};
	j.in.name = json_string_value(json_object_get(body, "name"));
	j.in.config = json_object_get(body, "config");
	j.in.secrets = json_object_get(body, "secrets");
	j.in.events = json_object_get(body, "events");
	json_t *en = json_object_get(body, "enabled");
	j.in.enabled = en ? json_is_true(en) : -1;
	int rc = store_tx(r->app->store, update_tx, &j);
	json_decref(body);
	return finish(r, &j, rc, 200);
}

static int h_delete(struct req *r)
{
	struct chan_job j = {.org_id = r->who.org_id, .uid = req_param(r, "id"),
			     .ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, delete_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such channel", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "deleting the channel");
	return resp_text(r, 204, NULL, "", 0);
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = channel_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such channel", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the channel");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static int h_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = channel_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing channels");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

/* Sends one message now, outside the outbox, and reports what happened. */
static int h_test(struct req *r)
{
	if (!notify_ready(r))
		return 0;
	json_t *body = NULL, *errors;
	if (r->body_len) {
		if (req_json(r, &body) < 0)
			return 0;
		if (validate_body(body, test_fields, &errors) < 0) {
			json_decref(body);
			return api_invalid(r, errors);
		}
	}
	struct db *db = api_db(r);
	if (!db) {
		json_decref(body);
		return 0;
	}
	struct channel_full ch;
	const char *why = NULL;
	int rc = channel_load(db, r->who.org_id, 0, req_param(r, "id"), &ch, &why);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(body);
		return resp_problem(r, 404, NULL, "no such channel", NULL);
	}
	if (rc < 0) {
		json_decref(body);
		return why ? resp_problem(r, 500, NULL, why, NULL)
			   : api_store_error(r, db, rc, "reading the channel");
	}
	const char *subject = json_string_value(json_object_get(body, "subject"));
	const char *text = json_string_value(json_object_get(body, "body"));
	char rnd[17], uid[37];
	rand_hex(rnd, 8);
	rand_uuid(uid);
	char *key = arena_printf(&r->arena, "test:%s:%s", ch.uid, rnd);
	struct notify_channel nc = {.uid = ch.uid, .name = ch.name, .kind = ch.kind,
				    .config = ch.config, .secrets = ch.secrets};
	struct notify_message m = {
		.uid = uid, .idem_key = key, .event = "channel.test",
		.subject = subject ? subject : "sirt test message",
		.body = text ? text : "This is a test message from sirt: the channel works.",
		.payload = "{}", .org_name = r->who.org_name, .created_at = time_now()};
	struct notify_result res;
	notify_deliver(notify_settings(), &nc, &m, &res);
	channel_full_free(&ch);
	json_decref(body);
	json_t *o = json_pack("{s:b, s:I, s:s?, s:s}", "ok", res.ok, "status",
			      (json_int_t)res.status, "error", res.ok ? NULL : res.error,
			      "idempotency_key", key);
	return resp_json(r, 200, o);
}

const struct route api_channels_routes[] = {
	{"GET", "/api/v1/channels", PERM_ADMIN, BODY_NONE, 0, h_list, NULL,
	 "List notification channels", "notifications", NULL, 0},
	{"POST", "/api/v1/channels", PERM_ADMIN, BODY_JSON, 0, h_create, NULL,
	 "Create a notification channel", "notifications", create_fields, 0},
	{"GET", "/api/v1/channels/{id}", PERM_ADMIN, BODY_NONE, 0, h_get, NULL,
	 "Read a channel (secrets are never returned)", "notifications", NULL, 0},
	{"PATCH", "/api/v1/channels/{id}", PERM_ADMIN, BODY_JSON, 0, h_patch, NULL,
	 "Change a channel (honours If-Match)", "notifications", patch_fields, 0},
	{"DELETE", "/api/v1/channels/{id}", PERM_ADMIN, BODY_NONE, 0, h_delete, NULL,
	 "Delete a channel; its pending messages are cancelled", "notifications", NULL, 0},
	{"POST", "/api/v1/channels/{id}/test", PERM_ADMIN, BODY_JSON, 0, h_test, NULL,
	 "Send a test message now and report the outcome", "notifications", test_fields, 0},
};
ROUTES_COUNT(api_channels);
