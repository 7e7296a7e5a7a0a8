/*
 * libmicrohttpd glue: the per-request state machine, central policy checks
 * from the route table, security headers, metrics and the access log.
 *
 * sirt accepts connections itself, on one thread, and hands each to the
 * daemon's thread pool with MHD_add_connection(), which spreads them evenly
 * over the worker threads. (When the workers accept for themselves, the
 * first to wake takes a burst of up to ten: 64 clients connecting at once
 * landed on 3 to 30 of 64 workers, and every connection on a worker waits
 * while that worker's request waits for its group commit.)
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/security.h"
#include "http/http.h"
#include "http/metrics.h"
#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "web/escape.h"

int (*server_session_hook)(struct req *r);
int (*server_csrf_hook)(struct req *r);

struct server {
	struct MHD_Daemon *d;
	struct app *app;
	int port;
	char *tls_cert;
	char *tls_key;
	int lfd;               /* listening socket, ours */
	pthread_t acceptor;
	atomic_bool stopping;
};

static const char CSP_API[] = "default-src 'none'; frame-ancestors 'none'";
static const char CSP_HTML[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	"base-uri 'none'; object-src 'none'";

static bool is_state_changing(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

static void client_address(struct req *r, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(r->client_addr, sizeof(r->client_addr), "unknown");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client_addr,
			  sizeof(r->client_addr));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client_addr,
			  sizeof(r->client_addr));
}

/* X-Forwarded-For is believed only from a configured proxy. */
static void apply_forwarded(struct req *r)
{
	const char *tp = r->app->cfg.trusted_proxies;
	if (!tp || !*tp)
		return;
	bool trusted = false;
	const char *p = tp;
	size_t al = strlen(r->client_addr);
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && *p == ' ')
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (n == al && memcmp(p, r->client_addr, n) == 0)
			trusted = true;
		if (!e)
			break;
		p = e + 1;
	}
	if (!trusted)
		return;
	const char *xff = req_header(r, "X-Forwarded-For");
	if (xff && *xff) {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		unsigned char buf[16];
		if (inet_pton(AF_INET, last, buf) == 1 || inet_pton(AF_INET6, last, buf) == 1)
			snprintf(r->client_addr, sizeof(r->client_addr), "%s", last);
	}
	const char *proto = req_header(r, "X-Forwarded-Proto");
	if (proto && strcmp(proto, "https") == 0)
		r->tls = true;
}

static struct req *req_new(struct app *app, struct MHD_Connection *c, const char *url,
			   const char *method)
{
	struct req *r = xcalloc(1, sizeof(*r));
	r->app = app;
	r->conn = c;
	r->started_us = time_mono_us();
	arena_init(&r->arena);
	sb_init(&r->out, 0);
	r->method = arena_strdup(&r->arena, method);
	r->path = arena_strdup(&r->arena, url);
	r->route_index = -1;
	r->status = 500;
	r->body_fd = -1;
	rand_hex(r->request_id, 16);
	client_address(r, c);
	/* native TLS: every connection of this daemon is HTTPS */
	r->tls = app->cfg.tls_cert && app->cfg.tls_key;
	return r;
}

static void req_free(struct req *r)
{
	if (r->cleanup)
		r->cleanup(r);
	if (r->body_free)
		r->body_free(r->body_cls);
	if (r->body_fd >= 0)
		close(r->body_fd);
	sb_free(&r->out);
	arena_free(&r->arena);
	free(r);
}

