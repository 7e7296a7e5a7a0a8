/*
 * The incident page's evidence, communications and review sections, and
 * the evidence forms: upload (POST /incidents/{key}/evidence, multipart)
 * and hand-over (POST /incidents/{key}/evidence/{eid}/handover).
 *
 * The upload streams: the route's stream hook (upload_sink) runs the
 * multipart parser (web/multipart.c) over each chunk as it arrives; the
 * file part goes straight into a blob-store temporary file that hashes it on
 * the way (store/blob.h), the small text fields are kept. The size limit
 * (evidence-max) is enforced while streaming. Only when the body is complete
 * and the CSRF token checked does the handler store the content under its
 * SHA-256 and record the item (api_evidence_commit(), the API's own step).
 * An upload refused, too large or broken off leaves nothing: the request's
 * cleanup hook frees the temporary file however the request ends.
 *
 * Downloads go to the API route (/api/v1/incidents/{id}/evidence/{eid}/
 * download?reason=), which the session cookie authenticates: a GET form
 * with a reason field, recorded in the chain of custody.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/evidence_api.h"
#include "app/app.h"
#include "http/routes.h"
#include "auth/session.h"
#include "store/blob.h"
#include "store/evidence_store.h"
#include "store/incident_store.h"
#include "store/notify_store.h"
#include "store/review_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/multipart.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define CUSTODY_ITEMS 200 /* items whose custody log is shown in full */
#define COMMS_LIMIT 50
#define FIELD_MAX 8192

struct upload {
	struct multipart *mp;
	struct multipart_spec spec;
	struct blob_tmp *tmp;
	struct blob_store *bs;
	struct req *r;
	int64_t incident_id;
	char incident_uid[64];
	bool csrf_bad;
};

static const char *const upload_fields[] = {"csrf", "description", "source", NULL};

static int upload_sink(struct req *r, const char *data, size_t len);
static void upload_cleanup(struct req *r);

/* ------------------------------------------------------------ helpers */

