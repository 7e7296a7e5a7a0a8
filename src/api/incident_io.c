/*
 * GET  /api/v1/incidents/export?format=csv|jsonl|veris  the log, streamed
 * POST /api/v1/incidents/import?format=csv|veris         one file as the body
 *
 * Export streams: the response body is produced page by page by
 * export_reader() on the connection's thread after the handler returns
 * (resp_stream), so memory does not grow with the log. VERIS comes as JSON
 * lines, one VERIS document per line.
 *
 * Import receives its body through a stream sink into a buffer with its own
 * ceiling (IMPORT_BODY_MAX), checks the whole file, then writes it in one
 * transaction: 200 with the counts, or 422 listing every rejected row when
 * the file is refused (nothing written). ?skip_bad=true imports the good
 * rows and lists the bad ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "export/import_map.h"
#include "export/incident_export.h"
#include "http/routes.h"
#include "store/import_store.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define IMPORT_BODY_MAX ((size_t)64 << 20)

struct export_stream {
	struct app *app;
	struct export_iter it;
	struct strbuf buf;
	size_t off;
	bool failed;
};

static ssize_t export_reader(void *cls, uint64_t pos, char *out, size_t max);
static void export_free(void *cls);

static ssize_t export_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct export_stream *s = cls;
	while (s->off == s->buf.len) {
		if (s->it.done && s->it.started)
			return RESP_STREAM_END;
		sb_reset(&s->buf);
		s->off = 0;
		struct db *db = store_reader(s->app->store);
		int n = db ? export_iter_next(&s->it, db, &s->buf) : SIRT_EUNAVAIL;
		if (n < 0 || sb_status(&s->buf) < 0) {
			fprintf(stderr, "sirt: export stopped: %s\n",
				db ? db_errmsg(db) : "database unreachable");
			return RESP_STREAM_ERROR; /* the client sees a truncated response */
		}
		if (n == 0 && s->buf.len == 0)
			return RESP_STREAM_END;
	}
	size_t n = s->buf.len - s->off;
	if (n > max)
		n = max;
	memcpy(out, s->buf.buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export_stream *s = cls;
	sb_free(&s->buf);
	free(s);
}

struct audit_job {
	struct audit_ctx ac;
	int64_t org_id;
	const char *format;
};

static int export_audit_tx(struct db *db, void *arg)
{
	struct audit_job *j = arg;
	json_t *d = json_pack("{s:s}", "format", j->format);
	int rc = audit_append(db, &j->ac, j->org_id, "incident_log.export", "incident_log", "", d);
	json_decref(d);
	return rc;
}

