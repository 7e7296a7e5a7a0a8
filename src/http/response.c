/* Response helpers and request accessors shared by every handler. */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "http/http.h"
#include "util/xalloc.h"

#define JSON_MAX_DEPTH 32

void resp_header(struct req *r, const char *name, const char *value)
{
	struct resp_header *h = arena_alloc(&r->arena, sizeof(*h));
	h->name = arena_strdup(&r->arena, name);
	h->value = arena_strdup(&r->arena, value);
	h->next = r->headers;
	r->headers = h;
}

int resp_text(struct req *r, int status, const char *content_type, const char *text, size_t len)
{
	r->status = status;
	r->content_type = content_type;
	sb_reset(&r->out);
	sb_append(&r->out, text, len);
	return 0;
}

int resp_json(struct req *r, int status, json_t *body)
{
	r->status = status;
	r->content_type = "application/json";
	sb_reset(&r->out);
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s)
		return resp_problem(r, 500, "Internal Server Error", "response encoding failed", NULL);
	sb_puts(&r->out, s);
	sb_putc(&r->out, '\n');
	free(s);
	return 0;
}

static const char *status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

/* Hook for the web layer: renders an HTML error page. Set by src/web. */
int (*resp_problem_html_hook)(struct req *r, int status, const char *title, const char *detail);

int resp_problem(struct req *r, int status, const char *title, const char *detail,
		 json_t *errors)
{
	if (!title)
		title = status_title(status);
	if (r->route && (r->route->flags & ROUTE_HTML) && resp_problem_html_hook) {
		json_decref(errors);
		return resp_problem_html_hook(r, status, title, detail);
	}
	json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title", title,
			      "status", status, "detail", detail ? detail : title, "instance",
			      r->path ? r->path : "/");
	json_object_set_new(p, "request_id", json_string(r->request_id));
	if (errors)
		json_object_set_new(p, "errors", errors);
	resp_json(r, status, p);
	r->content_type = "application/problem+json";
	return 0;
}

int resp_error(struct req *r, int err, const char *detail)
{
	switch (err) {
	case SIRT_EINVAL: return resp_problem(r, 422, NULL, detail, NULL);
	case SIRT_ENOTFOUND: return resp_problem(r, 404, NULL, detail, NULL);
	case SIRT_ECONFLICT: return resp_problem(r, 409, NULL, detail, NULL);
	case SIRT_EPRECOND: return resp_problem(r, 412, NULL, detail, NULL);
	case SIRT_EPERM: return resp_problem(r, 403, NULL, detail, NULL);
	case SIRT_EAUTH: return resp_problem(r, 401, NULL, detail, NULL);
	case SIRT_ETOOBIG: return resp_problem(r, 413, NULL, detail, NULL);
	case SIRT_ETHROTTLE: return resp_problem(r, 429, NULL, detail, NULL);
	case SIRT_EUNAVAIL:
		return resp_problem(r, 503, NULL,
				    detail ? detail : "the database is unreachable; try again shortly",
				    NULL);
	default:
		return resp_problem(r, 500, NULL, detail ? detail : "internal error", NULL);
	}
}

int resp_redirect(struct req *r, const char *location)
{
	resp_header(r, "Location", location);
	return resp_text(r, 303, "text/plain; charset=utf-8", "", 0);
}

const char *req_query(const struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(const struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(const struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

struct audit_ctx req_audit_ctx(const struct req *r)
{
	struct audit_ctx c = {
		.actor = r->who.actor ? r->who.actor : "anonymous",
		.request_id = r->request_id,
		.client_addr = r->client_addr,
	};
	return c;
}

static int depth_of(json_t *v, int d)
{
	if (d > JSON_MAX_DEPTH)
		return d;
	int max = d;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			int dd = depth_of(x, d + 1);
			if (dd > max)
				max = dd;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			int dd = depth_of(x, d + 1);
			if (dd > max)
				max = dd;
		}
	}
	return max;
}

int req_json(struct req *r, json_t **out)
{
	*out = NULL;
	if (!r->body || r->body_len == 0) {
		resp_problem(r, 400, NULL, "the request body is empty; a JSON object is expected",
			     NULL);
		return SIRT_EINVAL;
	}
	json_error_t e;
	json_t *v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		char *d = arena_printf(&r->arena, "malformed JSON at line %d, column %d: %s", e.line,
				       e.column, e.text);
		resp_problem(r, 400, NULL, d, NULL);
		return SIRT_EINVAL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		resp_problem(r, 400, NULL, "the request body must be a JSON object", NULL);
		return SIRT_EINVAL;
	}
	if (depth_of(v, 0) > JSON_MAX_DEPTH) {
		json_decref(v);
		resp_problem(r, 400, NULL, "the JSON document is nested too deeply", NULL);
		return SIRT_EINVAL;
	}
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static char *url_decode(struct arena *a, const char *s, size_t n)
{
	char *o = arena_alloc(a, n + 1), *p = o;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*p++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			*p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return o;
}

const char *req_form(struct req *r, const char *name)
{
	if (!r->body)
		return NULL;
	size_t nl = strlen(name);
	const char *p = r->body, *end = r->body + r->body_len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		const char *ke = eq ? eq : fe;
		char *key = url_decode(&r->arena, p, (size_t)(ke - p));
		if (strlen(key) == nl && memcmp(key, name, nl) == 0)
			return eq ? url_decode(&r->arena, eq + 1, (size_t)(fe - eq - 1)) : "";
		p = fe + 1;
	}
	return NULL;
}

int resp_stream(struct req *r, int status, const char *content_type, int64_t size,
		ssize_t (*reader)(void *cls, uint64_t pos, char *buf, size_t max), void *cls,
		void (*free_cls)(void *cls))
{
	r->status = status;
	r->content_type = content_type;
	sb_reset(&r->out);
	r->body_reader = reader;
	r->body_cls = cls;
	r->body_free = free_cls;
	r->body_size = size;
	return 0;
}

int resp_file(struct req *r, int status, const char *content_type, int fd, int64_t size)
{
	r->status = status;
	r->content_type = content_type;
	sb_reset(&r->out);
	if (r->body_fd >= 0)
		close(r->body_fd);
	r->body_fd = fd;
	r->body_size = size;
	return 0;
}
