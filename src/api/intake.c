/*
 * /api/v1/intake: the alert receivers (one per source kind, authenticated by
 * the configured source's own secret, not by a user), intake source
 * management, routing rules and the dry-run. See src/intake/intake.h for
 * what happens to a payload and docs/alerts.md for the senders' settings.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert.h"
#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/routes.h"
#include "intake/intake.h"
#include "store/alert_store.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static int h_receive(struct req *r);
static int s_receive(struct req *r, const char *data, size_t len);

static const char *const kinds[] = {"alertmanager", "grafana", "sentinel", "defender", "splunk",
				    "wazuh",        "elastic", "generic",  NULL};
static const char *const inc_severities[] = {"critical", "high", "medium", "low", NULL};
static const char *const actions[] = {"open", "attach", "record", NULL};

/* ---- receivers ---- */

/*
 * The body sink: one allocation of Content-Length bytes (the server's
 * default buffering copies the body on every chunk), doubling otherwise;
 * everything lives in the request arena.
 */
struct body_acc {
	char *buf;
	size_t len, cap;
};

static int s_receive(struct req *r, const char *data, size_t len)
{
	struct body_acc *acc = r->stream_state;
	if (!acc) {
		acc = arena_alloc(&r->arena, sizeof(*acc));
		memset(acc, 0, sizeof(*acc));
		r->stream_state = acc;
		const char *cl = req_header(r, "Content-Length");
		size_t want = cl ? strtoull(cl, NULL, 10) : 0;
		acc->cap = want && want <= ALERT_MAX_PAYLOAD ? want + 1 : 64 * 1024;
		acc->buf = arena_alloc(&r->arena, acc->cap);
	}
	if (len == 0) { /* end of body */
		acc->buf[acc->len] = '\0';
		r->body = acc->buf;
		r->body_len = acc->len;
		return 0;
	}
	if (acc->len + len > ALERT_MAX_PAYLOAD) {
		resp_problem(r, 413, NULL,
			     arena_printf(&r->arena,
					  "the payload is larger than the intake limit of %zu bytes;"
					  " nothing was stored",
					  ALERT_MAX_PAYLOAD),
			     NULL);
		return -1;
	}
	if (acc->len + len + 1 > acc->cap) {
		size_t nc = acc->cap * 2;
		while (nc < acc->len + len + 1)
			nc *= 2;
		char *nb = arena_alloc(&r->arena, nc);
		memcpy(nb, acc->buf, acc->len);
		acc->buf = nb;
		acc->cap = nc;
	}
	memcpy(acc->buf + acc->len, data, len);
	acc->len += len;
	return 0;
}

static const char *intake_secret(struct req *r)
{
	const char *h = req_header(r, "X-Sirt-Intake-Token");
	if (h && *h)
		return h;
	const char *auth = req_header(r, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		auth += 7;
		while (*auth == ' ')
			auth++;
		return auth;
	}
	const char *q = req_query(r, "token");
	return q && *q ? q : NULL;
}

static int unauthorised(struct req *r, const char *why)
{
	resp_header(r, "WWW-Authenticate", "Bearer realm=\"sirt-intake\"");
	return resp_problem(r, 401, NULL, why, NULL);
}

