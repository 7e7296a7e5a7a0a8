#include "store/notify_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "store/db_json.h"
#include "notify/outbox.h"
#include "notify/worker.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CHANNEL_COLS                                                                   \
	"uid, name, kind, config, secret_names, events, enabled, created_at, updated_at," \
	" version, id"
#define OUTBOX_COLS                                                                         \
	"o.uid, o.channel_name, o.channel_kind, c.uid, i.uid, i.key, o.idem_key, o.event,"     \
	" o.subject, o.status, o.attempts, o.max_attempts, o.next_attempt_at, o.leased_until," \
	" o.leased_by, o.last_error, o.last_status, o.created_at, o.sent_at, o.id, o.body"
#define EVENTS_MAX 20

static json_t *time_json(const struct db_res *r, int col);
static json_t *parse_json_col(const char *s);
static json_t *channel_row(const struct db_res *r);
static json_t *outbox_row(const struct db_res *r, bool with_body);
static int check_events(json_t *events, json_t **errors);
static int seal_json(json_t *secrets, unsigned char **blob, size_t *len, const char **why);
static json_t *secret_names(json_t *secrets);
static char *dupnull(const char *s);

static json_t *time_json(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

static json_t *parse_json_col(const char *s)
{
	json_error_t e;
	json_t *v = s ? json_loads(s, 0, &e) : NULL;
	return v ? v : json_null();
}

static char *dupnull(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static json_t *channel_row(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 0)));
	json_object_set_new(o, "name", json_string(db_text(r, 1)));
	json_object_set_new(o, "kind", json_string(db_text(r, 2)));
	json_object_set_new(o, "config", parse_json_col(db_text(r, 3)));
	json_object_set_new(o, "secrets_set", parse_json_col(db_text(r, 4)));
	json_object_set_new(o, "events", parse_json_col(db_text(r, 5)));
	json_object_set_new(o, "enabled", json_boolean(db_int(r, 6) != 0));
	json_object_set_new(o, "created_at", time_json(r, 7));
	json_object_set_new(o, "updated_at", time_json(r, 8));
	json_object_set_new(o, "version", json_integer(db_int(r, 9)));
	return o;
}

static int check_events(json_t *events, json_t **errors)
{
	if (!json_is_array(events) || json_array_size(events) == 0 ||
	    json_array_size(events) > EVENTS_MAX) {
		validate_add(errors, "events", "must be a list of 1 to 20 event patterns");
		return SIRT_EINVAL;
	}
	size_t i;
	json_t *v;
	json_array_foreach(events, i, v) {
		const char *s = json_string_value(v);
		bool ok = s && *s && strlen(s) <= 64;
		for (const char *p = s; ok && *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			      *p == '.' || *p == '*'))
				ok = false;
		if (!ok) {
			validate_add(errors, "events",
				     "each pattern is an event name like incident.created,"
				     " a prefix like clock.* or *");
			return SIRT_EINVAL;
		}
	}
	return 0;
}

static json_t *secret_names(json_t *secrets)
{
	json_t *a = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(secrets, k, v) {
		(void)v;
		json_array_append_new(a, json_string(k));
	}
	return a;
}

