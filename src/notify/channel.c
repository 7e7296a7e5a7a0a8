/*
 * What each kind of channel needs, checked by allow-list:
 *
 *   email    config  {"url": "smtp://host:587" | "smtps://host:465",
 *                     "starttls": "required" | "optional" | "none",
 *                     "from": "sirt <sirt@example.com>",
 *                     "to": ["soc@example.com", ...], "username": "..."}
 *            secrets {"password": "..."}
 *   teams    secrets {"url": "https://...workflow webhook..."}
 *   slack    secrets {"url": "https://hooks.slack.com/services/..."}
 *   webhook  config  {"url": "https://receiver.example.com/sirt"}
 *            secrets {"signing_secret": "at least 16 characters"}
 *
 * Teams and Slack webhook URLs carry their own credential, so they are
 * secrets. Secrets are never returned: the API shows only their names.
 */
#include "notify/notify.h"

#include <curl/curl.h>
#include <string.h>

#include "api/validate.h"
#include "core/contact.h"
#include "notify/mail.h"
#include "util/xalloc.h"

#define URL_MAX 2048
#define TO_MAX 50

static bool url_ok(const char *url, const char *const *schemes, const char **why);
static bool only_keys(json_t *o, const char *const *keys, const char *what, json_t **errors);

static bool url_ok(const char *url, const char *const *schemes, const char **why)
{
	if (strlen(url) > URL_MAX || !text_is_single_line(url) || strchr(url, ' ')) {
		*why = "must be a URL of at most 2048 characters without spaces";
		return false;
	}
	CURLU *h = curl_url();
	bool ok = false;
	char *scheme = NULL, *host = NULL, *user = NULL;
	*why = "is not a valid absolute URL";
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		*why = "must not contain a user name or password (use the channel's secrets)";
		goto out;
	}
	for (const char *const *s = schemes; *s; s++)
		if (strcmp(scheme, *s) == 0)
			ok = true;
	if (!ok)
		*why = schemes[1] && !strcmp(schemes[0], "https") ? "must be an https:// (or http://) URL"
								    : "must be an smtp:// or smtps:// URL";
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(h);
	return ok;
}