static int h_receive(struct req *r)
{
	const char *kind = req_param(r, "source");
	if (!alert_source_valid(kind))
		return resp_problem(r, 404, NULL,
				    arena_printf(&r->arena,
						 "no intake endpoint for '%s'; sources: alertmanager,"
						 " grafana, sentinel, defender, splunk, wazuh, elastic,"
						 " generic",
						 kind),
				    NULL);
	const char *secret = intake_secret(r);
	if (!secret)
		return unauthorised(r, "intake needs the source's secret: 'Authorization: Bearer"
				       " <secret>', 'X-Sirt-Intake-Token: <secret>' or ?token=");
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct intake_source_auth src;
	int rc = intake_source_authenticate(db, secret, &src);
	if (rc == SIRT_EAUTH)
		return unauthorised(r, "unknown or revoked intake secret");
	if (rc < 0)
		return api_store_error(r, db, rc, "authenticating the intake source");
	if (!src.enabled)
		return resp_problem(r, 403, NULL,
				    arena_printf(&r->arena, "intake source '%s' is disabled",
						 src.name),
				    NULL);
	if (strcmp(src.kind, kind) != 0)
		return resp_problem(r, 403, NULL,
				    arena_printf(&r->arena,
						 "this secret belongs to intake source '%s', which"
						 " takes %s payloads at /api/v1/intake/%s",
						 src.name, src.kind, src.kind),
				    NULL);
	r->authenticated = true;
	r->who.org_id = src.org_id;
	r->who.actor = arena_printf(&r->arena, "intake:%s", src.name);

	if (!r->body || r->body_len == 0)
		return resp_problem(r, 400, NULL, "the payload is empty; nothing was stored", NULL);
	if (memchr(r->body, '\0', r->body_len))
		return resp_problem(r, 400, NULL,
				    "the payload contains a NUL byte, so it is not JSON; nothing was"
				    " stored",
				    NULL);
	struct alert_batch batch;
	alert_batch_init(&batch, kind);
	struct strbuf err;
	sb_init(&err, 4096);
	rc = alert_parse(kind, r->body, r->body_len, &batch, &err);
	if (rc < 0) {
		const char *msg = sb_status(&err) == 0 && err.len ? sb_str(&err) : "malformed payload";
		char *d = arena_printf(&r->arena, "%s; nothing was stored", msg);
		sb_free(&err);
		alert_batch_free(&batch);
		return resp_problem(r, rc == SIRT_ETOOBIG ? 413 : 400, NULL, d, NULL);
	}
	sb_free(&err);

	struct intake_job j = {
		.org_id = src.org_id,
		.source_id = src.id,
		.source_name = src.name,
		.kind = kind,
		.body = r->body,
		.len = r->body_len,
		.content_type = req_header(r, "Content-Type"),
		.batch = &batch,
		.now = time_now(),
		.ac = req_audit_ctx(r),
	};
	j.ac.actor = r->who.actor;
	j.touch_source = src.last_used_at < j.now - 60;
	j.bulk = store_is_postgres(r->app->store);
	if (batch.n == 0) {
		alert_batch_free(&batch);
		return resp_json(r, 200, json_pack("{s:n, s:i, s:s}", "payload_id", "received", 0,
						   "note", "the payload holds no alerts; nothing was stored"));
	}
	sha256_hex(j.digest, r->body, r->body_len);
	rc = intake_rules_load(db, src.org_id, &j.rules, &j.nrules);
	if (rc < 0) {
		alert_batch_free(&batch);
		return api_store_error(r, db, rc, "loading the intake rules");
	}
	intake_prepare(&j);
	rc = store_tx(r->app->store, intake_store_batch, &j);
	if (rc == SIRT_ECONFLICT) {
		char at[ISO8601_LEN];
		time_format_iso8601(j.replay_at, at);
		json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:I}", "type", "about:blank", "title",
				      "Conflict", "status", 409, "detail",
				      arena_printf(&r->arena,
						   "replay: this exact payload was accepted at %s as"
						   " payload %lld; nothing was stored",
						   at, (long long)j.replay_of),
				      "replay_of", (json_int_t)j.replay_of);
		resp_json(r, 409, p);
		r->content_type = "application/problem+json";
	} else if (rc < 0) {
		api_store_error(r, NULL, rc, "storing alerts");
	} else {
		resp_json(r, 200, intake_result_json(&j));
	}
	intake_job_free(&j);
	intake_rules_free(j.rules, j.nrules);
	alert_batch_free(&batch);
	return 0;
}

/* ---- intake sources ---- */

static const struct field_spec source_create_fields[] = {
	{"name", F_STRING, true, false, 100, NULL, "a name for the sender, e.g. prod-alertmanager"},
	{"kind", F_ENUM, true, false, 0, kinds, "the payload format it sends"},
	{NULL},
};

static const struct field_spec source_patch_fields[] = {
	{"name", F_STRING, false, false, 100, NULL, "a new name"},
	{"enabled", F_BOOL, false, false, 0, NULL, "false refuses its payloads (401 stays 403)"},
	{NULL},
};

struct source_job {
	int64_t org_id;
	const char *ref, *name, *kind, *by;
	int enabled;
	int op; /* 0 create, 1 rotate, 2 update, 3 delete */
	struct audit_ctx ac;
	json_t *out;
};