static bool content_type_ok(const struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	const char *want = NULL;
	switch (r->route->body) {
	case BODY_JSON: want = "application/json"; break;
	case BODY_FORM: want = "application/x-www-form-urlencoded"; break;
	case BODY_MULTIPART: want = "multipart/form-data"; break;
	default: return true;
	}
	if (!ct)
		return false;
	size_t n = strlen(want);
	if (strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Authenticates and authorises; on failure the problem response is set. */
static bool authorise(struct req *r)
{
	enum perm need = r->route->perm;
	if (need == PERM_UNSET) {
		resp_problem(r, 500, NULL, "route has no permission declared", NULL);
		return false;
	}
	if (need == PERM_PUBLIC || need == PERM_INTAKE)
		return true;
	const char *auth = req_header(r, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		struct db *db = store_reader(r->app->store);
		if (!db) {
			resp_error(r, SIRT_EUNAVAIL, NULL);
			return false;
		}
		const char *why = "";
		const char *tok = auth + 7;
		while (*tok == ' ')
			tok++;
		int rc = token_authenticate(db, &r->arena, tok, time_now(), &r->who, &why);
		if (rc == 0 && r->who.touch_at)
			store_touch(r->app->store, "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
				    r->who.token_id, r->who.touch_at);
		if (rc == SIRT_EAUTH && r->who.org_id) {
			/* a real token refused (revoked, expired, disabled user, ...) */
			json_t *d = json_pack("{s:s, s:s, s:s}", "token", r->who.token_uid,
					      "email", r->who.email ? r->who.email : "", "reason", why);
			r->who.actor = arena_printf(&r->arena, "token:%s(%s)", r->who.token_uid,
						    r->who.email ? r->who.email : "");
			security_event(r, r->who.org_id, "security.token_refused", d);
			json_decref(d);
			memset(&r->who, 0, sizeof(r->who));
		}
		if (rc == SIRT_EAUTH) {
			resp_header(r, "WWW-Authenticate", "Bearer realm=\"sirt\", error=\"invalid_token\"");
			resp_problem(r, 401, NULL, why, NULL);
			return false;
		}
		if (rc < 0) {
			resp_error(r, db_is_broken(db) || rc == SIRT_EUNAVAIL ? SIRT_EUNAVAIL : rc,
				   NULL);
			return false;
		}
		r->authenticated = true;
	} else if (auth) {
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"sirt\"");
		resp_problem(r, 401, NULL, "unsupported Authorization scheme; use 'Bearer <token>'",
			     NULL);
		return false;
	} else if (server_session_hook) {
		int rc = server_session_hook(r);
		if (rc == 0) {
			r->authenticated = true;
			r->via_session = true;
		} else if (rc == SIRT_EUNAVAIL) {
			resp_error(r, SIRT_EUNAVAIL, NULL);
			return false;
		}
	}
	if (!r->authenticated) {
		if (r->route->flags & ROUTE_HTML) {
			struct strbuf loc;
			sb_init(&loc, 4096);
			sb_puts(&loc, "/login?next=");
			escape_url_query(&loc, r->path, strlen(r->path));
			resp_redirect(r, sb_status(&loc) == 0 ? sb_str(&loc) : "/login");
			sb_free(&loc);
			return false;
		}
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"sirt\"");
		resp_problem(r, 401, NULL,
			     "authentication required: send 'Authorization: Bearer <token>'", NULL);
		return false;
	}
	if (!role_grants(r->who.role, need) || !scope_allows(r->who.scope, need)) {
		char *d = arena_printf(&r->arena,
				       "this action needs the '%s' permission, which your role (%s)"
				       " and token scope (%s) do not grant",
				       perm_name(need), role_name(r->who.role),
				       scope_name(r->who.scope));
		json_t *ev = json_pack("{s:s, s:s, s:s}", "permission", perm_name(need), "role",
				       role_name(r->who.role), "scope", scope_name(r->who.scope));
		security_event(r, r->who.org_id, "security.permission_denied", ev);
		json_decref(ev);
		resp_problem(r, 403, NULL, d, NULL);
		return false;
	}
	return true;
}

/* Web forms authenticated by cookie must carry the session's CSRF token;
 * the check lives with the session code (hook) — without it, refuse. */

