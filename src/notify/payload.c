/*
 * Request bodies for the HTTP channels and the webhook signature. Bodies are
 * built with jansson (so every string is JSON-escaped) and are identical on
 * every attempt of one message; only the signature's timestamp changes.
 */
#include "notify/notify.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SLACK_HEADER_MAX 150
#define SLACK_TEXT_MAX 3000

static char *incident_link(const struct notify_message *m, const char *base_url);
static char *dump(json_t *o);
static char *truncate_utf8(const char *s, size_t max);
static char *slack_escape(const char *s);

static char *incident_link(const struct notify_message *m, const char *base_url)
{
	if (!m->incident_uid || !base_url || !*base_url)
		return NULL;
	return xasprintf("%s/incidents/%s", base_url, m->incident_uid);
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		fatal("json_dumps failed");
	char *r = xstrdup(s);
	free(s);
	return r;
}

/* At most max bytes, cut at a character boundary, "…" appended when cut. */
static char *truncate_utf8(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return xstrdup(s);
	size_t cut = max - 3;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	char *r = xmalloc(cut + 4);
	memcpy(r, s, cut);
	memcpy(r + cut, "\xe2\x80\xa6", 4);
	return r;
}

/* Slack's mrkdwn treats &, < and > as control characters. */
static char *slack_escape(const char *s)
{
	struct strbuf b;
	sb_init(&b, 0);
	for (const char *p = s; *p; p++) {
		if (*p == '&')
			sb_puts(&b, "&amp;");
		else if (*p == '<')
			sb_puts(&b, "&lt;");
		else if (*p == '>')
			sb_puts(&b, "&gt;");
		else
			sb_putc(&b, *p);
	}
	return sb_steal(&b, NULL);
}

char *notify_webhook_body(const struct notify_message *m, const char *base_url)
{
	char created[ISO8601_LEN];
	time_format_iso8601(m->created_at, created);
	json_error_t e;
	json_t *data = json_loads(m->payload ? m->payload : "{}", JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	char *link = incident_link(m, base_url);
	json_t *inc = json_null();
	if (m->incident_uid)
		inc = json_pack("{s:s, s:s?, s:s?}", "id", m->incident_uid, "key", m->incident_key,
				"url", link);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:s, s:s, s:o, s:s}", "id", m->uid,
			      "idempotency_key", m->idem_key, "event", m->event, "organisation",
			      m->org_name, "incident", inc, "subject", m->subject, "text", m->body,
			      "data", data, "created_at", created);
	free(link);
	return dump(o);
}

char *notify_slack_body(const struct notify_message *m, const char *base_url)
{
	char *head = truncate_utf8(m->subject, SLACK_HEADER_MAX);
	char *esc = slack_escape(m->body);
	char *text = truncate_utf8(esc, SLACK_TEXT_MAX);
	free(esc);
	char *link = incident_link(m, base_url);
	json_t *blocks = json_array();
	json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text",
						"type", "plain_text", "text", head));
	if (*text)
		json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "section",
							"text", "type", "mrkdwn", "text", text));
	char *ctx;
	if (link && m->incident_key)
		ctx = xasprintf("sirt \xc2\xb7 <%s|%s> \xc2\xb7 %s", link, m->incident_key, m->event);
	else
		ctx = xasprintf("sirt \xc2\xb7 %s", m->event);
	json_array_append_new(blocks,
			      json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements",
					"type", "mrkdwn", "text", ctx));
	/* "text" is the fallback shown in notifications */
	json_t *o = json_pack("{s:s, s:o}", "text", head, "blocks", blocks);
	free(head);
	free(text);
	free(link);
	free(ctx);
	return dump(o);
}

char *notify_teams_body(const struct notify_message *m, const char *base_url)
{
	char *link = incident_link(m, base_url);
	json_t *body = json_array();
	json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", "TextBlock",
					      "text", m->subject, "weight", "Bolder", "size",
					      "Medium", "wrap", 1));
	if (*m->body)
		json_array_append_new(body, json_pack("{s:s, s:s, s:b}", "type", "TextBlock",
						      "text", m->body, "wrap", 1));
	char *foot = m->incident_key ? xasprintf("%s \xc2\xb7 %s", m->incident_key, m->event)
				     : xstrdup(m->event);
	json_array_append_new(body, json_pack("{s:s, s:s, s:b, s:s, s:b}", "type", "TextBlock",
					      "text", foot, "isSubtle", 1, "size", "Small",
					      "wrap", 1));
	json_t *card = json_pack("{s:s, s:s, s:s, s:o}", "$schema",
				 "http://adaptivecards.io/schemas/adaptive-card.json", "type",
				 "AdaptiveCard", "version", "1.4", "body", body);
	if (link)
		json_object_set_new(card, "actions",
				    json_pack("[{s:s, s:s, s:s}]", "type", "Action.OpenUrl",
					      "title", "Open in sirt", "url", link));
	json_t *o = json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments",
			      "contentType", "application/vnd.microsoft.card.adaptive",
			      "contentUrl", "content", card);
	free(link);
	free(foot);
	return dump(o);
}

void notify_sign(const char *secret, size_t secret_len, const char *timestamp, const char *body,
		 size_t body_len, char out[68])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1=", 3);
	hex_encode(out + 3, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}
