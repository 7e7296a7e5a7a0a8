/*
 * /api/v1/incidents/{id}/evidence: upload, list, read, download and hand
 * over evidence items, with the chain of custody.
 *
 * An upload is streamed: the route's stream hook (upload_sink) writes each
 * chunk to a temporary file in the blob store while hashing it, enforcing
 * the evidence-max limit as it goes; only when the whole body is in does
 * h_upload store the content under its SHA-256 and insert the row, its
 * custody entry and its audit entry. An upload that is refused, too large or
 * broken off leaves neither a blob nor a row: the temporary file is released
 * by the request's cleanup hook however the request ends.
 *
 * A download re-reads the content and recomputes its SHA-256 before sending
 * a byte; a mismatch (or a missing file) is refused with 409 and recorded in
 * the custody log and the audit trail.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/evidence_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "core/utf8.h"
#include "http/routes.h"
#include "store/blob.h"
#include "store/evidence_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct upload {
	struct blob_tmp *tmp;
	int64_t incident_id;
	int64_t size;
	size_t max;
	const char *file_name;
	const char *description;
	const char *source;
	const char *content_type;
	int64_t collected_at;
};

static int upload_sink(struct req *r, const char *data, size_t len);
static void upload_cleanup(struct req *r);
static const char *upload_param(struct req *r, const char *query, const char *header);

static pthread_mutex_t blobs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blob_store *blobs_shared;

struct blob_store *api_evidence_blobs(struct req *r)
{
	pthread_mutex_lock(&blobs_lock);
	if (!blobs_shared) {
		char err[512];
		const struct config *c = &r->app->cfg;
		if (blob_store_open(c->blob_store ? c->blob_store : "fs", c->data_dir, &blobs_shared,
				    err, sizeof(err)) < 0) {
			fprintf(stderr, "sirt: evidence store: %s\n", err);
			blobs_shared = NULL;
		}
	}
	struct blob_store *bs = blobs_shared;
	pthread_mutex_unlock(&blobs_lock);
	if (!bs)
		resp_problem(r, 503, NULL, "the evidence store is not available (see the server log)",
			     NULL);
	return bs;
}

bool api_evidence_text_ok(const char *s, size_t max, bool multiline)
{
	size_t n = strlen(s), ncp;
	if (n > 4 * max || !utf8_valid(s, n, &ncp) || ncp > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) ||
		    *p == 0x7f)
			return false;
	return true;
}

static const char *upload_param(struct req *r, const char *query, const char *header)
{
	const char *v = req_query(r, query);
	return v ? v : req_header(r, header);
}

static bool content_type_syntax_ok(const char *ct)
{
	/* type "/" subtype, RFC 9110 token characters, no parameters */
	size_t n = strlen(ct);
	const char *slash = strchr(ct, '/');
	if (!n || n > 100 || !slash || slash == ct || !slash[1])
		return false;
	for (const char *p = ct; *p; p++)
		if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *p) || (p == slash)))
			return false;
	return strchr(slash + 1, '/') == NULL;
}

/* Checks the upload's metadata before the first byte is stored. */
static int upload_start(struct req *r, struct upload *u)
{
	json_t *errors = NULL;
	const char *ct = req_header(r, "Content-Type");
	if (ct && strncasecmp(ct, "multipart/", 10) == 0) {
		resp_problem(r, 415, NULL,
			     "send the file itself as the body ('Content-Type: application/"
			     "octet-stream') with ?name=FILE_NAME; multipart forms are not accepted",
			     NULL);
		return -1;
	}
	u->file_name = upload_param(r, "name", "X-File-Name");
	u->description = upload_param(r, "description", "X-Description");
	u->source = upload_param(r, "source", "X-Source");
	u->content_type = req_query(r, "content_type");
	if (!u->content_type) {
		u->content_type = "application/octet-stream";
		if (ct) {
			const char *semi = strchr(ct, ';');
			u->content_type = semi ? arena_strndup(&r->arena, ct, (size_t)(semi - ct)) : ct;
		}
	}
	if (!u->file_name || !*u->file_name)
		validate_add(&errors, "name", "the file name is required (?name= or X-File-Name)");
	else if (!api_evidence_text_ok(u->file_name, 255, false) || strchr(u->file_name, '/') ||
		 strchr(u->file_name, '\\') || !strcmp(u->file_name, ".") ||
		 !strcmp(u->file_name, ".."))
		validate_add(&errors, "name",
			     "must be a file name of at most 255 characters, without path"
			     " separators or control characters");
	if (u->description && !api_evidence_text_ok(u->description, 4000, true))
		validate_add(&errors, "description",
			     "must be UTF-8 text of at most 4000 characters");
	if (u->source && !api_evidence_text_ok(u->source, 500, false))
		validate_add(&errors, "source", "must be one line of at most 500 characters");
	if (!content_type_syntax_ok(u->content_type))
		validate_add(&errors, "content_type", "must be a media type such as text/plain");
	const char *ca = req_query(r, "collected_at");
	if (ca && time_parse_iso8601(ca, &u->collected_at) < 0)
		validate_add(&errors, "collected_at", "must be an RFC 3339 date-time with offset");
	else if (ca && u->collected_at > time_now() + 300)
		validate_add(&errors, "collected_at", "must not be in the future");
	if (errors) {
		api_invalid(r, errors);
		return -1;
	}
	struct db *db = api_db(r);
	if (!db)
		return -1;
	int rc = evidence_incident_id(db, r->who.org_id, req_param(r, "id"), &u->incident_id);
	if (rc == SIRT_ENOTFOUND) {
		resp_problem(r, 404, NULL, "no such incident", NULL);
		return -1;
	}
	if (rc < 0) {
		api_store_error(r, db, rc, "checking the incident");
		return -1;
	}
	struct blob_store *bs = api_evidence_blobs(r);
	if (!bs)
		return -1;
	if (blob_tmp_new(bs, &u->tmp) < 0) {
		resp_problem(r, 500, NULL, "cannot create a temporary file for the upload", NULL);
		return -1;
	}
	return 0;
}