static int seal_json(json_t *secrets, unsigned char **blob, size_t *len, const char **why)
{
	char *s = json_dumps(secrets, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		fatal("json_dumps failed");
	int rc = notify_seal(s, strlen(s), blob, len, why);
	notify_secret_free(s);
	return rc;
}

static bool name_ok(const char *name)
{
	return name && *name && strlen(name) <= 100 && text_is_single_line(name) &&
	       strspn(name, " ") != strlen(name);
}

int channel_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		   const struct channel_input *in, json_t **out, json_t **errors)
{
	json_t *config = in->config ? json_incref(in->config) : json_object();
	json_t *secrets = in->secrets ? json_incref(in->secrets) : json_object();
	json_t *events = in->events ? json_incref(in->events) : json_pack("[s]", "*");
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	int rc;
	if (!name_ok(in->name))
		validate_add(errors, "name", "must be 1 to 100 characters on one line");
	(void)notify_channel_check(in->kind, config, secrets, true, errors);
	(void)check_events(events, errors);
	if (*errors) {
		rc = SIRT_EINVAL;
		goto out;
	}
	int64_t dup;
	rc = db_query_int(db, &dup, "SELECT id FROM notify_channels WHERE org_id = $1 AND name = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(in->name)));
	if (rc == 0) {
		rc = SIRT_ECONFLICT;
		goto out;
	}
	if (rc != SIRT_ENOTFOUND)
		goto out;
	const char *why = NULL;
	if (json_object_size(secrets) && (rc = seal_json(secrets, &blob, &bloblen, &why)) < 0) {
		validate_add(errors, "secrets", why);
		goto out;
	}
	char uid[37];
	rand_uuid(uid);
	int64_t now = time_now();
	char *cs = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *names = secret_names(secrets);
	char *ns = json_dumps(names, JSON_COMPACT);
	char *es = json_dumps(events, JSON_COMPACT);
	json_decref(names);
	rc = db_exec(db,
		     "INSERT INTO notify_channels(uid, org_id, name, kind, config, secret,"
		     " secret_names, events, enabled, created_at, updated_at, version)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)",
		     10,
		     DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(in->name), DB_TEXT(in->kind),
			 DB_TEXT(cs), blob ? DB_BLOB(blob, bloblen) : DB_NULL(), DB_TEXT(ns),
			 DB_TEXT(es), DB_INT(in->enabled != 0), DB_INT(now)));
	free(cs);
	free(ns);
	free(es);
	if (rc < 0)
		goto out;
	json_t *d = json_pack("{s:s, s:s}", "name", in->name, "kind", in->kind);
	rc = audit_append(db, ac, org_id, "channel.create", "channel", uid, d);
	json_decref(d);
	if (rc == 0)
		rc = channel_get(db, org_id, uid, out);
out:
	free(blob);
	json_decref(config);
	json_decref(secrets);
	json_decref(events);
	return rc;
}

