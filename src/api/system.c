/* Health, readiness, metrics and the OpenAPI document. */
#include <ctype.h>
#include <string.h>

#include "api/api.h"
#include "api/validate.h"
#include "app/app.h"
#include "http/metrics.h"
#include "http/routes.h"
#include "util/xalloc.h"

static int h_healthz(struct req *r)
{
	return resp_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version", SIRT_VERSION));
}

static int h_readyz(struct req *r)
{
	if (!store_ping(r->app->store))
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	int64_t v = 0;
	if (store_schema_version(r->app->store, &v) < 0)
		return resp_problem(r, 503, NULL, "the database schema cannot be read", NULL);
	return resp_json(r, 200,
			 json_pack("{s:s, s:s, s:I}", "status", "ready", "database",
				   store_is_postgres(r->app->store) ? "postgres" : "sqlite",
				   "schema_version", (json_int_t)v));
}

static int h_metrics(struct req *r)
{
	struct strbuf sb;
	sb_init(&sb, 4 << 20);
	metrics_render(r->app->metrics, r->app->store, &sb);
	resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", sb_str(&sb), sb.len);
	sb_free(&sb);
	return 0;
}

static json_t *problem_response(const char *desc)
{
	return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", desc, "content",
			 "application/problem+json", "schema", "$ref",
			 "#/components/schemas/Problem");
}

static json_t *operation(const struct route *t)
{
	json_t *op = json_object();
	char opid[160];
	size_t o = 0;
	for (const char *p = t->method; *p && o < sizeof(opid) - 1; p++)
		opid[o++] = (char)tolower((unsigned char)*p);
	for (const char *p = t->pattern; *p && o < sizeof(opid) - 1; p++)
		opid[o++] = isalnum((unsigned char)*p) ? *p : '_';
	opid[o] = '\0';
	json_object_set_new(op, "operationId", json_string(opid));
	json_object_set_new(op, "summary", json_string(t->summary ? t->summary : ""));
	json_object_set_new(op, "tags", json_pack("[s]", t->tag ? t->tag : "other"));
	json_object_set_new(op, "x-sirt-permission", json_string(perm_name(t->perm)));
	if (t->perm == PERM_PUBLIC || t->perm == PERM_INTAKE)
		json_object_set_new(op, "security", json_array());
	json_t *params = json_array();
	for (const char *p = strchr(t->pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		if (!e)
			break;
		json_array_append_new(params,
				      json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
						(size_t)(e - p - 1), "in", "path", "required", 1,
						"schema", "type", "string"));
	}
	if (json_array_size(params))
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (t->body != BODY_NONE) {
		const char *ct = t->body == BODY_JSON ? "application/json"
				 : t->body == BODY_FORM ? "application/x-www-form-urlencoded"
				 : t->body == BODY_MULTIPART ? "multipart/form-data"
							     : "application/octet-stream";
		json_t *schema = t->fields ? validate_schema(t->fields) : json_object();
		json_object_set_new(op, "requestBody",
				    json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content", ct,
					      "schema", schema));
	}
	json_t *resps = json_object();
	json_object_set_new(resps, "2XX", json_pack("{s:s}", "description", "success"));
	if (t->perm != PERM_PUBLIC) {
		json_object_set_new(resps, "401", problem_response("authentication required"));
		json_object_set_new(resps, "403", problem_response("permission denied"));
	}
	json_object_set_new(resps, "404", problem_response("not found"));
	if (t->body != BODY_NONE) {
		json_object_set_new(resps, "400", problem_response("malformed request body"));
		json_object_set_new(resps, "413", problem_response("request body too large"));
		json_object_set_new(resps, "415", problem_response("wrong content type"));
		json_object_set_new(resps, "422", problem_response("validation failed"));
	}
	json_object_set_new(resps, "503", problem_response("database unreachable"));
	json_object_set_new(op, "responses", resps);
	return op;
}

json_t *openapi_document(void);
json_t *openapi_document(void)
{
	int n;
	const struct route *t = router_table(&n);
	json_t *paths = json_object();
	for (int i = 0; i < n; i++) {
		if (t[i].flags & ROUTE_HTML)
			continue; /* web pages are not part of the API */
		json_t *item = json_object_get(paths, t[i].pattern);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, t[i].pattern, item);
		}
		char m[16];
		size_t k = 0;
		for (; t[i].method[k] && k < sizeof(m) - 1; k++)
			m[k] = (char)tolower((unsigned char)t[i].method[k]);
		m[k] = '\0';
		json_object_set_new(item, m, operation(&t[i]));
	}
	json_t *problem = json_pack(
		"{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:{s:s}}}}",
		"type", "object", "properties", "type", "type", "string", "title", "type", "string",
		"status", "type", "integer", "detail", "type", "string", "instance", "type",
		"string", "request_id", "type", "string", "errors", "type", "array", "items",
		"type", "object");
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:o}, s:{s:{s:s, s:s}}}, s:[{s:[]}]}",
			 "openapi", "3.1.0", "info", "title", "sirt API", "version", SIRT_VERSION,
			 "description",
			 "sirt security incident response. Errors are RFC 9457 problem+json.",
			 "paths", paths, "components", "schemas", "Problem", problem,
			 "securitySchemes", "bearer", "type", "http", "scheme", "bearer",
			 "security", "bearer");
}

static int h_openapi(struct req *r)
{
	return resp_json(r, 200, openapi_document());
}

const struct route api_system_routes[] = {
	{"GET", "/healthz", PERM_PUBLIC, BODY_NONE, 0, h_healthz, NULL, "Liveness", "system",
	 NULL, ROUTE_NOLOG},
	{"GET", "/readyz", PERM_PUBLIC, BODY_NONE, 0, h_readyz, NULL,
	 "Readiness: the database answers", "system", NULL, ROUTE_NOLOG},
	{"GET", "/metrics", PERM_PUBLIC, BODY_NONE, 0, h_metrics, NULL,
	 "Prometheus metrics", "system", NULL, ROUTE_NOLOG},
	{"GET", "/api/v1/openapi.json", PERM_PUBLIC, BODY_NONE, 0, h_openapi, NULL,
	 "This OpenAPI 3.1 document", "system", NULL, 0},
};
ROUTES_COUNT(api_system);