static void upload_cleanup(struct req *r)
{
	struct upload *u = r->stream_state;
	if (u) {
		blob_tmp_free(u->tmp);
		u->tmp = NULL;
	}
}

static int upload_sink(struct req *r, const char *data, size_t len)
{
	struct upload *u = r->stream_state;
	if (!u) {
		u = arena_alloc(&r->arena, sizeof(*u));
		memset(u, 0, sizeof(*u));
		r->stream_state = u;
		r->cleanup = upload_cleanup;
		u->max = r->route->body_max ? r->route->body_max : r->app->cfg.evidence_max;
		if (upload_start(r, u) < 0)
			return -1;
	}
	if (!u->tmp)
		return -1;
	if (len == 0)
		return 0;
	if ((uint64_t)u->size + len > u->max) {
		blob_tmp_free(u->tmp);
		u->tmp = NULL;
		resp_problem(r, 413, NULL,
			     arena_printf(&r->arena,
					  "the file is larger than the evidence limit of %zu bytes"
					  " (evidence-max); nothing was stored",
					  u->max),
			     NULL);
		return -1;
	}
	if (blob_tmp_write(u->tmp, data, len) < 0) {
		blob_tmp_free(u->tmp);
		u->tmp = NULL;
		resp_problem(r, 500, NULL, "writing the upload to disk failed; nothing was stored",
			     NULL);
		return -1;
	}
	u->size += (int64_t)len;
	return 0;
}

struct upload_job {
	struct blob_store *bs;
	struct blob_tmp *tmp;
	struct evidence_new in;
	struct audit_ctx ac;
	bool in_tx_put;
	bool created;
	json_t *out;
};

static int upload_tx(struct db *db, void *arg)
{
	struct upload_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	if (j->in_tx_put) {
		int rc = blob_put(j->bs, db, j->tmp, &j->created);
		if (rc < 0)
			return rc;
	}
	return evidence_insert(db, &j->ac, &j->in, &j->out);
}

int api_evidence_commit(struct req *r, struct blob_tmp *tmp, struct evidence_new *in,
			json_t **out)
{
	struct blob_store *bs = api_evidence_blobs(r);
	if (!bs)
		return SIRT_EUNAVAIL;
	char sha[65];
	int64_t size;
	blob_tmp_finish(tmp, sha, &size);
	if (size == 0)
		return SIRT_EINVAL;
	struct upload_job j = {.bs = bs, .tmp = tmp, .in = *in, .ac = req_audit_ctx(r)};
	j.in.sha256 = sha;
	j.in.size = size;
	j.in.blob_store = blob_store_kind(bs);
	if (!strcmp(blob_store_kind(bs), "db"))
		j.in_tx_put = true; /* the large object commits with the row */
	else if (blob_put(bs, NULL, tmp, &j.created) < 0)
		return SIRT_EIO;
	int rc = store_tx(r->app->store, upload_tx, &j);
	if (rc < 0) {
		if (!j.in_tx_put && j.created)
			blob_unput(bs, sha);
		json_decref(j.out);
		return rc;
	}
	*out = j.out;
	return 0;
}