int channel_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		   int64_t expect_version, const struct channel_input *in, json_t **out,
		   json_t **errors)
{
	struct channel_full cur = {0};
	const char *why = NULL;
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	json_t *config = NULL, *secrets = NULL, *events = NULL;
	int rc = channel_load(db, org_id, 0, uid, &cur, &why);
	if (rc < 0) {
		if (rc != SIRT_ENOTFOUND && why)
			validate_add(errors, "secrets", why);
		goto out;
	}
	int64_t version;
	rc = db_query_int(db, &version, "SELECT version FROM notify_channels WHERE id = $1", 1,
			  DBV(DB_INT(cur.id)));
	if (rc < 0)
		goto out;
	if (expect_version && expect_version != version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	const char *name = in->name ? in->name : cur.name;
	config = json_incref(in->config ? in->config : cur.config);
	secrets = cur.secrets ? json_deep_copy(cur.secrets) : json_object();
	if (in->secrets) {
		const char *k;
		json_t *v;
		json_object_foreach(in->secrets, k, v) {
			if (json_is_null(v))
				json_object_del(secrets, k);
			else
				json_object_set(secrets, k, v);
		}
	}
	if (in->name && !name_ok(in->name))
		validate_add(errors, "name", "must be 1 to 100 characters on one line");
	(void)notify_channel_check(cur.kind, config, secrets, true, errors);
	if (in->events) {
		events = json_incref(in->events);
		(void)check_events(events, errors);
	}
	if (*errors) {
		rc = SIRT_EINVAL;
		goto out;
	}
	if (in->name && strcmp(in->name, cur.name)) {
		int64_t dup;
		rc = db_query_int(db, &dup,
				  "SELECT id FROM notify_channels WHERE org_id = $1 AND name = $2", 2,
				  DBV(DB_INT(org_id), DB_TEXT(in->name)));
		if (rc == 0) {
			rc = SIRT_ECONFLICT;
			goto out;
		}
		if (rc != SIRT_ENOTFOUND)
			goto out;
	}
	if (json_object_size(secrets) && (rc = seal_json(secrets, &blob, &bloblen, &why)) < 0) {
		validate_add(errors, "secrets", why);
		goto out;
	}
	char *cs = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *names = secret_names(secrets);
	char *ns = json_dumps(names, JSON_COMPACT);
	char *es = events ? json_dumps(events, JSON_COMPACT) : NULL;
	json_decref(names);
	rc = db_exec(db,
		     "UPDATE notify_channels SET name = $1, config = $2, secret = $3,"
		     " secret_names = $4, events = COALESCE($5, events),"
		     " enabled = CASE WHEN $6 < 0 THEN enabled ELSE $6 END, updated_at = $7,"
		     " version = version + 1 WHERE id = $8",
		     8,
		     DBV(DB_TEXT(name), DB_TEXT(cs), blob ? DB_BLOB(blob, bloblen) : DB_NULL(),
			 DB_TEXT(ns), DB_TEXT(es), DB_INT(in->enabled), DB_INT(time_now()),
			 DB_INT(cur.id)));
	free(cs);
	free(ns);
	free(es);
	if (rc < 0)
		goto out;
	json_t *fields = json_array();
	if (in->name)
		json_array_append_new(fields, json_string("name"));
	if (in->config)
		json_array_append_new(fields, json_string("config"));
	if (in->secrets)
		json_array_append_new(fields, json_string("secrets"));
	if (in->events)
		json_array_append_new(fields, json_string("events"));
	if (in->enabled >= 0)
		json_array_append_new(fields, json_string("enabled"));
	json_t *d = json_pack("{s:o}", "changed", fields);
	rc = audit_append(db, ac, org_id, "channel.update", "channel", uid, d);
	json_decref(d);
	if (rc == 0)
		rc = channel_get(db, org_id, uid, out);
out:
	free(blob);
	json_decref(config);
	json_decref(secrets);
	json_decref(events);
	channel_full_free(&cur);
	return rc;
}

int channel_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid)
{
	int64_t id;
	int rc = db_query_int(db, &id, "SELECT id FROM notify_channels WHERE org_id = $1 AND uid = $2",
			      2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = db_exec(db,
		     "UPDATE outbox SET status = CASE WHEN status = 'pending' THEN 'cancelled'"
		     " ELSE status END, channel_id = NULL, leased_until = NULL, leased_by = NULL,"
		     " updated_at = $2 WHERE channel_id = $1",
		     2, DBV(DB_INT(id), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	rc = db_exec(db, "DELETE FROM notify_channels WHERE id = $1", 1, DBV(DB_INT(id)));
	if (rc < 0)
		return rc;
	return audit_append(db, ac, org_id, "channel.delete", "channel", uid, NULL);
}

int channel_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	return db_query_one_json(db, channel_row, out,
				 "SELECT " CHANNEL_COLS " FROM notify_channels WHERE org_id = $1 AND uid = $2",
				 2, DBV(DB_INT(org_id), DB_TEXT(uid)));
}

int channel_list(struct db *db, int64_t org_id, json_t **items)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " CHANNEL_COLS " FROM notify_channels WHERE org_id = $1"
			  " ORDER BY name",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(r))
		json_array_append_new(*items, channel_row(r));
	db_res_free(r);
	return 0;
}

int channel_load(struct db *db, int64_t org_id, int64_t id, const char *uid,
		 struct channel_full *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, uid, name, kind, enabled, config, secret FROM notify_channels"
			  " WHERE org_id = $1 AND (id = $2 OR uid = $3)",
			  3, DBV(DB_INT(org_id), DB_INT(id), DB_TEXT(uid ? uid : "")));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	out->id = db_int(r, 0);
	out->uid = xstrdup(db_text(r, 1));
	out->name = xstrdup(db_text(r, 2));
	out->kind = xstrdup(db_text(r, 3));
	out->enabled = db_int(r, 4) != 0;
	out->config = parse_json_col(db_text(r, 5));
	size_t bl = 0;
	const void *b = db_isnull(r, 6) ? NULL : db_blob(r, 6, &bl);
	rc = 0;
	if (b && bl) {
		char *plain = NULL;
		rc = notify_open(b, bl, &plain, why);
		if (rc == 0) {
			json_error_t e;
			out->secrets = json_loads(plain, 0, &e);
			notify_secret_free(plain);
		}
	}
	db_res_free(r);
	if (rc < 0)
		channel_full_free(out);
	return rc;
}