static int source_tx(struct db *db, void *arg)
{
	struct source_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	switch (j->op) {
	case 0: return intake_source_create(db, &j->ac, j->org_id, j->name, j->kind, j->by, &j->out);
	case 1: return intake_source_rotate(db, &j->ac, j->org_id, j->ref, &j->out);
	case 2:
		return intake_source_update(db, &j->ac, j->org_id, j->ref, j->name, j->enabled,
					    &j->out);
	default: return intake_source_delete(db, &j->ac, j->org_id, j->ref);
	}
}

static int source_run(struct req *r, struct source_job *j, int ok_status)
{
	j->org_id = r->who.org_id;
	j->ac = req_audit_ctx(r);
	int rc = store_tx(r->app->store, source_tx, j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such intake source", NULL);
	if (rc == SIRT_ECONFLICT)
		return resp_problem(r, 409, NULL, "an intake source with that name exists already",
				    NULL);
	if (rc == SIRT_EINVAL)
		return resp_problem(r, 422, NULL, "name must be 1 to 100 characters on one line",
				    NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "changing the intake source");
	if (ok_status == 204) {
		r->status = 204;
		r->content_type = NULL;
		return 0;
	}
	return resp_json(r, ok_status, j->out);
}

static int h_source_create(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, source_create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct source_job j = {.op = 0,
			       .name = json_string_value(json_object_get(body, "name")),
			       .kind = json_string_value(json_object_get(body, "kind")),
			       .by = r->who.email};
	int rc = source_run(r, &j, 201);
	json_decref(body);
	return rc;
}

static int h_source_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = intake_source_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing intake sources");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_source_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = intake_source_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such intake source", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the intake source");
	return resp_json(r, 200, o);
}

static int h_source_rotate(struct req *r)
{
	struct source_job j = {.op = 1, .ref = req_param(r, "id")};
	return source_run(r, &j, 200);
}

static int h_source_patch(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, source_patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	json_t *en = json_object_get(body, "enabled");
	struct source_job j = {.op = 2,
			       .ref = req_param(r, "id"),
			       .name = json_string_value(json_object_get(body, "name")),
			       .enabled = en ? json_is_true(en) : -1};
	int rc = source_run(r, &j, 200);
	json_decref(body);
	return rc;
}

static int h_source_delete(struct req *r)
{
	struct source_job j = {.op = 3, .ref = req_param(r, "id")};
	return source_run(r, &j, 204);
}

/* ---- rules ---- */

static const struct field_spec rule_create_fields[] = {
	{"name", F_STRING, true, false, 100, NULL, "unique name"},
	{"position", F_INT, false, false, 0, NULL, "1 = first; default last"},
	{"enabled", F_BOOL, false, false, 0, NULL, "default true"},
	{"match", F_OBJECT, false, false, 0, NULL,
	 "conditions: source, severity, min_severity, labels, title_contains, entity_kinds"},
	{"action", F_ENUM, true, false, 0, actions, "open, attach or record"},
	{"category", F_STRING, false, true, 64, NULL, "category of incidents it opens"},
	{"severity", F_ENUM, false, true, 0, inc_severities,
	 "severity of incidents it opens; null = from the alert"},
	{"group_by", F_STRINGS, false, false, RULE_MAX_GROUP_BY, NULL,
	 "source, fingerprint, title, severity, labels.<name>, entities.<kind>"},
	{"group_window", F_INT, false, false, 0, NULL, "seconds an episode stays open (3600)"},
	{"resolve_note", F_BOOL, false, false, 0, NULL,
	 "note alert resolutions on the incident's timeline (true)"},
	{NULL},
};

static const struct field_spec rule_patch_fields[] = {
	{"name", F_STRING, false, false, 100, NULL, "unique name"},
	{"position", F_INT, false, false, 0, NULL, "1 = first"},
	{"enabled", F_BOOL, false, false, 0, NULL, "enabled"},
	{"match", F_OBJECT, false, false, 0, NULL, "conditions"},
	{"action", F_ENUM, false, false, 0, actions, "open, attach or record"},
	{"category", F_STRING, false, true, 64, NULL, "category of incidents it opens"},
	{"severity", F_ENUM, false, true, 0, inc_severities, "severity of incidents it opens"},
	{"group_by", F_STRINGS, false, false, RULE_MAX_GROUP_BY, NULL, "group fields"},
	{"group_window", F_INT, false, false, 0, NULL, "seconds"},
	{"resolve_note", F_BOOL, false, false, 0, NULL, "note resolutions"},
	{NULL},
};