const char *pages_bytes(struct req *r, int64_t n)
{
	if (n < 1024)
		return arena_printf(&r->arena, "%lld byte%s", (long long)n, n == 1 ? "" : "s");
	static const char *const units[] = {"KB", "MB", "GB", "TB"};
	double v = (double)n;
	int u = -1;
	while (v >= 1000 && u < 3) {
		v /= 1000;
		u++;
	}
	return arena_printf(&r->arena, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

const char *pages_countdown(struct req *r, int64_t deadline, int64_t now)
{
	int64_t d = deadline - now;
	bool over = d < 0;
	if (over)
		d = -d;
	int64_t days = d / 86400, hours = d % 86400 / 3600, mins = d % 3600 / 60;
	const char *t;
	if (days > 0)
		t = arena_printf(&r->arena, "%lldd %lldh", (long long)days, (long long)hours);
	else if (hours > 0)
		t = arena_printf(&r->arena, "%lldh %02lldm", (long long)hours, (long long)mins);
	else
		t = arena_printf(&r->arena, "%lldm", (long long)mins);
	return over ? arena_printf(&r->arena, "overdue by %s", t) : arena_printf(&r->arena, "%s left", t);
}

json_t *pages_part_state(const char *part, json_t *form, json_t *errors)
{
	json_t *state = json_object();
	json_object_set_new(state, part,
			    json_pack("{s:o, s:o}", "form", form ? form : json_object(), "errors",
				      errors ? errors : json_object()));
	return state;
}

json_t *pages_echo(struct req *r, const char *const *names)
{
	json_t *o = json_object();
	for (int i = 0; names[i]; i++) {
		const char *v = req_form(r, names[i]);
		json_t *s = v ? json_string(v) : NULL;
		if (s)
			json_object_set_new(o, names[i], s);
	}
	return o;
}

/* "user:dana@example.com" -> "dana@example.com": people read the address. */
static void person(json_t *o, const char *field)
{
	const char *v = json_string_value(json_object_get(o, field));
	if (v && !strncmp(v, "user:", 5))
		json_object_set_new(o, field, json_string(v + 5));
}

static void copy_part(json_t *state, json_t *m, const char *name)
{
	json_t *v = json_object_get(state, name);
	if (v)
		json_object_set(m, name, v);
}

/* ------------------------------------------------------------ sections */

static void evidence_part(struct req *r, struct db *db, const struct tz *z, json_t *rec,
			  json_t *m)
{
	const char *uid = json_string_value(json_object_get(rec, "id"));
	json_t *items = NULL;
	json_t *sec = json_object();
	json_object_set_new(m, "evidence", sec);
	json_object_set_new(sec, "limit", json_string(pages_bytes(r, (int64_t)r->app->cfg.evidence_max)));
	if (!uid || evidence_list(db, r->who.org_id, uid, &items) < 0) {
		json_object_set_new(sec, "unavailable", json_true());
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *eid = json_string_value(json_object_get(it, "id"));
		if (i < CUSTODY_ITEMS) {
			json_t *full = NULL;
			if (evidence_get(db, r->who.org_id, uid, eid, true, &full) == 0) {
				json_object_set(it, "custody", json_object_get(full, "custody"));
				json_object_set(it, "custodian", json_object_get(full, "custodian"));
				json_decref(full);
			}
		}
		const char *sha = json_string_value(json_object_get(it, "sha256"));
		json_object_set_new(it, "sha_short",
				    json_string(arena_printf(&r->arena, "%.12s…", sha ? sha : "")));
		json_object_set_new(it, "size_text", json_string(pages_bytes(
			r, json_integer_value(json_object_get(it, "size")))));
		json_object_set_new(it, "collected_at_t",
				    pages_time_json(z, json_object_get(it, "collected_at")));
		json_object_del(it, "blob_store");
		person(it, "collected_by");
		person(it, "custodian");
		json_object_set_new(it, "custody_count", json_integer((json_int_t)json_array_size(
			json_object_get(it, "custody"))));
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(it, "custody"), k, c) {
			json_object_set_new(c, "at_t", pages_time_json(z, json_object_get(c, "at")));
			person(c, "actor");
			json_object_set_new(c, "action_label", json_string(pages_label(
				r, NULL, json_string_value(json_object_get(c, "action")))));
		}
	}
	json_object_set_new(sec, "count", json_integer((json_int_t)json_array_size(items)));
	json_object_set_new(sec, "items", items);
}

static void comms_part(struct req *r, struct db *db, const struct tz *z, json_t *rec, json_t *m)
{
	json_t *sec = json_object();
	json_object_set_new(m, "comms", sec);
	int64_t iid;
	json_t *items = NULL;
	int64_t next = 0;
	const char *uid = json_string_value(json_object_get(rec, "id"));
	struct outbox_filter f = {.limit = COMMS_LIMIT};
	if (!uid || notify_incident_id(db, r->who.org_id, uid, &iid) < 0 ||
	    (f.incident_id = iid, outbox_list(db, r->who.org_id, &f, &items, &next) < 0)) {
		json_object_set_new(sec, "unavailable", json_true());
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_object_set_new(it, "created_at_t",
				    pages_time_json(z, json_object_get(it, "created_at")));
		json_object_set_new(it, "sent_at_t", pages_time_json(z, json_object_get(it, "sent_at")));
		json_object_set_new(it, "status_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(it, "status")))));
		json_object_set_new(it, "kind_label", json_string(pages_label(
			r, NULL, json_string_value(json_object_get(json_object_get(it, "channel"), "kind")))));
	}
	json_object_set_new(sec, "items", items);
	if (next)
		json_object_set_new(sec, "more", json_true());
}

static void review_part(struct req *r, struct db *db, const struct tz *z, json_t *rec, json_t *m)
{
	json_t *sec = json_object();
	json_object_set_new(m, "review", sec);
	const char *key = json_string_value(json_object_get(rec, "key"));
	json_t *rv = NULL;
	int rc = key ? review_get(db, r->who.org_id, key, 0, time_now(), &rv) : SIRT_ENOTFOUND;
	if (rc == SIRT_ENOTFOUND)
		return;
	if (rc < 0) {
		json_object_set_new(sec, "unavailable", json_true());
		return;
	}
	const char *st = json_string_value(json_object_get(rv, "status"));
	json_object_set_new(sec, "exists", json_true());
	json_object_set_new(sec, "status", json_string(st ? st : ""));
	json_object_set_new(sec, "status_label", json_string(pages_label(r, NULL, st)));
	json_object_set(sec, "revision", json_object_get(rv, "revision"));
	json_object_set_new(sec, "updated_at_t",
			    pages_time_json(z, json_object_get(rv, "updated_at")));
	json_object_set_new(sec, "published_at_t",
			    pages_time_json(z, json_object_get(rv, "published_at")));
	json_decref(rv);
}

void pages_incident_parts(struct req *r, struct db *db, const struct tz *z, json_t *rec,
			  json_t *state, json_t *m)
{
	evidence_part(r, db, z, rec, m);
	pages_clocks_incident_part(r, db, z, rec, state, m);
	comms_part(r, db, z, rec, m);
	review_part(r, db, z, rec, m);
	static const char *const parts[] = {"evidence_form", "handover_form", NULL};
	for (int i = 0; parts[i]; i++)
		copy_part(state, m, parts[i]);
}

/* ------------------------------------------------------------ upload */

static void upload_cleanup(struct req *r)
{
	struct upload *u = r->stream_state;
	if (!u)
		return;
	multipart_free(u->mp);
	u->mp = NULL;
	blob_tmp_free(u->tmp);
	u->tmp = NULL;
}

static int file_begin(void *cls, const char *filename, const char *content_type)
{
	struct upload *u = cls;
	/* the form puts the token first: a wrong one stops the upload at once
	 * (a missing one is refused by the server's CSRF check at the end) */
	const char *tok = multipart_field(u->mp, "csrf");
	if (tok && !session_token_equal(tok, u->r->who.csrf)) {
		u->csrf_bad = true;
		return -1;
	}
	if (blob_tmp_new(u->bs, &u->tmp) < 0)
		return -1;
	return 0;
}

static int file_data(void *cls, const char *data, size_t len)
{
	struct upload *u = cls;
	return u->tmp && blob_tmp_write(u->tmp, data, len) == 0 ? 0 : -1;
}

static int upload_start(struct req *r, struct upload *u)
{
	struct db *db = api_db(r);
	if (!db)
		return -1;
	json_t *rec = NULL;
	int rc = incident_get(db, r->who.org_id, req_param(r, "key"), &rec);
	if (rc == SIRT_ENOTFOUND) {
		resp_problem(r, 404, "No such incident",
			     "There is no incident with this key in your organisation.", NULL);
		return -1;
	}
	if (rc < 0) {
		api_store_error(r, db, rc, "reading the incident");
		return -1;
	}
	snprintf(u->incident_uid, sizeof(u->incident_uid), "%s",
		 json_string_value(json_object_get(rec, "id")));
	json_decref(rec);
	rc = evidence_incident_id(db, r->who.org_id, u->incident_uid, &u->incident_id);
	if (rc < 0) {
		api_store_error(r, db, rc, "reading the incident");
		return -1;
	}
	u->bs = api_evidence_blobs(r);
	if (!u->bs)
		return -1;
	u->spec = (struct multipart_spec){
		.file_field = "file", .fields = upload_fields, .field_max = FIELD_MAX,
		.file_max = r->app->cfg.evidence_max, .file_begin = file_begin,
		.file_data = file_data, .cls = u};
	if (multipart_new(r->conn, &u->spec, &u->mp) < 0) {
		resp_problem(r, 400, "Not a file upload",
			     "This form sends multipart/form-data; use the form on the incident page.",
			     NULL);
		return -1;
	}
	return 0;
}

/* Sets the response for a failed body; returns -1. */
static int upload_refuse(struct req *r, struct upload *u)
{
	blob_tmp_free(u->tmp);
	u->tmp = NULL;
	if (u->csrf_bad)
		return resp_problem(r, 403, NULL, "missing or invalid CSRF token", NULL), -1;
	switch (multipart_failure(u->mp)) {
	case MULTIPART_FILE_TOO_BIG:
		resp_problem(r, 413, "The file is too large",
			     arena_printf(&r->arena,
					  "Evidence files may be at most %s (evidence-max). Nothing"
					  " was stored.",
					  pages_bytes(r, (int64_t)r->app->cfg.evidence_max)),
			     NULL);
		break;
	case MULTIPART_FIELD_TOO_BIG:
		resp_problem(r, 413, "A field is too long",
			     "The description or source is too long. Nothing was stored.", NULL);
		break;
	case MULTIPART_SINK:
		resp_problem(r, 500, NULL, "writing the upload to disk failed; nothing was stored",
			     NULL);
		break;
	default:
		resp_problem(r, 400, "The upload is incomplete",
			     "The form data was broken off or malformed. Nothing was stored.", NULL);
	}
	return -1;
}

static int upload_sink(struct req *r, const char *data, size_t len)
{
	struct upload *u = r->stream_state;
	if (!u) {
		u = arena_alloc(&r->arena, sizeof(*u));
		memset(u, 0, sizeof(*u));
		u->r = r;
		r->stream_state = u;
		r->cleanup = upload_cleanup;
		if (upload_start(r, u) < 0)
			return -1;
	}
	if (!u->mp)
		return -1;
	if (len == 0) {
		if (multipart_finish(u->mp) < 0)
			return upload_refuse(r, u);
		/* the text fields become the form the handler and the CSRF check read */
		struct strbuf sb;
		sb_init(&sb, 4 * FIELD_MAX * 4);
		multipart_form(u->mp, &sb);
		r->body = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "");
		r->body_len = strlen(r->body);
		sb_free(&sb);
		return 0;
	}
	if (multipart_feed(u->mp, data, len) < 0)
		return upload_refuse(r, u);
	return 0;
}

static const char *const evidence_echo[] = {"description", "source", NULL};

static int h_upload(struct req *r)
{
	struct upload *u = r->stream_state;
	if (!u || !u->mp)
		return resp_problem(r, 500, NULL, "the upload was not received", NULL);
	const char *name = multipart_file_name(u->mp);
	const char *desc = pages_field(r, "description");
	const char *src = pages_field(r, "source");
	json_t *errors = json_object();
	if (!u->tmp || !*name || multipart_file_size(u->mp) == 0)
		json_object_set_new(errors, "file",
				    json_string(u->tmp && *name ? "The file is empty; choose another one."
							     : "Choose a file to upload."));
	else if (!api_evidence_text_ok(name, 255, false) || strchr(name, '/') ||
		 strchr(name, '\\') || !strcmp(name, ".") || !strcmp(name, ".."))
		json_object_set_new(errors, "file",
				    json_string("The file name must be at most 255 characters,"
						" without path separators or control characters."));
	if (desc && !api_evidence_text_ok(desc, 4000, true))
		json_object_set_new(errors, "description",
				    json_string("At most 4000 characters of text."));
	if (src && !api_evidence_text_ok(src, 500, false))
		json_object_set_new(errors, "source",
				    json_string("One line of at most 500 characters."));
	if (json_object_size(errors))
		return pages_incident_show(
			r, req_param(r, "key"),
			pages_part_state("evidence_form", pages_echo(r, evidence_echo), errors), 422);
	json_decref(errors);
	const char *ct = multipart_file_type(u->mp);
	struct evidence_new in = {
		.org_id = r->who.org_id,
		.incident_id = u->incident_id,
		.incident_uid = u->incident_uid,
		.file_name = name,
		.content_type = *ct && strlen(ct) <= 100 && !strchr(ct, ';') ? ct
									   : "application/octet-stream",
		.description = desc,
		.source = src,
		.collected_by = r->who.actor ? r->who.actor : "",
	};
	json_t *out = NULL;
	int rc = api_evidence_commit(r, u->tmp, &in, &out);
	if (rc == SIRT_EUNAVAIL)
		return 0;
	if (rc < 0)
		return resp_problem(r, 500, "The file was not stored",
				    "Storing the evidence failed; nothing was stored. Try again.",
				    NULL);
	const char *sha = json_string_value(json_object_get(out, "sha256"));
	pages_flash_set(r, "ok",
			arena_printf(&r->arena, "Stored “%s” (%s, SHA-256 %.16s…).", name,
				     pages_bytes(r, (int64_t)multipart_file_size(u->mp)),
				     sha ? sha : ""));
	json_decref(out);
	struct strbuf loc;
	sb_init(&loc, 4096);
	sb_puts(&loc, "/incidents/");
	const char *key = req_param(r, "key");
	escape_url_path(&loc, key, strlen(key));
	sb_puts(&loc, "#evidence");
	int ret = resp_redirect(r, arena_strdup(&r->arena, sb_status(&loc) == 0 ? sb_str(&loc) : "/"));
	sb_free(&loc);
	return ret;
}

/* ------------------------------------------------------------ hand-over */

struct handover_job {
	int64_t org_id;
	const char *uid, *reason, *to;
	struct audit_ctx ac;
};

static int handover_tx(struct db *db, void *arg)
{
	struct handover_job *j = arg;
	return evidence_custody_add(db, &j->ac, j->org_id, j->uid, "handover", j->reason, j->to, "");
}

static const char *const handover_echo[] = {"to", "reason", NULL};

static int h_handover(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *rec = NULL, *item = NULL;
	int rc = incident_get(db, r->who.org_id, req_param(r, "key"), &rec);
	if (rc == 0) {
		rc = evidence_get(db, r->who.org_id, json_string_value(json_object_get(rec, "id")),
				  req_param(r, "eid"), false, &item);
		json_decref(rec);
	}
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "Not found",
				    "There is no such evidence item on this incident.", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the evidence item");
	const char *name = arena_strdup(&r->arena, json_string_value(json_object_get(item, "file_name")));
	json_decref(item);
	struct handover_job j = {.org_id = r->who.org_id, .uid = req_param(r, "eid"),
				 .to = pages_field(r, "to"), .reason = pages_field(r, "reason"),
				 .ac = req_audit_ctx(r)};
	json_t *errors = json_object();
	if (!j.to)
		json_object_set_new(errors, "to", json_string("Name who receives the item."));
	else if (!api_evidence_text_ok(j.to, 200, false))
		json_object_set_new(errors, "to", json_string("One line of at most 200 characters."));
	if (!j.reason)
		json_object_set_new(errors, "reason", json_string("Say why it is handed over."));
	else if (!api_evidence_text_ok(j.reason, 500, false))
		json_object_set_new(errors, "reason",
				    json_string("One line of at most 500 characters."));
	if (json_object_size(errors)) {
		json_t *state = pages_part_state("handover_form", pages_echo(r, handover_echo), errors);
		json_object_set_new(json_object_get(state, "handover_form"), "id",
				    json_string(j.uid));
		return pages_incident_show(r, req_param(r, "key"), state, 422);
	}
	json_decref(errors);
	rc = store_tx(r->app->store, handover_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the hand-over");
	pages_flash_set(r, "ok", arena_printf(&r->arena, "“%s” handed over to %s.", name, j.to));
	struct strbuf loc;
	sb_init(&loc, 4096);
	sb_puts(&loc, "/incidents/");
	const char *key = req_param(r, "key");
	escape_url_path(&loc, key, strlen(key));
	sb_puts(&loc, "#evidence");
	int ret = resp_redirect(r, arena_strdup(&r->arena, sb_status(&loc) == 0 ? sb_str(&loc) : "/"));
	sb_free(&loc);
	return ret;
}

const struct route pages_evidence_routes[] = {
	{"POST", "/incidents/{key}/evidence", PERM_RESPOND, BODY_MULTIPART, 0, h_upload, upload_sink,
	 "Upload an evidence file (multipart form, streamed)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/evidence/{eid}/handover", PERM_RESPOND, BODY_FORM,
	 PAGES_FORM_MAX, h_handover, NULL, "Record a hand-over of an evidence item (form)", "web",
	 NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_evidence);