void channel_full_free(struct channel_full *c)
{
	free(c->uid);
	free(c->name);
	free(c->kind);
	json_decref(c->config);
	json_decref(c->secrets);
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- outbox */

static bool key_ok(const char *s)
{
	if (!s || !*s || strlen(s) > OUTBOX_KEY_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return false;
	return true;
}

struct target {
	int64_t id;
	char uid[40];
	char *name, *kind;
};

int outbox_enqueue_count(struct db *db, const struct outbox_msg *m, int *queued)
{
	*queued = 0;
	if (m->org_id <= 0 || !key_ok(m->idem_key) || !key_ok(m->event) || !m->subject ||
	    !*m->subject || strlen(m->subject) > OUTBOX_SUBJECT_MAX ||
	    !text_is_single_line(m->subject) || !text_is_utf8(m->subject, strlen(m->subject)) ||
	    (m->body && (strlen(m->body) > OUTBOX_BODY_MAX ||
			 !text_is_utf8(m->body, strlen(m->body)))))
		return SIRT_EINVAL;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, uid, name, kind, events FROM notify_channels"
			  " WHERE org_id = $1 AND enabled = 1 AND (CAST($2 AS BIGINT) = 0 OR id = $2)"
			  " ORDER BY id",
			  2, DBV(DB_INT(m->org_id), DB_INT(m->channel_id)));
	if (rc < 0)
		return rc;
	struct target *t = NULL;
	size_t n = 0, cap = 0;
	while (db_next(r)) {
		json_t *ev = parse_json_col(db_text(r, 4));
		bool match = m->channel_id || notify_event_matches(ev, m->event);
		json_decref(ev);
		if (!match)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			t = xrealloc(t, cap * sizeof(*t));
		}
		t[n].id = db_int(r, 0);
		snprintf(t[n].uid, sizeof(t[n].uid), "%s", db_text(r, 1));
		t[n].name = xstrdup(db_text(r, 2));
		t[n].kind = xstrdup(db_text(r, 3));
		n++;
	}
	db_res_free(r);
	int64_t now = time_now();
	int64_t due = m->not_before > now ? m->not_before : now;
	int max = 8;
	if (notify_settings_ready())
		max = notify_settings()->max_attempts;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char uid[37];
		rand_uuid(uid);
		char *key = xasprintf("%s:%s", m->idem_key, t[i].uid);
		struct db_res *ins;
		rc = db_query(db, &ins,
			      "INSERT INTO outbox(uid, org_id, channel_id, channel_name, channel_kind,"
			      " incident_id, idem_key, event, subject, body, payload, recipients,"
			      " status, attempts, max_attempts, next_attempt_at, created_at,"
			      " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
			      " 'pending', 0, $13, $14, $15, $15) ON CONFLICT (org_id, idem_key) DO NOTHING",
			      15,
			      DBV(DB_TEXT(uid), DB_INT(m->org_id), DB_INT(t[i].id), DB_TEXT(t[i].name),
				  DB_TEXT(t[i].kind),
				  m->incident_id ? DB_INT(m->incident_id) : DB_NULL(), DB_TEXT(key),
				  DB_TEXT(m->event), DB_TEXT(m->subject),
				  DB_TEXT(m->body ? m->body : ""),
				  DB_TEXT(m->payload ? m->payload : "{}"), DB_TEXT(m->recipients),
				  DB_INT(max), DB_INT(due), DB_INT(now)));
		free(key);
		if (rc == 0) {
			*queued += db_changes(ins) > 0;
			db_res_free(ins);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].kind);
	}
	free(t);
	return rc;
}