static bool only_keys(json_t *o, const char *const *keys, const char *what, json_t **errors)
{
	const char *k;
	json_t *v;
	bool ok = true;
	json_object_foreach(o, k, v) {
		bool known = false;
		for (const char *const *p = keys; *p; p++)
			if (!strcmp(*p, k))
				known = true;
		if (!known) {
			char f[160];
			snprintf(f, sizeof(f), "%s.%.100s", what, k);
			validate_add(errors, f, "is not a known field for this kind of channel");
			ok = false;
		}
	}
	return ok;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int notify_channel_check(const char *kind, json_t *config, json_t *secrets, bool creating,
			 json_t **errors)
{
	static const char *const http_schemes[] = {"https", "http", NULL};
	static const char *const smtp_schemes[] = {"smtp", "smtps", NULL};
	const char *why;
	size_t nbefore = json_array_size(*errors);
	if (config && !json_is_object(config)) {
		validate_add(errors, "config", "must be an object");
		return SIRT_EINVAL;
	}
	if (secrets && !json_is_object(secrets)) {
		validate_add(errors, "secrets", "must be an object");
		return SIRT_EINVAL;
	}
	const char *k;
	json_t *v;
	if (secrets) {
		json_object_foreach(secrets, k, v) {
			if (json_is_string(v) && strlen(json_string_value(v)) <= URL_MAX)
				continue;
			char f[160];
			snprintf(f, sizeof(f), "secrets.%.100s", k);
			validate_add(errors, f, "must be a string of at most 2048 characters");
		}
	}
	if (!strcmp(kind, "email")) {
		static const char *const ck[] = {"url", "starttls", "from", "to", "username", NULL};
		static const char *const sk[] = {"password", NULL};
		if (config)
			only_keys(config, ck, "config", errors);
		if (secrets)
			only_keys(secrets, sk, "secrets", errors);
		if (!config) {
			validate_add(errors, "config", "is required for an e-mail channel");
			goto done;
		}
		const char *url = str(config, "url");
		if (!url)
			validate_add(errors, "config.url", "is required (smtp://host:port)");
		else if (!url_ok(url, smtp_schemes, &why))
			validate_add(errors, "config.url", why);
		json_t *st = json_object_get(config, "starttls");
		if (st && (!json_is_string(st) || (strcmp(json_string_value(st), "required") &&
						   strcmp(json_string_value(st), "optional") &&
						   strcmp(json_string_value(st), "none"))))
			validate_add(errors, "config.starttls", "must be required, optional or none");
		const char *from = str(config, "from");
		if (!from) {
			validate_add(errors, "config.from", "is required: \"Name <address>\"");
		} else {
			char *b = xstrdup(from);
			struct mail_addr a;
			if (strlen(from) > 300 || mail_parse_mailbox(b, &a) < 0)
				validate_add(errors, "config.from",
					     "must be an address or \"Name <address>\" without"
					     " line breaks");
			free(b);
		}
		json_t *to = json_object_get(config, "to");
		if (!json_is_array(to) || json_array_size(to) == 0 || json_array_size(to) > TO_MAX) {
			validate_add(errors, "config.to", "must be a list of 1 to 50 addresses");
		} else {
			size_t i;
			json_array_foreach(to, i, v) {
				if (!json_is_string(v) || !email_valid(json_string_value(v))) {
					validate_add(errors, "config.to", "contains an invalid address");
					break;
				}
			}
		}
		json_t *u = json_object_get(config, "username");
		if (u && (!json_is_string(u) || !text_is_single_line(json_string_value(u)) ||
			  strlen(json_string_value(u)) > 256))
			validate_add(errors, "config.username", "must be a single line");
	} else if (!strcmp(kind, "teams") || !strcmp(kind, "slack")) {
		static const char *const ck[] = {NULL};
		static const char *const sk[] = {"url", NULL};
		if (config)
			only_keys(config, ck, "config", errors);
		if (secrets)
			only_keys(secrets, sk, "secrets", errors);
		const char *url = secrets ? str(secrets, "url") : NULL;
		if (!url && creating)
			validate_add(errors, "secrets.url", "is required: the webhook URL");
		else if (url && !url_ok(url, http_schemes, &why))
			validate_add(errors, "secrets.url", why);
	} else if (!strcmp(kind, "webhook")) {
		static const char *const ck[] = {"url", NULL};
		static const char *const sk[] = {"signing_secret", NULL};
		if (config)
			only_keys(config, ck, "config", errors);
		if (secrets)
			only_keys(secrets, sk, "secrets", errors);
		const char *url = config ? str(config, "url") : NULL;
		if (!url)
			validate_add(errors, "config.url", "is required: the receiver's URL");
		else if (!url_ok(url, http_schemes, &why))
			validate_add(errors, "config.url", why);
		const char *sec = secrets ? str(secrets, "signing_secret") : NULL;
		if (!sec && creating)
			validate_add(errors, "secrets.signing_secret",
				     "is required: at least 16 characters shared with the receiver");
		else if (sec && (strlen(sec) < 16 || strlen(sec) > 512))
			validate_add(errors, "secrets.signing_secret",
				     "must be 16 to 512 characters");
	} else {
		validate_add(errors, "kind", "must be email, teams, slack or webhook");
	}
done:
	return json_array_size(*errors) > nbefore ? SIRT_EINVAL : 0;
}

bool notify_event_matches(json_t *patterns, const char *event)
{
	size_t i;
	json_t *v;
	json_array_foreach(patterns, i, v) {
		const char *p = json_string_value(v);
		if (!p)
			continue;
		size_t n = strlen(p);
		if (!strcmp(p, "*") || !strcmp(p, event))
			return true;
		/* "clock.*" matches "clock.reminder" */
		if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && !strncmp(p, event, n - 1))
			return true;
	}
	return false;
}