struct rule_job {
	int64_t org_id;
	const char *ref;
	int64_t version;
	json_t *body;
	int op; /* 0 create, 1 update, 2 delete */
	struct audit_ctx ac;
	json_t *out;
	char err[256];
};

static int rule_tx(struct db *db, void *arg)
{
	struct rule_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	j->err[0] = '\0';
	switch (j->op) {
	case 0:
		return intake_rule_create(db, &j->ac, j->org_id, j->body, &j->out, j->err,
					  sizeof(j->err));
	case 1:
		return intake_rule_update(db, &j->ac, j->org_id, j->ref, j->version, j->body,
					  &j->out, j->err, sizeof(j->err));
	default: return intake_rule_delete(db, &j->ac, j->org_id, j->ref);
	}
}

static int rule_run(struct req *r, struct rule_job *j, int ok_status)
{
	j->org_id = r->who.org_id;
	j->ac = req_audit_ctx(r);
	int rc = store_tx(r->app->store, rule_tx, j);
	if (rc == SIRT_EINVAL) {
		json_t *errors = NULL;
		char *colon = strchr(j->err, ':');
		char *field = colon ? arena_strndup(&r->arena, j->err, (size_t)(colon - j->err))
				    : "body";
		validate_add(&errors, field, colon ? colon + 2 : j->err);
		return api_invalid(r, errors);
	}
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rule", NULL);
	if (rc == SIRT_ECONFLICT || rc == SIRT_ETOOBIG)
		return resp_problem(r, 409, NULL, j->err, NULL);
	if (rc == SIRT_EPRECOND)
		return resp_problem(r, 412, NULL,
				    "the rule was changed since you read it (ETag mismatch)", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "changing the rule");
	if (ok_status == 204) {
		r->status = 204;
		r->content_type = NULL;
		return 0;
	}
	api_etag(r, json_integer_value(json_object_get(j->out, "version")));
	return resp_json(r, ok_status, j->out);
}

static int h_rule_create(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, rule_create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct rule_job j = {.op = 0, .body = body};
	int rc = rule_run(r, &j, 201);
	json_decref(body);
	return rc;
}

static int h_rule_patch(struct req *r)
{
	int64_t version;
	if (api_if_match(r, &version) < 0)
		return 0;
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, rule_patch_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct rule_job j = {.op = 1, .body = body, .ref = req_param(r, "id"), .version = version};
	int rc = rule_run(r, &j, 200);
	json_decref(body);
	return rc;
}

static int h_rule_delete(struct req *r)
{
	struct rule_job j = {.op = 2, .ref = req_param(r, "id")};
	return rule_run(r, &j, 204);
}

static int h_rule_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = intake_rule_list(db, r->who.org_id, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing rules");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_rule_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = intake_rule_get(db, r->who.org_id, req_param(r, "id"), &o);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such rule", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the rule");
	api_etag(r, json_integer_value(json_object_get(o, "version")));
	return resp_json(r, 200, o);
}

static const struct field_spec dry_run_fields[] = {
	{"source", F_ENUM, true, false, 0, kinds, "the source kind whose format payload is in"},
	{"payload", F_OBJECT, true, false, 0, NULL,
	 "the payload as the tool sends it (an object, an array, or the body as a string)"},
	{NULL},
};