static bool csrf_ok(struct req *r)
{
	if (!r->via_session || !is_state_changing(r->method))
		return true;
	if (server_csrf_hook && server_csrf_hook(r) == 0)
		return true;
	resp_problem(r, 403, NULL, "missing or invalid CSRF token", NULL);
	return false;
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct req *r)
{
	size_t len;
	if (strcmp(r->method, "HEAD") == 0)
		sb_reset(&r->out);
	struct MHD_Response *resp;
	bool head = strcmp(r->method, "HEAD") == 0;
	if (r->body_reader && !head) {
		/* the response owns the reader's state from here on */
		resp = MHD_create_response_from_callback(
			r->body_size < 0 ? MHD_SIZE_UNKNOWN : (uint64_t)r->body_size, 64 * 1024,
			r->body_reader, r->body_cls, r->body_free);
		r->body_free = NULL;
		if (!resp)
			return MHD_NO;
	} else if (r->body_fd >= 0 && !head) {
		resp = MHD_create_response_from_fd((uint64_t)r->body_size, r->body_fd);
		if (!resp)
			return MHD_NO;
		r->body_fd = -1; /* closed by libmicrohttpd */
	} else {
		char *body = sb_steal(&r->out, &len);
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(body);
			return MHD_NO;
		}
	}
	bool html = r->content_type && strncmp(r->content_type, "text/html", 9) == 0;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy", html ? CSP_HTML : CSP_API);
	if (r->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000; includeSubDomains");
	bool has_cache = false;
	for (struct resp_header *h = r->headers; h; h = h->next) {
		MHD_add_response_header(resp, h->name, h->value);
		if (strcasecmp(h->name, "Cache-Control") == 0)
			has_cache = true;
	}
	if (!has_cache)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct app *app = cls;
	struct req *r = *con_cls;
	if (!r) {
		r = req_new(app, c, url, method);
		*con_cls = r;
		apply_forwarded(r);
		char allow[128];
		int idx = router_match(method, r->path, r, allow, sizeof(allow));
		if (idx == -1) {
			resp_problem(r, 404, NULL, arena_printf(&r->arena, "no such resource: %s", r->path), NULL);
			return send_response(c, r);
		}
		if (idx == -2) {
			resp_header(r, "Allow", allow);
			resp_problem(r, 405, NULL,
				     arena_printf(&r->arena, "%s is not allowed here; allowed: %s",
						  method, allow),
				     NULL);
			return send_response(c, r);
		}
		int n;
		r->route = &router_table(&n)[idx];
		r->route_index = idx;
		size_t max = r->route->body_max ? r->route->body_max
			     : r->route->stream  ? app->cfg.evidence_max /* uploads */
						 : app->cfg.max_body;
		const char *cl = req_header(r, "Content-Length");
		const char *te = req_header(r, "Transfer-Encoding");
		bool has_body = (cl && strcmp(cl, "0") != 0) || te;
		if (has_body && r->route->body == BODY_NONE) {
			resp_problem(r, 400, NULL, "this request takes no body", NULL);
			return send_response(c, r);
		}
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(cl, &end, 10);
			if (errno || *end || v > max) {
				resp_problem(r, 413, NULL,
					     arena_printf(&r->arena,
							  "the request body is larger than the limit of %zu bytes",
							  max),
					     NULL);
				return send_response(c, r);
			}
		}
		if (has_body && !content_type_ok(r)) {
			resp_problem(r, 415, NULL,
				     r->route->body == BODY_JSON
					     ? "the body must be sent as 'Content-Type: application/json'"
					     : "unsupported content type for this route",
				     NULL);
			return send_response(c, r);
		}
		if (!authorise(r))
			return send_response(c, r);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->body_too_big)
			return MHD_YES;
		if (r->route->stream) {
			if (r->route->stream(r, upload_data, n) < 0)
				r->body_too_big = true; /* the sink has set the response */
			return MHD_YES;
		}
		size_t max = r->route->body_max ? r->route->body_max : app->cfg.max_body;
		if (r->body_len + n > max) {
			r->body_too_big = true;
			resp_problem(r, 413, NULL,
				     arena_printf(&r->arena,
						  "the request body is larger than the limit of %zu bytes",
						  max),
				     NULL);
			return MHD_YES;
		}
		/* Bodies are small (bounded by max); grow by copying into the arena. */
		char *nb = arena_alloc(&r->arena, r->body_len + n + 1);
		if (r->body_len)
			memcpy(nb, r->body, r->body_len);
		memcpy(nb + r->body_len, upload_data, n);
		r->body_len += n;
		nb[r->body_len] = '\0';
		r->body = nb;
		return MHD_YES;
	}
	/* The whole request is here. */
	if (r->body_too_big)
		return send_response(c, r);
	if (r->route->stream && r->route->stream(r, NULL, 0) < 0)
		return send_response(c, r);
	if (!csrf_ok(r))
		return send_response(c, r);
	r->status = 0;
	(void)r->route->handler(r);
	if (r->status == 0)
		resp_problem(r, 500, NULL, "the handler produced no response", NULL);
	return send_response(c, r);
}

