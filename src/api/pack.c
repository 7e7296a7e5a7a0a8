/*
 * /api/v1/evidence/packs: build the auditor's evidence pack for a period,
 * list the packs built, download one. Admins and auditors (PERM_AUDIT).
 *
 * POST builds synchronously (one build at a time per process, so memory
 * stays bounded; a second request meanwhile gets 409) into
 * DATA_DIR/packs/<id>.zip and answers 201 with the pack's record: size,
 * SHA-256, signing key, incident and report counts and the freshness
 * warnings. A failed build is recorded too (status "failed", the reason)
 * and answered with a problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/pack_api.h"
#include "api/validate.h"
#include "app/app.h"
#include "audit/audit.h"
#include "export/pack.h"
#include "http/routes.h"
#include "store/store.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"


static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const fw_values[] = {"all", "m365", "soc2", "iso27001", NULL};

static const struct field_spec create_fields[] = {
	{"from", F_STRING, true, false, 40, NULL, "first day of the period (YYYY-MM-DD, UTC)"},
	{"to", F_STRING, true, false, 40, NULL, "last day of the period, included (YYYY-MM-DD)"},
	{"framework", F_ENUM, false, false, 0, fw_values, "m365, soc2, iso27001 or all (default)"},
	{NULL},
};

#define PACK_COLS                                                                          \
	"uid, period_from, period_to, framework, status, size, sha256, public_key, incidents," \
	" reports, warnings, error, created_by, created_at, duration_ms, file"

static json_t *tj(int64_t t)
{
	char b[ISO8601_LEN];
	time_format_iso8601(t, b);
	return json_string(b);
}

static json_t *row_json(struct db_res *r)
{
	json_t *w = json_loads(db_text(r, 10), 0, NULL);
	const char *uid = db_text(r, 0);
	bool ready = !strcmp(db_text(r, 4), "ready");
	json_t *o = json_pack("{s:s, s:{s:o, s:o}, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:s,"
			      " s:o, s:I}",
			      "id", uid, "period", "from", tj(db_int(r, 1)), "to", tj(db_int(r, 2)),
			      "framework", db_text(r, 3), "status", db_text(r, 4), "size",
			      db_isnull(r, 5) ? json_null() : json_integer(db_int(r, 5)), "sha256",
			      db_isnull(r, 6) ? json_null() : json_string(db_text(r, 6)),
			      "public_key", db_isnull(r, 7) ? json_null() : json_string(db_text(r, 7)),
			      "incidents", (json_int_t)db_int(r, 8), "reports",
			      (json_int_t)db_int(r, 9), "warnings", w ? w : json_array(), "error",
			      db_isnull(r, 11) ? json_null() : json_string(db_text(r, 11)),
			      "created_by", db_text(r, 12), "created_at", tj(db_int(r, 13)),
			      "duration_ms", (json_int_t)db_int(r, 14));
	char *link = xasprintf("/api/v1/evidence/packs/%s/download", uid);
	json_object_set_new(o, "download", ready ? json_string(link) : json_null());
	free(link);
	return o;
}

struct job {
	int64_t org;
	char uid[37];
	struct audit_ctx ac;
	const struct pack_opts *o;
	const struct pack_result *res;
	bool ok;
	const char *file;
	int64_t duration_ms;
};

static int job_tx(struct db *db, void *arg)
{
	struct job *j = arg;
	char *warn = json_dumps(j->res->warnings, JSON_COMPACT);
	int rc = db_exec(
		db,
		"INSERT INTO evidence_packs (uid, org_id, period_from, period_to, framework, status,"
		" file, size, sha256, public_key, incidents, reports, warnings, error, created_by,"
		" created_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
		" $13, $14, $15, $16, $17)",
		17,
		DBV(DB_TEXT(j->uid), DB_INT(j->org), DB_INT(j->o->from), DB_INT(j->o->to),
		    DB_TEXT(j->o->framework), DB_TEXT(j->ok ? "ready" : "failed"),
		    DB_TEXT(j->ok ? j->file : NULL), j->ok ? DB_INT(j->res->size) : DB_NULL(),
		    DB_TEXT(j->ok ? j->res->sha256 : NULL), DB_TEXT(j->res->public_key[0] ? j->res->public_key : NULL),
		    DB_INT(j->res->incidents), DB_INT(j->res->reports), DB_TEXT(warn ? warn : "[]"),
		    DB_TEXT(j->ok ? NULL : j->res->why), DB_TEXT(j->o->generated_by),
		    DB_INT(j->o->now), DB_INT(j->duration_ms)));
	free(warn);
	if (rc < 0)
		return rc;
	json_t *det = json_pack("{s:s, s:s, s:s, s:s, s:I}", "status", j->ok ? "ready" : "failed",
				"framework", j->o->framework, "sha256", j->ok ? j->res->sha256 : "",
				"period", "", "incidents", (json_int_t)j->res->incidents);
	char f[ISO8601_LEN], t[ISO8601_LEN];
	time_format_iso8601(j->o->from, f);
	time_format_iso8601(j->o->to, t);
	json_object_set_new(det, "period", json_pack("{s:s, s:s}", "from", f, "to", t));
	rc = audit_append(db, &j->ac, j->org, "evidence.pack.create", "evidence_pack", j->uid, det);
	json_decref(det);
	return rc;
}

static int read_one(struct db *db, int64_t org, const char *uid, json_t **out, char **file)
{
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT " PACK_COLS " FROM evidence_packs WHERE org_id = $1 AND uid = $2",
			  2, DBV(DB_INT(org), DB_TEXT(uid)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*out = row_json(r);
		if (file)
			*file = db_isnull(r, 15) ? NULL : xstrdup(db_text(r, 15));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int api_pack_create(struct req *r, const char *from_s, const char *to_s, const char *fw,
		    json_t **out, struct api_pack_error *err)
{
	memset(err, 0, sizeof(*err));
	if (!fw || !*fw)
		fw = "all";
	int64_t from, to;
	if (!pack_framework_valid(fw)) {
		err->status = 422;
		err->field = "framework";
		snprintf(err->why, sizeof(err->why), "must be one of all, m365, soc2, iso27001");
		return SIRT_EINVAL;
	}
	if (pack_parse_period(from_s, to_s, &from, &to, err->why, sizeof(err->why)) < 0) {
		err->status = 422;
		err->field = strstr(err->why, "--to") ? "to" : "from";
		return SIRT_EINVAL;
	}
	struct db *db = store_reader(r->app->store);
	if (!db) {
		err->status = 503;
		snprintf(err->why, sizeof(err->why), "the database is not reachable");
		return SIRT_EUNAVAIL;
	}
	if (pthread_mutex_trylock(&build_lock) != 0) {
		err->status = 409;
		snprintf(err->why, sizeof(err->why),
			 "an evidence pack is being built; try again when it is done");
		return SIRT_ECONFLICT;
	}
	const struct config *cfg = &r->app->cfg;
	struct job j = {.org = r->who.org_id, .ac = req_audit_ctx(r)};
	rand_uuid(j.uid);
	char *dir = xasprintf("%s/packs", cfg->data_dir);
	char *rel = xasprintf("packs/%s.zip", j.uid);
	char *path = xasprintf("%s/%s", cfg->data_dir, rel);
	char *key = pack_key_path(NULL, cfg->data_dir);
	char *url = cfg->base_url && *cfg->base_url ? xstrdup(cfg->base_url)
						    : xasprintf("http://%s", cfg->listen);
	const char *who = r->who.email ? r->who.email : r->who.actor;
	struct pack_opts o = {
		.org_id = r->who.org_id,
		.org_name = r->who.org_name ? r->who.org_name : "",
		.from = from,
		.to = to,
		.framework = fw,
		.generated_by = who ? who : "",
		.base_url = url,
		.key_path = key,
		.out_path = path,
		.now = time_now(),
	};
	struct pack_result res;
	memset(&res, 0, sizeof(res));
	int rc = 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		res.warnings = json_array();
		snprintf(res.why, sizeof(res.why), "cannot create %s: %s", dir, strerror(errno));
		rc = SIRT_EIO;
	} else {
		int64_t t0 = time_mono_us();
		rc = pack_build(db, &o, &res);
		j.duration_ms = (time_mono_us() - t0) / 1000;
	}
	pthread_mutex_unlock(&build_lock);
	j.o = &o;
	j.res = &res;
	j.ok = rc == 0;
	j.file = rel;
	int trc = store_tx(r->app->store, job_tx, &j);
	if (trc < 0) {
		if (rc == 0)
			unlink(path);
		rc = trc;
		snprintf(res.why, sizeof(res.why), "the pack could not be recorded");
	}
	if (rc < 0) {
		err->status = rc == SIRT_EINVAL ? 422 : 500;
		snprintf(err->why, sizeof(err->why), "%s", res.why);
	} else if (read_one(db, r->who.org_id, j.uid, out, NULL) != 0) {
		err->status = 500;
		snprintf(err->why, sizeof(err->why), "the pack was built but cannot be read back");
		rc = SIRT_EIO;
	}
	pack_result_free(&res);
	free(dir);
	free(rel);
	free(path);
	free(key);
	free(url);
	return rc;
}

int api_pack_list(struct db *db, int64_t org_id, int limit, json_t **items)
{
	struct db_res *res;
	int rc = db_query(db, &res,
			  "SELECT " PACK_COLS " FROM evidence_packs WHERE org_id = $1"
			  " ORDER BY created_at DESC, id DESC LIMIT $2",
			  2, DBV(DB_INT(org_id), DB_INT(limit)));
	if (rc < 0)
		return rc;
	*items = json_array();
	while (db_next(res))
		json_array_append_new(*items, row_json(res));
	db_res_free(res);
	return 0;
}

static int h_create(struct req *r)
{
	json_t *body, *errors = NULL;
	if (req_json(r, &body) < 0)
		return 0;
	if (validate_body(body, create_fields, &errors) < 0) {
		json_decref(body);
		return api_invalid(r, errors);
	}
	struct api_pack_error err;
	json_t *out = NULL;
	int rc = api_pack_create(r, json_string_value(json_object_get(body, "from")),
				 json_string_value(json_object_get(body, "to")),
				 json_string_value(json_object_get(body, "framework")), &out, &err);
	json_decref(body);
	if (rc == 0) {
		resp_header(r, "Location",
			    arena_printf(&r->arena, "/api/v1/evidence/packs/%s",
					 json_string_value(json_object_get(out, "id"))));
		return resp_json(r, 201, out);
	}
	if (err.field) {
		validate_add(&errors, err.field, err.why);
		return api_invalid(r, errors);
	}
	if (err.status == 503)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	if (err.status == 409)
		return resp_problem(r, 409, NULL, err.why, NULL);
	return resp_problem(r, err.status, "The evidence pack was not built", err.why, NULL);
}

static int h_list(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = api_pack_list(db, r->who.org_id, limit, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing evidence packs");
	return resp_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_get(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o;
	int rc = read_one(db, r->who.org_id, req_param(r, "id"), &o, NULL);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such evidence pack", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the evidence pack");
	return resp_json(r, 200, o);
}

static int h_download(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *o = NULL;
	char *file = NULL;
	int rc = read_one(db, r->who.org_id, req_param(r, "id"), &o, &file);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such evidence pack", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the evidence pack");
	const char *sha = json_string_value(json_object_get(o, "sha256"));
	char *etag = sha ? arena_printf(&r->arena, "\"%s\"", sha) : NULL;
	json_decref(o);
	if (!file) {
		return resp_problem(r, 409, NULL, "this pack failed to build; there is nothing to download",
				    NULL);
	}
	char *path = xasprintf("%s/%s", r->app->cfg.data_dir, file);
	free(file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return resp_problem(r, 410, NULL, "the pack's file is no longer on the server", NULL);
	}
	/* streamed from the file by the server, whatever its size */
	resp_file(r, 200, "application/zip", fd, (int64_t)st.st_size);
	resp_header(r, "Content-Disposition",
		    arena_printf(&r->arena, "attachment; filename=\"evidence-pack-%s.zip\"",
				 req_param(r, "id")));
	if (etag)
		resp_header(r, "ETag", etag);
	return 0;
}

const struct route api_pack_routes[] = {
	{"POST", "/api/v1/evidence/packs", PERM_AUDIT, BODY_JSON, 0, h_create, NULL,
	 "Build the evidence pack for a period (signed zip; synchronous)", "evidence-pack",
	 create_fields, 0},
	{"GET", "/api/v1/evidence/packs", PERM_AUDIT, BODY_NONE, 0, h_list, NULL,
	 "List the evidence packs built, newest first", "evidence-pack", NULL, 0},
	{"GET", "/api/v1/evidence/packs/{id}", PERM_AUDIT, BODY_NONE, 0, h_get, NULL,
	 "Read an evidence pack's record: period, size, SHA-256, warnings", "evidence-pack", NULL,
	 0},
	{"GET", "/api/v1/evidence/packs/{id}/download", PERM_AUDIT, BODY_NONE, 0, h_download, NULL,
	 "Download an evidence pack (application/zip)", "evidence-pack", NULL, 0},
};
ROUTES_COUNT(api_pack);