static int h_upload(struct req *r)
{
	struct upload *u = r->stream_state;
	if (!u || !u->tmp)
		return resp_problem(r, 500, NULL, "the upload was not received", NULL);
	struct evidence_new in = {
		.org_id = r->who.org_id,
		.incident_id = u->incident_id,
		.incident_uid = req_param(r, "id"),
		.file_name = u->file_name,
		.content_type = u->content_type,
		.description = u->description,
		.source = u->source,
		.collected_by = r->who.actor ? r->who.actor : "",
		.collected_at = u->collected_at,
	};
	json_t *out = NULL;
	int rc = api_evidence_commit(r, u->tmp, &in, &out);
	if (rc == SIRT_EUNAVAIL)
		return 0; /* api_evidence_blobs() has answered */
	if (rc == SIRT_EINVAL)
		return resp_problem(r, 422, NULL, "the file is empty; nothing was stored", NULL);
	if (rc == SIRT_EIO)
		return resp_problem(r, 500, NULL, "storing the file failed; nothing was stored", NULL);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "storing the evidence item");
	json_object_del(out, "blob_store");
	resp_header(r, "Location",
		    arena_printf(&r->arena, "/api/v1/incidents/%s/evidence/%s", req_param(r, "id"),
				 json_string_value(json_object_get(out, "id"))));
	return resp_json(r, 201, out);
}

