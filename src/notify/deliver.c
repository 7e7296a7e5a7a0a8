/*
 * One delivery attempt over libcurl. Each attempt uses a fresh easy handle
 * with:
 *   - a protocol allow-list (https and http for webhooks, smtp and smtps for
 *     e-mail) and no redirects at all: a 3xx answer is a failure, so no
 *     redirect can lead to another scheme or host;
 *   - connect and total timeouts;
 *   - no proxy from the environment;
 *   - the SSRF guard in the open-socket callback, which sees the resolved
 *     address of every connection curl makes and refuses internal ones
 *     (netguard.c), and plain http to anything not explicitly allowed.
 */
#include "notify/notify.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "notify/mail.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define RESPONSE_MAX 4096
#define MAIL_MAX (1u << 20)

struct guard {
	const struct notify_settings *s;
	bool plain_http;
	const char *refused; /* set when the guard refused a connection */
};

struct upload {
	const char *data;
	size_t len, off;
};

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a);
static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t read_upload(char *buf, size_t size, size_t nitems, void *userdata);
static void common_opts(CURL *c, struct guard *g, char *errbuf);
static void finish(CURL *c, CURLcode cc, struct guard *g, const char *errbuf, bool smtp,
		   struct notify_result *res);
static void deliver_http(const struct notify_settings *s, const struct notify_channel *ch,
			 const struct notify_message *m, struct notify_result *res);
static void deliver_email(const struct notify_settings *s, const struct notify_channel *ch,
			  const struct notify_message *m, struct notify_result *res);

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct guard *g = clientp;
	const unsigned char *addr = NULL;
	if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in))
		addr = (const unsigned char *)&((struct sockaddr_in *)&a->addr)->sin_addr;
	else if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6))
		addr = (const unsigned char *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr;
	if (!addr) {
		g->refused = "only IPv4 and IPv6 targets are allowed";
		return CURL_SOCKET_BAD;
	}
	const char *why = notify_addr_check(g->s, a->family, addr, g->plain_http);
	if (why) {
		g->refused = why;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct strbuf *b = userdata;
	if (b->len < RESPONSE_MAX)
		sb_append(b, ptr, size * nmemb < RESPONSE_MAX ? size * nmemb : RESPONSE_MAX);
	return size * nmemb;
}

static size_t read_upload(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct upload *u = userdata;
	size_t n = size * nitems, left = u->len - u->off;
	if (n > left)
		n = left;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

static void common_opts(CURL *c, struct guard *g, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)NOTIFY_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)NOTIFY_TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, g);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sirt/" SIRT_VERSION);
}

static void finish(CURL *c, CURLcode cc, struct guard *g, const char *errbuf, bool smtp,
		   struct notify_result *res)
{
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	res->status = code;
	if (cc != CURLE_OK) {
		if (g->refused) {
			snprintf(res->error, sizeof(res->error), "refused: %s", g->refused);
			res->permanent = true;
		} else {
			snprintf(res->error, sizeof(res->error), "%s%s%s", curl_easy_strerror(cc),
				 errbuf[0] ? ": " : "", errbuf);
			res->permanent = cc == CURLE_UNSUPPORTED_PROTOCOL ||
					 cc == CURLE_URL_MALFORMAT || cc == CURLE_LOGIN_DENIED;
		}
		/* an SMTP 5xx reply is permanent */
		if (smtp && code >= 500)
			res->permanent = true;
		return;
	}
	if (smtp) {
		res->ok = true;
		return;
	}
	if (code >= 200 && code < 300) {
		res->ok = true;
	} else if (code >= 300 && code < 400) {
		snprintf(res->error, sizeof(res->error),
			 "the receiver answered %ld (a redirect); sirt follows no redirects", code);
		res->permanent = true;
	} else {
		snprintf(res->error, sizeof(res->error), "the receiver answered %ld", code);
		res->permanent = code >= 400 && code < 500 && code != 408 && code != 425 &&
				 code != 429;
	}
}