int outbox_enqueue(struct db *db, const struct outbox_msg *m)
{
	int n;
	return outbox_enqueue_count(db, m, &n);
}

static json_t *outbox_row(const struct db_res *r, bool with_body)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 0)));
	json_object_set_new(o, "channel",
			    json_pack("{s:s?, s:s, s:s}", "id", db_text(r, 3), "name",
				      db_text(r, 1), "kind", db_text(r, 2)));
	json_object_set_new(o, "incident",
			    db_isnull(r, 4) ? json_null()
					    : json_pack("{s:s, s:s}", "id", db_text(r, 4), "key",
							db_text(r, 5)));
	json_object_set_new(o, "idempotency_key", json_string(db_text(r, 6)));
	json_object_set_new(o, "event", json_string(db_text(r, 7)));
	json_object_set_new(o, "subject", json_string(db_text(r, 8)));
	json_object_set_new(o, "status", json_string(db_text(r, 9)));
	json_object_set_new(o, "attempts", json_integer(db_int(r, 10)));
	json_object_set_new(o, "max_attempts", json_integer(db_int(r, 11)));
	json_object_set_new(o, "next_attempt_at",
			    strcmp(db_text(r, 9), "pending") ? json_null() : time_json(r, 12));
	json_object_set_new(o, "leased_until", time_json(r, 13));
	json_object_set_new(o, "leased_by", db_isnull(r, 14) ? json_null()
							      : json_string(db_text(r, 14)));
	json_object_set_new(o, "last_error", db_isnull(r, 15) ? json_null()
							       : json_string(db_text(r, 15)));
	json_object_set_new(o, "last_status", db_isnull(r, 16) ? json_null()
								: json_integer(db_int(r, 16)));
	json_object_set_new(o, "created_at", time_json(r, 17));
	json_object_set_new(o, "sent_at", time_json(r, 18));
	if (with_body)
		json_object_set_new(o, "body", json_string(db_text(r, 20)));
	return o;
}

int outbox_list(struct db *db, int64_t org_id, const struct outbox_filter *f, json_t **items,
		int64_t *next_cursor)
{
	struct db_res *r;
	*next_cursor = 0;
	int rc = db_query(db, &r,
			  "SELECT " OUTBOX_COLS " FROM outbox o"
			  " LEFT JOIN notify_channels c ON c.id = o.channel_id"
			  " LEFT JOIN incidents i ON i.id = o.incident_id"
			  " WHERE o.org_id = $1 AND (CAST($2 AS TEXT) IS NULL OR o.status = $2)"
			  " AND (CAST($3 AS BIGINT) = 0 OR o.incident_id = $3)"
			  " AND (CAST($4 AS BIGINT) = 0 OR o.id < $4)"
			  " AND (CAST($6 AS TEXT) IS NULL OR o.event = $6)"
			  " ORDER BY o.id DESC LIMIT $5",
			  6,
			  DBV(DB_INT(org_id), DB_TEXT(f->status), DB_INT(f->incident_id),
			      DB_INT(f->cursor_id), DB_INT(f->limit + 1), DB_TEXT(f->event)));
	if (rc < 0)
		return rc;
	*items = json_array();
	int n = 0;
	int64_t last = 0;
	while (db_next(r)) {
		if (n == f->limit) {
			*next_cursor = last;
			break;
		}
		json_array_append_new(*items, outbox_row(r, false));
		last = db_int(r, 19);
		n++;
	}
	db_res_free(r);
	return 0;
}