static int h_list(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = evidence_list(db, r->who.org_id, req_param(r, "id"), &items);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing evidence");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		json_object_del(it, "blob_store");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

struct custody_job {
	int64_t org_id;
	const char *uid;
	const char *action;
	const char *reason;
	const char *to;
	const char *sha;
	struct audit_ctx ac;
};

static int custody_tx(struct db *db, void *arg)
{
	struct custody_job *j = arg;
	return evidence_custody_add(db, &j->ac, j->org_id, j->uid, j->action, j->reason, j->to,
				    j->sha);
}

/* Reads the item (404 when it is not this incident's); NULL with a response set. */
static json_t *load_item(struct req *r, struct db *db, bool with_custody)
{
	json_t *item;
	int rc = evidence_get(db, r->who.org_id, req_param(r, "id"), req_param(r, "eid"),
			      with_custody, &item);
	if (rc == SIRT_ENOTFOUND) {
		resp_problem(r, 404, NULL, "no such evidence item on this incident", NULL);
		return NULL;
	}
	if (rc < 0) {
		api_store_error(r, db, rc, "reading the evidence item");
		return NULL;
	}
	return item;
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *item = load_item(r, db, false);
	if (!item)
		return 0;
	const char *reason = req_query(r, "reason");
	if (reason && !api_evidence_text_ok(reason, 500, false)) {
		json_decref(item);
		return resp_problem(r, 400, NULL, "reason must be one line of at most 500 characters",
				    NULL);
	}
	json_decref(item);
	struct custody_job j = {.org_id = r->who.org_id, .uid = req_param(r, "eid"),
				.action = "view", .reason = reason ? reason : "", .sha = "",
				.ac = req_audit_ctx(r)};
	int rc = store_tx(r->app->store, custody_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the access");
	item = load_item(r, db, true);
	if (!item)
		return 0;
	json_object_del(item, "blob_store");
	return resp_json(r, 200, item);
}

/* RFC 8187 ext-value for Content-Disposition: filename*=UTF-8''... */
static char *disposition(struct arena *a, const char *name)
{
	struct strbuf sb;
	sb_init(&sb, 4096);
	sb_puts(&sb, "attachment; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p))
			sb_putc(&sb, (char)*p);
		else
			sb_printf(&sb, "%%%02X", *p);
	}
	char *out = arena_strdup(a, sb_str(&sb));
	sb_free(&sb);
	return out;
}

static int h_download(struct req *r)
{
	const char *reason = req_query(r, "reason");
	if (!reason || !*reason || !api_evidence_text_ok(reason, 500, false))
		return resp_problem(r, 400, NULL,
				    "say why you are downloading the item: ?reason=... (one line,"
				    " at most 500 characters); it is recorded in the chain of custody",
				    NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *item = load_item(r, db, false);
	if (!item)
		return 0;
	struct blob_store *bs = api_evidence_blobs(r);
	if (!bs) {
		json_decref(item);
		return 0;
	}
	const char *sha = json_string_value(json_object_get(item, "sha256"));
	const char *kind = json_string_value(json_object_get(item, "blob_store"));
	const char *name = json_string_value(json_object_get(item, "file_name"));
	int fd = -1;
	int64_t size = 0;
	bool ok = false;
	char observed[65];
	int rc = blob_open(bs, db, kind, sha, &fd, &size, &ok, observed);
	if (rc < 0 && rc != SIRT_ENOTFOUND) {
		json_decref(item);
		return api_store_error(r, db, rc == SIRT_EIO ? SIRT_EIO : rc, "reading the evidence file");
	}
	struct custody_job j = {.org_id = r->who.org_id, .uid = req_param(r, "eid"),
				.reason = reason, .ac = req_audit_ctx(r)};
	if (rc == SIRT_ENOTFOUND || !ok) {
		if (fd >= 0)
			close(fd);
		j.action = "integrity_failure";
		j.sha = rc == SIRT_ENOTFOUND ? "missing" : observed;
		int trc = store_tx(r->app->store, custody_tx, &j);
		char *detail = arena_printf(
			&r->arena,
			"the stored file %s its recorded SHA-256 %s%s%s; it was not served. The"
			" failure is recorded in the chain of custody and the audit trail%s",
			rc == SIRT_ENOTFOUND ? "is missing: it cannot match" : "no longer matches",
			sha, rc == SIRT_ENOTFOUND ? "" : " (it now hashes to ",
			rc == SIRT_ENOTFOUND ? "" : arena_printf(&r->arena, "%s)", observed),
			trc < 0 ? " (recording failed: see the server log)" : "");
		json_decref(item);
		return resp_problem(r, 409, "Evidence integrity failure", detail, NULL);
	}
	j.action = "download";
	j.sha = sha;
	rc = store_tx(r->app->store, custody_tx, &j);
	if (rc < 0) {
		close(fd);
		json_decref(item);
		return api_store_error(r, NULL, rc, "recording the download");
	}
	resp_header(r, "Content-Disposition", disposition(&r->arena, name));
	resp_header(r, "X-Evidence-SHA256", sha);
	json_decref(item);
	return resp_file(r, 200, "application/octet-stream", fd, size);
}

static const char *const custody_actions[] = {"handover", "export", NULL};

static const struct field_spec custody_fields[] = {
	{"action", F_ENUM, true, false, 0, custody_actions,
	 "handover (to a named person or body) or export (copied out of sirt)"},
	{"to", F_STRING, false, false, 200, NULL, "who receives the item (required for handover)"},
	{"reason", F_STRING, true, false, 500, NULL, "why"},
	{NULL},
};

static int h_custody(struct req *r)
{
	json_t *body, *errors;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, custody_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct custody_job j = {
		.org_id = r->who.org_id,
		.uid = req_param(r, "eid"),
		.action = json_string_value(json_object_get(body, "action")),
		.reason = json_string_value(json_object_get(body, "reason")),
		.to = json_string_value(json_object_get(body, "to")),
		.sha = "",
		.ac = req_audit_ctx(r),
	};
	errors = NULL;
	if (!strcmp(j.action, "handover") && (!j.to || !*j.to))
		validate_add(&errors, "to", "a hand-over names who receives the item");
	if (!*j.reason || strspn(j.reason, " ") == strlen(j.reason))
		validate_add(&errors, "reason", "must not be blank");
	if (errors) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct db *db = api_db(r);
	json_t *item = db ? load_item(r, db, false) : NULL;
	if (!item) {
		json_decref(body);
		return 0;
	}
	json_decref(item);
	int rc = store_tx(r->app->store, custody_tx, &j);
	json_decref(body);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the custody event");
	item = load_item(r, db, true);
	if (!item)
		return 0;
	json_object_del(item, "blob_store");
	return resp_json(r, 201, item);
}

const struct route api_evidence_routes[] = {
	{"POST", "/api/v1/incidents/{id}/evidence", PERM_RESPOND, BODY_ANY, 0, h_upload,
	 upload_sink,
	 "Upload an evidence file (raw body; ?name=&description=&source=&collected_at=)",
	 "evidence", NULL, 0},
	{"GET", "/api/v1/incidents/{id}/evidence", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "List an incident's evidence items", "evidence", NULL, 0},
	{"GET", "/api/v1/incidents/{id}/evidence/{eid}", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "Read an evidence item and its chain of custody (records the access)", "evidence",
	 NULL, 0},
	{"GET", "/api/v1/incidents/{id}/evidence/{eid}/download", PERM_READ, BODY_NONE, 0,
	 h_download, NULL,
	 "Download an evidence file (?reason= required; refused with 409 if its hash changed)",
	 "evidence", NULL, 0},
	{"POST", "/api/v1/incidents/{id}/evidence/{eid}/custody", PERM_RESPOND, BODY_JSON, 0,
	 h_custody, NULL, "Record a hand-over or export of an evidence item", "evidence",
	 custody_fields, 0},
};
ROUTES_COUNT(api_evidence);