static int h_export(struct req *r)
{
	const char *format = req_query(r, "format");
	enum export_format fmt;
	if (!format)
		format = "csv";
	if (export_format_parse(format, &fmt) < 0)
		return resp_problem(r, 400, NULL, "format must be csv, jsonl or veris", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	char org_name[256] = "";
	struct db_res *res;
	if (db_query(db, &res, "SELECT name FROM orgs WHERE id = $1", 1, DBV(DB_INT(r->who.org_id))) == 0) {
		if (db_next(res))
			snprintf(org_name, sizeof(org_name), "%s", db_text(res, 0));
		db_res_free(res);
	}
	/* who exported the log, and when, is worth an audit entry */
	struct audit_job j = {.ac = req_audit_ctx(r), .org_id = r->who.org_id, .format = format};
	int rc = store_tx(r->app->store, export_audit_tx, &j);
	if (rc < 0)
		return api_store_error(r, NULL, rc, "recording the export");
	struct export_stream *s = xcalloc(1, sizeof(*s));
	s->app = r->app;
	sb_init(&s->buf, SB_DEFAULT_MAX);
	export_iter_init(&s->it, fmt, r->who.org_id, org_name);
	char date[ISO8601_LEN];
	time_format_iso8601(time_now(), date);
	date[10] = '\0';
	resp_header(r, "Content-Disposition",
		    arena_printf(&r->arena, "attachment; filename=\"incidents-%s.%s\"", date,
				 export_extension(fmt)));
	return resp_stream(r, 200, export_content_type(fmt), -1, export_reader, s, export_free);
}

/* ---- import ---- */

struct import_body {
	struct strbuf sb;
};

static void import_cleanup(struct req *r)
{
	struct import_body *b = r->stream_state;
	if (b)
		sb_free(&b->sb);
}

static int import_sink(struct req *r, const char *data, size_t len)
{
	struct import_body *b = r->stream_state;
	if (!b) {
		b = arena_alloc(&r->arena, sizeof(*b));
		sb_init(&b->sb, IMPORT_BODY_MAX);
		r->stream_state = b;
		r->cleanup = import_cleanup;
	}
	if (len && b->sb.len + len > IMPORT_BODY_MAX) {
		resp_problem(r, 413, NULL,
			     arena_printf(&r->arena,
					  "the file is larger than %zu bytes; import it with"
					  " 'sirt incident import' instead",
					  IMPORT_BODY_MAX),
			     NULL);
		return -1;
	}
	sb_append(&b->sb, data, len);
	return 0;
}

static bool truthy(const char *s)
{
	return s && (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes"));
}

static int h_import(struct req *r)
{
	const char *format = req_query(r, "format");
	if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "veris") != 0))
		return resp_problem(r, 400, NULL, "format must be csv or veris", NULL);
	bool csv = !strcmp(format, "csv");
	bool skip_bad = truthy(req_query(r, "skip_bad"));
	const char *map = req_query(r, "map");
	const char *name = req_query(r, "name");
	if (!name || !*name || strlen(name) > 200)
		name = "body";
	struct import_body *b = r->stream_state;
	if (!b || b->sb.len == 0)
		return resp_problem(r, 400, NULL, "the request body is empty: send one file", NULL);
	char err[1024];
	struct csv_map m = {0};
	if (map && (!csv || csv_map_parse(map, &m, err, sizeof(err)) < 0)) {
		csv_map_free(&m);
		return resp_problem(r, 400, NULL,
				    csv ? arena_printf(&r->arena, "map: %s", err)
					: "map is for format=csv",
				    NULL);
	}
	struct import_result res;
	import_result_init(&res);
	json_t *records = NULL;
	int64_t now = time_now();
	int rc = csv ? import_csv_records(name, b->sb.buf, b->sb.len, &m, skip_bad, now, &records,
					  &res)
		     : import_veris_records(name, b->sb.buf, b->sb.len, skip_bad, now, &records,
					    &res);
	csv_map_free(&m);
	if (rc < 0) {
		json_t *errors = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(res.rejects, i, x)
			json_array_append_new(
				errors,
				json_pack("{s:O, s:O, s:O}", "where", json_object_get(x, "where"),
					  "field", json_object_get(x, "field"), "message",
					  json_object_get(x, "message")));
		json_t *first = json_array_get(res.rejects, 0);
		char *detail = arena_printf(
			&r->arena, "the file was not imported (nothing was written): %lld rejected;"
			" first: %s: %s", (long long)res.rejected,
			json_string_value(json_object_get(first, "where")),
			json_string_value(json_object_get(first, "message")));
		json_decref(records);
		import_result_free(&res);
		return resp_problem(r, 422, NULL, detail, errors);
	}
	struct audit_ctx ac = req_audit_ctx(r);
	rc = import_write(r->app->store, &ac, r->who.org_id, records, format,
			  r->who.email ? r->who.email : ac.actor, &res);
	json_decref(records);
	if (rc < 0) {
		import_result_free(&res);
		return api_store_error(r, NULL, rc, "importing incidents");
	}
	json_t *out = import_result_json(&res);
	json_object_set(out, "ids", res.created_ids);
	import_result_free(&res);
	return resp_json(r, 200, out);
}

const struct route api_incident_io_routes[] = {
	{"GET", "/api/v1/incidents/export", PERM_READ, BODY_NONE, 0, h_export, NULL,
	 "Export the incident log (?format=csv|jsonl|veris), streamed", "incidents", NULL, 0},
	{"POST", "/api/v1/incidents/import", PERM_MANAGE, BODY_ANY, IMPORT_BODY_MAX, h_import,
	 import_sink,
	 "Import incidents from one CSV or VERIS file (?format=csv|veris&map=&skip_bad=)",
	 "incidents", NULL, 0},
};
ROUTES_COUNT(api_incident_io);