static void deliver_http(const struct notify_settings *s, const struct notify_channel *ch,
			 const struct notify_message *m, struct notify_result *res)
{
	const char *url;
	char *body;
	const char *sign_secret = NULL;
	if (!strcmp(ch->kind, "webhook")) {
		url = json_string_value(json_object_get(ch->config, "url"));
		sign_secret = json_string_value(json_object_get(ch->secrets, "signing_secret"));
		body = notify_webhook_body(m, s->base_url);
	} else {
		url = json_string_value(json_object_get(ch->secrets, "url"));
		body = !strcmp(ch->kind, "slack") ? notify_slack_body(m, s->base_url)
						  : notify_teams_body(m, s->base_url);
	}
	if (!url || (!strcmp(ch->kind, "webhook") && !sign_secret)) {
		snprintf(res->error, sizeof(res->error), "the channel has no URL or secret");
		res->permanent = true;
		free(body);
		return;
	}
	struct guard g = {.s = s, .plain_http = strncmp(url, "http:", 5) == 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct strbuf resp;
	sb_init(&resp, RESPONSE_MAX * 2);
	struct curl_slist *h = NULL;
	char ts[32], sig[68], line[160];
	snprintf(ts, sizeof(ts), "%lld", (long long)time_now());
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	snprintf(line, sizeof(line), "X-Sirt-Idempotency-Key: %s", m->idem_key);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Sirt-Event: %s", m->event);
	h = curl_slist_append(h, line);
	if (sign_secret) {
		notify_sign(sign_secret, strlen(sign_secret), ts, body, strlen(body), sig);
		snprintf(line, sizeof(line), "X-Sirt-Timestamp: %s", ts);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof(line), "X-Sirt-Signature: %s", sig);
		h = curl_slist_append(h, line);
	}
	CURL *c = curl_easy_init();
	if (!c)
		fatal("curl_easy_init failed");
	common_opts(c, &g, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	CURLcode cc = curl_easy_perform(c);
	finish(c, cc, &g, errbuf, false, res);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sb_free(&resp);
	free(body);
}

static void deliver_email(const struct notify_settings *s, const struct notify_channel *ch,
			  const struct notify_message *m, struct notify_result *res)
{
	const char *url = json_string_value(json_object_get(ch->config, "url"));
	const char *from = json_string_value(json_object_get(ch->config, "from"));
	const char *starttls = json_string_value(json_object_get(ch->config, "starttls"));
	const char *user = json_string_value(json_object_get(ch->config, "username"));
	const char *pass = json_string_value(json_object_get(ch->secrets, "password"));
	json_t *to = json_object_get(ch->config, "to");
	json_t *override = NULL;
	if (m->recipients) {
		json_error_t e;
		override = json_loads(m->recipients, JSON_REJECT_DUPLICATES, &e);
		if (json_is_array(override) && json_array_size(override) > 0)
			to = override;
	}
	char *fromb = xstrdup(from ? from : "");
	struct mail_addr fa;
	size_t nto = json_array_size(to);
	struct mail_addr *ta = xcalloc(nto ? nto : 1, sizeof(*ta));
	struct curl_slist *rcpt = NULL;
	struct strbuf msg;
	sb_init(&msg, MAIL_MAX);
	CURL *c = NULL;
	const char *why = NULL;
	if (!url || mail_parse_mailbox(fromb, &fa) < 0) {
		why = "the channel's url or from address is missing or invalid";
		goto fail;
	}
	for (size_t i = 0; i < nto; i++) {
		ta[i].addr = json_string_value(json_array_get(to, i));
		if (!ta[i].addr) {
			why = "a recipient is not a string";
			goto fail;
		}
		char line[300];
		snprintf(line, sizeof(line), "<%s>", ta[i].addr);
		rcpt = curl_slist_append(rcpt, line);
	}
	struct mail_msg mm = {.from = fa, .to = ta, .nto = nto, .subject = m->subject,
			      .body = m->body, .date = time_now(), .idem_key = m->idem_key,
			      .event = m->event};
	if (mail_build(&mm, &msg, &why) < 0)
		goto fail;
	struct guard g = {.s = s};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct upload up = {.data = msg.buf, .len = msg.len};
	char mailfrom[300];
	snprintf(mailfrom, sizeof(mailfrom), "<%s>", fa.addr);
	c = curl_easy_init();
	if (!c)
		fatal("curl_easy_init failed");
	common_opts(c, &g, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_URL, url);
	long ssl = CURLUSESSL_ALL;
	if (starttls && !strcmp(starttls, "optional"))
		ssl = CURLUSESSL_TRY;
	else if (starttls && !strcmp(starttls, "none"))
		ssl = CURLUSESSL_NONE;
	if (!strncmp(url, "smtps:", 6))
		ssl = CURLUSESSL_ALL;
	curl_easy_setopt(c, CURLOPT_USE_SSL, ssl);
	if (user)
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
	if (pass)
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mailfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	CURLcode cc = curl_easy_perform(c);
	finish(c, cc, &g, errbuf, true, res);
fail:
	if (why) {
		snprintf(res->error, sizeof(res->error), "%s", why);
		res->permanent = true;
	}
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	sb_free(&msg);
	free(ta);
	free(fromb);
	json_decref(override);
}

void notify_deliver(const struct notify_settings *s, const struct notify_channel *ch,
		    const struct notify_message *m, struct notify_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!strcmp(ch->kind, "email"))
		deliver_email(s, ch, m, res);
	else
		deliver_http(s, ch, m, res);
}