static int h_dry_run(struct req *r)
{
	json_t *body;
	if (req_json(r, &body) < 0)
		return 0;
	json_t *errors = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (strcmp(k, "source") != 0 && strcmp(k, "payload") != 0)
			validate_add(&errors, k, "unknown field");
	}
	const char *kind = json_string_value(json_object_get(body, "source"));
	json_t *payload = json_object_get(body, "payload");
	if (!kind || !alert_source_valid(kind))
		validate_add(&errors, "source",
			     "required: alertmanager, grafana, sentinel, defender, splunk, wazuh,"
			     " elastic or generic");
	if (!payload)
		validate_add(&errors, "payload", "required: the payload as the tool sends it");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	char *text = json_is_string(payload) ? xstrdup(json_string_value(payload))
					     : json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	struct alert_batch batch;
	alert_batch_init(&batch, kind);
	struct strbuf err;
	sb_init(&err, 4096);
	int rc = alert_parse(kind, text, strlen(text), &batch, &err);
	if (rc < 0) {
		char *d = arena_strdup(&r->arena, err.len ? sb_str(&err) : "malformed payload");
		sb_free(&err);
		alert_batch_free(&batch);
		free(text);
		json_decref(body);
		return resp_problem(r, rc == SIRT_ETOOBIG ? 413 : 400, NULL, d, NULL);
	}
	sb_free(&err);
	struct intake_job j = {.org_id = r->who.org_id, .kind = kind, .batch = &batch,
			       .now = time_now()};
	sha256_hex(j.digest, text, strlen(text));
	struct db *db = api_db(r);
	json_t *out = NULL;
	if (db) {
		rc = intake_rules_load(db, r->who.org_id, &j.rules, &j.nrules);
		if (rc == 0) {
			intake_prepare(&j);
			rc = intake_dry_run(db, &j, &out);
		}
		if (rc < 0)
			api_store_error(r, db, rc, "dry-running the rules");
		else
			resp_json(r, 200, out);
	}
	intake_job_free(&j);
	intake_rules_free(j.rules, j.nrules);
	alert_batch_free(&batch);
	free(text);
	json_decref(body);
	return 0;
}

#define BODY_2M ((size_t)2 << 20)

const struct route api_intake_routes[] = {
	{"GET", "/api/v1/intake/sources", PERM_MANAGE, BODY_NONE, 0, h_source_list, NULL,
	 "List intake sources", "intake", NULL, 0},
	{"POST", "/api/v1/intake/sources", PERM_ADMIN, BODY_JSON, 0, h_source_create, NULL,
	 "Create an intake source; the response shows its secret once", "intake",
	 source_create_fields, 0},
	{"GET", "/api/v1/intake/sources/{id}", PERM_MANAGE, BODY_NONE, 0, h_source_get, NULL,
	 "Read an intake source (by id or name)", "intake", NULL, 0},
	{"PATCH", "/api/v1/intake/sources/{id}", PERM_ADMIN, BODY_JSON, 0, h_source_patch, NULL,
	 "Rename, enable or disable an intake source", "intake", source_patch_fields, 0},
	{"DELETE", "/api/v1/intake/sources/{id}", PERM_ADMIN, BODY_NONE, 0, h_source_delete, NULL,
	 "Delete an intake source (its secret stops working; alerts stay)", "intake", NULL, 0},
	{"POST", "/api/v1/intake/sources/{id}/rotate", PERM_ADMIN, BODY_NONE, 0, h_source_rotate,
	 NULL, "Replace an intake source's secret; the response shows it once", "intake", NULL, 0},
	{"POST", "/api/v1/intake/rules/dry-run", PERM_READ, BODY_JSON, BODY_2M, h_dry_run, NULL,
	 "What the rules would do with a payload, writing nothing", "intake", dry_run_fields, 0},
	{"GET", "/api/v1/intake/rules", PERM_READ, BODY_NONE, 0, h_rule_list, NULL,
	 "List routing rules in order", "intake", NULL, 0},
	{"POST", "/api/v1/intake/rules", PERM_MANAGE, BODY_JSON, 0, h_rule_create, NULL,
	 "Create a routing rule", "intake", rule_create_fields, 0},
	{"GET", "/api/v1/intake/rules/{id}", PERM_READ, BODY_NONE, 0, h_rule_get, NULL,
	 "Read a routing rule (by id or name)", "intake", NULL, 0},
	{"PATCH", "/api/v1/intake/rules/{id}", PERM_MANAGE, BODY_JSON, 0, h_rule_patch, NULL,
	 "Change a routing rule (honours If-Match)", "intake", rule_patch_fields, 0},
	{"DELETE", "/api/v1/intake/rules/{id}", PERM_MANAGE, BODY_NONE, 0, h_rule_delete, NULL,
	 "Delete a routing rule", "intake", NULL, 0},
	{"POST", "/api/v1/intake/{source}", PERM_INTAKE, BODY_ANY, ALERT_MAX_PAYLOAD, h_receive,
	 s_receive, "Receive alerts from a monitoring or security tool (source secret)", "intake",
	 NULL, 0},
};
ROUTES_COUNT(api_intake);