static void json_str(struct strbuf *sb, const char *s)
{
	sb_putc(sb, '"');
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			sb_printf(sb, "\\%c", ch);
		else if (ch < 0x20)
			sb_printf(sb, "\\u%04x", ch);
		else
			sb_putc(sb, (char)ch);
	}
	sb_putc(sb, '"');
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct app *app = cls;
	struct req *r = *con_cls;
	store_reader_release(app->store); /* this thread's next request may get another */
	if (!r)
		return;
	int64_t us = time_mono_us() - r->started_us;
	metrics_observe(app->metrics, r->route_index, r->status, us);
	if (app->access_log && !(r->route && (r->route->flags & ROUTE_NOLOG))) {
		char ts[ISO8601_LEN];
		time_format_iso8601(time_now(), ts);
		struct strbuf sb;
		sb_init(&sb, 8192);
		sb_printf(&sb, "{\"ts\":\"%s\",\"request_id\":\"%s\",\"method\":", ts, r->request_id);
		json_str(&sb, r->method);
		sb_puts(&sb, ",\"path\":");
		json_str(&sb, r->path);
		sb_puts(&sb, ",\"route\":");
		json_str(&sb, r->route ? r->route->pattern : "");
		sb_printf(&sb, ",\"status\":%d,\"duration_ms\":%.3f,\"client\":", r->status,
			  (double)us / 1000.0);
		json_str(&sb, r->client_addr);
		sb_puts(&sb, ",\"actor\":");
		json_str(&sb, r->who.actor ? r->who.actor : "");
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
			sb_printf(&sb, ",\"aborted\":%d", (int)toe);
		sb_puts(&sb, "}\n");
		if (sb_status(&sb) == 0) {
			pthread_mutex_lock(&app->log_lock);
			fwrite(sb.buf, 1, sb.len, app->access_log);
			fflush(app->access_log);
			pthread_mutex_unlock(&app->log_lock);
		}
		sb_free(&sb);
	}
	req_free(r);
	*con_cls = NULL;
}

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	if (sb_status(&sb)) {
		snprintf(err, errlen, "%s: too large", path);
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb, NULL);
}

static void *acceptor_main(void *arg)
{
	struct server *s = arg;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (atomic_load(&s->stopping)) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors or memory: let connections finish */
				struct timespec ts = {0, 10 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
			continue; /* EINTR, ECONNABORTED, ... */
		}
		/* closes fd itself when it refuses (limits, memory) */
		(void)MHD_add_connection(s->d, fd, (struct sockaddr *)&ss, sl);
	}
	return NULL;
}

static int listen_on(const struct sockaddr_storage *ss, socklen_t sl, int *port)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bl) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

int server_start(struct app *app, struct server **out, char *err, size_t errlen)
{
	char host[128];
	int port;
	if (config_split_listen(app->cfg.listen, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen, "listen address '%s' is not HOST:PORT", app->cfg.listen);
		return SIRT_EINVAL;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
		flags |= MHD_USE_IPv6;
	} else if (strcmp(host, "localhost") == 0) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	} else {
		snprintf(err, errlen, "listen host '%s' must be an IP address", host);
		return SIRT_EINVAL;
	}
	struct server *s = xcalloc(1, sizeof(*s));
	s->app = app;
	s->lfd = -1;
	if (app->cfg.tls_cert || app->cfg.tls_key) {
		if (!app->cfg.tls_cert || !app->cfg.tls_key) {
			snprintf(err, errlen, "TLS needs both --tls-cert and --tls-key");
			free(s);
			return SIRT_EINVAL;
		}
		s->tls_cert = slurp(app->cfg.tls_cert, err, errlen);
		s->tls_key = s->tls_cert ? slurp(app->cfg.tls_key, err, errlen) : NULL;
		if (!s->tls_key) {
			free(s->tls_cert);
			free(s);
			return SIRT_EIO;
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem ops[16];
	int k = 0;
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
					   (intptr_t)app->cfg.threads, NULL};
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					   (intptr_t)app->cfg.connection_limit, NULL};
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
					   (intptr_t)app->cfg.timeout, NULL};
	/* bounds request line + headers per connection */
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
					   app};
	if (app->cfg.per_ip_limit > 0)
		ops[k++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
						   (intptr_t)app->cfg.per_ip_limit, NULL};
	if (s->tls_cert) {
		ops[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
		ops[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
	}
	ops[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	s->lfd = listen_on(&ss, sl, &s->port);
	if (s->lfd >= 0)
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, app, MHD_OPTION_ARRAY, ops,
					MHD_OPTION_END);
	if (!s->d || pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
		snprintf(err, errlen, "cannot listen on %s (address in use or not permitted?)",
			 app->cfg.listen);
		if (s->d)
			MHD_stop_daemon(s->d);
		if (s->lfd >= 0)
			close(s->lfd);
		free(s->tls_cert);
		free(s->tls_key);
		free(s);
		return SIRT_EIO;
	}
	*out = s;
	return 0;
}

int server_port(const struct server *s)
{
	return s->port;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* stop accepting: shutdown() wakes the acceptor out of accept4() */
	atomic_store(&s->stopping, true);
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->acceptor, NULL);
	close(s->lfd);
	MHD_stop_daemon(s->d); /* waits for worker threads */
	free(s->tls_cert);
	free(s->tls_key);
	free(s);
}
