/*
 * The HTTP layer: one struct req per request, one router table that carries
 * each route's policy, and response helpers.
 *
 * Life of a request (see README "Life of a request"):
 *   libmicrohttpd accepts the socket and parses the request line and headers
 *   → server.c finds the route (404 / 405 with Allow) and checks, before any
 *     body byte is read: body size against route->body_max (413), content
 *     type (415), authentication (401) and the route's permission (403)
 *   → the body is read into the request arena up to the ceiling (or handed
 *     chunk by chunk to route->stream)
 *   → CSRF check for cookie-authenticated state-changing requests
 *   → route->handler(req) builds the response with resp_*()
 *   → server.c adds the request id and security headers, queues the
 *     response, records metrics and writes one JSON access-log line.
 * Everything a handler allocates from req->arena dies with the request.
 */
#ifndef SIRT_HTTP_H
#define SIRT_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth/perm.h"
#include "auth/token.h"
#include "util/arena.h"
#include "util/strbuf.h"

struct app;
struct req;
struct field_spec;

typedef int (*route_handler)(struct req *r);
/* Streaming body sink: called for each chunk, then once with len 0 at the end. */
typedef int (*route_stream)(struct req *r, const char *data, size_t len);

enum body_kind {
	BODY_NONE = 0,  /* no body accepted */
	BODY_JSON,      /* application/json, parsed by handlers with req_json() */
	BODY_FORM,      /* application/x-www-form-urlencoded (web forms) */
	BODY_MULTIPART, /* multipart/form-data (web uploads) */
	BODY_ANY,       /* any content type (intake, uploads) */
};

struct route {
	const char *method;
	const char *pattern;     /* "/api/v1/incidents/{id}" */
	enum perm perm;          /* required permission; PERM_UNSET is a bug */
	enum body_kind body;
	size_t body_max;         /* 0: the configured default (max-body) */
	route_handler handler;
	route_stream stream;     /* optional: body is streamed instead of buffered */
	const char *summary;     /* one line for the OpenAPI document */
	const char *tag;         /* OpenAPI tag */
	const struct field_spec *fields; /* JSON body fields, for validation and OpenAPI */
	unsigned flags;
};

#define ROUTE_HTML 1u      /* a web page: HTML errors, session cookie auth, CSRF */
#define ROUTE_NOLOG 2u     /* no access-log line (health checks) */
#define ROUTE_NOAUTH_API 4u /* PERM_PUBLIC API route */

#define MAX_PATH_PARAMS 6

struct resp_header {
	const char *name;
	const char *value;
	struct resp_header *next;
};

struct req {
	struct app *app;
	struct arena arena;
	const struct route *route;
	int route_index;
	const char *method;
	const char *path;          /* URL path without query */
	const char *param_names[MAX_PATH_PARAMS];
	const char *param_values[MAX_PATH_PARAMS];
	int nparams;
	char request_id[33];
	char client_addr[64];
	bool tls;
	void *conn;                /* struct MHD_Connection * */

	struct principal who;
	bool authenticated;
	bool via_session;
	const char *csrf_token;    /* the session's CSRF token, for forms (web) */

	char *body;                /* NUL-terminated, in the arena */
	size_t body_len;
	bool body_too_big;
	void *stream_state;        /* for route->stream handlers */
	/* Called once when the request ends, however it ends (an upload that
	 * broke off included): releases what stream_state holds. */
	void (*cleanup)(struct req *r);

	/* A streamed response body instead of `out` (see resp_stream()). */
	ssize_t (*body_reader)(void *cls, uint64_t pos, char *buf, size_t max);
	void (*body_free)(void *cls);
	void *body_cls;
	int64_t body_size;         /* -1: unknown (chunked) */
	int body_fd;               /* >= 0: serve this file (resp_file()); closed by the server */

	/* response */
	int status;
	struct strbuf out;
	const char *content_type;
	struct resp_header *headers;
	int64_t started_us;
};

/* ---- request accessors ---- */
const char *req_param(const struct req *r, const char *name);  /* path parameter */
const char *req_query(const struct req *r, const char *name);  /* query argument */
const char *req_header(const struct req *r, const char *name);
const char *req_cookie(const struct req *r, const char *name);
/* Parses the body as a JSON object (duplicate keys rejected, depth capped);
 * on failure sends a 400 problem and returns SIRT_EINVAL. */
int req_json(struct req *r, json_t **out) WUR;
/* Form fields (BODY_FORM): URL-decoded into the arena. */
const char *req_form(struct req *r, const char *name);
/* The audit context for this request. */
struct audit_ctx req_audit_ctx(const struct req *r);

/* ---- responses ---- */
void resp_header(struct req *r, const char *name, const char *value);
/* Takes a reference to body (json_decref'd here). */
int resp_json(struct req *r, int status, json_t *body);
int resp_text(struct req *r, int status, const char *content_type, const char *text, size_t len);
/* RFC 9457 problem+json (or an HTML error page for ROUTE_HTML routes).
 * errors: optional array of {"field","message"}; its reference is taken. */
int resp_problem(struct req *r, int status, const char *title, const char *detail,
		 json_t *errors);
/* Maps a sirt error code to a problem response with detail. */
int resp_error(struct req *r, int err, const char *detail);
int resp_redirect(struct req *r, const char *location);
/*
 * A streamed body: reader fills buf with up to max bytes at offset pos and
 * returns the count, RESP_STREAM_END at the end or RESP_STREAM_ERROR to cut
 * the connection; it runs on the connection's thread after the handler has
 * returned, so it may use store_reader() but must not keep a transaction
 * open between calls. free_cls (may be NULL) runs when the response is done.
 * size -1 sends it chunked.
 */
#define RESP_STREAM_END (-1)
#define RESP_STREAM_ERROR (-2)
int resp_stream(struct req *r, int status, const char *content_type, int64_t size,
		ssize_t (*reader)(void *cls, uint64_t pos, char *buf, size_t max), void *cls,
		void (*free_cls)(void *cls));
/* Serves size bytes of the open file fd from its start; takes the fd. */
int resp_file(struct req *r, int status, const char *content_type, int fd, int64_t size);

/* ---- router ---- */
const struct route *router_table(int *count);
/* Matches method+path; fills params. Returns the route index, -1 when no
 * path matches (404), -2 when the path exists with other methods (405, Allow
 * in allow). */
int router_match(const char *method, const char *path, struct req *r, char *allow,
		 size_t allowlen);

#endif