int outbox_get(struct db *db, int64_t org_id, const char *uid, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " OUTBOX_COLS " FROM outbox o"
			  " LEFT JOIN notify_channels c ON c.id = o.channel_id"
			  " LEFT JOIN incidents i ON i.id = o.incident_id"
			  " WHERE o.org_id = $1 AND o.uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	json_t *o = outbox_row(r, true);
	int64_t id = db_int(r, 19);
	db_res_free(r);
	rc = db_query(db, &r,
		      "SELECT attempt, started_at, duration_ms, node, ok, response_status, error"
		      " FROM outbox_attempts WHERE outbox_id = $1 ORDER BY attempt, id",
		      1, DBV(DB_INT(id)));
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	json_t *log = json_array();
	while (db_next(r)) {
		json_t *a = json_object();
		json_object_set_new(a, "attempt", json_integer(db_int(r, 0)));
		json_object_set_new(a, "at", time_json(r, 1));
		json_object_set_new(a, "duration_ms", json_integer(db_int(r, 2)));
		json_object_set_new(a, "node", json_string(db_text(r, 3)));
		json_object_set_new(a, "ok", json_boolean(db_int(r, 4) != 0));
		json_object_set_new(a, "response_status",
				    db_isnull(r, 5) ? json_null() : json_integer(db_int(r, 5)));
		json_object_set_new(a, "error",
				    db_isnull(r, 6) ? json_null() : json_string(db_text(r, 6)));
		json_array_append_new(log, a);
	}
	db_res_free(r);
	json_object_set_new(o, "attempt_log", log);
	*out = o;
	return 0;
}

int outbox_retry(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		 json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, status, attempts, channel_id FROM outbox"
			  " WHERE org_id = $1 AND uid = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	int64_t id = db_int(r, 0), attempts = db_int(r, 2);
	bool chan = !db_isnull(r, 3);
	bool retryable = !strcmp(db_text(r, 1), "failed") || !strcmp(db_text(r, 1), "pending");
	db_res_free(r);
	if (!retryable || !chan)
		return SIRT_ECONFLICT;
	int max = notify_settings_ready() ? notify_settings()->max_attempts : 8;
	int64_t now = time_now();
	rc = db_exec(db,
		     "UPDATE outbox SET status = 'pending', next_attempt_at = $2, max_attempts = $3,"
		     " leased_until = NULL, leased_by = NULL, updated_at = $2 WHERE id = $1",
		     3, DBV(DB_INT(id), DB_INT(now), DB_INT(attempts + max)));
	if (rc < 0)
		return rc;
	rc = audit_append(db, ac, org_id, "outbox.retry", "notification", uid, NULL);
	if (rc < 0)
		return rc;
	return outbox_get(db, org_id, uid, out);
}

int outbox_claim(struct db *db, const char *node, int64_t now, int max, int64_t *out, int *n)
{
	*n = 0;
	const char *sql =
		db_is_postgres(db)
			? "UPDATE outbox SET leased_until = $2, leased_by = $3 WHERE id IN"
			  " (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1"
			  " AND (leased_until IS NULL OR leased_until < $1)"
			  " ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id"
			: "UPDATE outbox SET leased_until = $2, leased_by = $3 WHERE id IN"
			  " (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1"
			  " AND (leased_until IS NULL OR leased_until < $1)"
			  " ORDER BY next_attempt_at, id LIMIT $4) RETURNING id";
	struct db_res *r;
	int rc = db_query(db, &r, sql, 4,
			  DBV(DB_INT(now), DB_INT(now + NOTIFY_LEASE_SECONDS), DB_TEXT(node),
			      DB_INT(max)));
	if (rc < 0)
		return rc;
	while (db_next(r) && *n < max)
		out[(*n)++] = db_int(r, 0);
	db_res_free(r);
	return 0;
}

int outbox_load(struct db *db, int64_t id, struct outbox_work *w)
{
	memset(w, 0, sizeof(*w));
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT o.id, o.org_id, o.channel_id, o.incident_id, o.created_at,"
			  " o.attempts, o.max_attempts, o.uid, o.idem_key, o.event, o.subject, o.body,"
			  " o.payload, o.recipients, i.uid, i.key, g.name, o.channel_name,"
			  " o.channel_kind FROM outbox o JOIN orgs g ON g.id = o.org_id"
			  " LEFT JOIN incidents i ON i.id = o.incident_id WHERE o.id = $1",
			  1, DBV(DB_INT(id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	w->id = db_int(r, 0);
	w->org_id = db_int(r, 1);
	w->channel_id = db_isnull(r, 2) ? 0 : db_int(r, 2);
	w->incident_id = db_isnull(r, 3) ? 0 : db_int(r, 3);
	w->created_at = db_int(r, 4);
	w->attempts = (int)db_int(r, 5);
	w->max_attempts = (int)db_int(r, 6);
	w->uid = dupnull(db_text(r, 7));
	w->idem_key = dupnull(db_text(r, 8));
	w->event = dupnull(db_text(r, 9));
	w->subject = dupnull(db_text(r, 10));
	w->body = dupnull(db_text(r, 11));
	w->payload = dupnull(db_text(r, 12));
	w->recipients = dupnull(db_text(r, 13));
	w->incident_uid = dupnull(db_text(r, 14));
	w->incident_key = dupnull(db_text(r, 15));
	w->org_name = dupnull(db_text(r, 16));
	w->channel_name = dupnull(db_text(r, 17));
	w->channel_kind = dupnull(db_text(r, 18));
	db_res_free(r);
	return 0;
}

void outbox_work_free(struct outbox_work *w)
{
	char **s[] = {&w->uid, &w->idem_key, &w->event, &w->subject, &w->body, &w->payload,
		      &w->recipients, &w->incident_uid, &w->incident_key, &w->org_name,
		      &w->channel_name, &w->channel_kind};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

int outbox_record(struct db *db, const struct outbox_work *w, const struct outbox_outcome *o,
		  const char **final_status)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT status, attempts, max_attempts FROM outbox WHERE id = $1",
			  1, DBV(DB_INT(w->id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	bool was_sent = !strcmp(db_text(r, 0), "sent");
	bool was_cancelled = !strcmp(db_text(r, 0), "cancelled");
	int64_t attempt = db_int(r, 1) + 1, max = db_int(r, 2);
	db_res_free(r);
	rc = db_exec(db,
		     "INSERT INTO outbox_attempts(outbox_id, attempt, started_at, duration_ms, node,"
		     " ok, response_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		     8,
		     DBV(DB_INT(w->id), DB_INT(attempt), DB_INT(o->started_at),
			 DB_INT(o->duration_ms), DB_TEXT(o->node), DB_INT(o->ok),
			 o->status ? DB_INT(o->status) : DB_NULL(), DB_TEXT(o->error)));
	if (rc < 0)
		return rc;
	const char *status;
	if (was_sent || o->ok)
		status = "sent";
	else if (was_cancelled)
		status = "cancelled";
	else if (o->permanent || attempt >= max)
		status = "failed";
	else
		status = "pending";
	int64_t now = time_now();
	rc = db_exec(db,
		     "UPDATE outbox SET status = $2, attempts = $3, last_error = $4,"
		     " last_status = $5, next_attempt_at = $6, leased_until = NULL,"
		     " leased_by = NULL, updated_at = $7,"
		     " sent_at = CASE WHEN $8 = 1 AND sent_at IS NULL THEN $7 ELSE sent_at END"
		     " WHERE id = $1",
		     8,
		     DBV(DB_INT(w->id), DB_TEXT(status), DB_INT(attempt),
			 o->ok ? DB_NULL() : DB_TEXT(o->error),
			 o->status ? DB_INT(o->status) : DB_NULL(),
			 DB_INT(o->next_attempt_at ? o->next_attempt_at : now), DB_INT(now),
			 DB_INT(o->ok && !was_sent)));
	if (rc < 0)
		return rc;
	if (o->ok && !was_sent && w->incident_id)
		rc = notify_timeline_record(db, w->org_id, w->incident_id, w->channel_name,
					    w->channel_kind, w->event, w->subject, now);
	*final_status = status;
	return rc;
}

int notify_incident_id(struct db *db, int64_t org_id, const char *uid, int64_t *id)
{
	return db_query_int(db, id, "SELECT id FROM incidents WHERE org_id = $1 AND uid = $2", 2,
			    DBV(DB_INT(org_id), DB_TEXT(uid)));
}
