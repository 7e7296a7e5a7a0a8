/*
 * Splunk webhook alert action: {sid, search_name, app, owner, results_link,
 * result: {first result row, every value a string or a list of strings}}.
 * One payload is one alert.
 *
 *   title        search_name ("Splunk alert" when absent)
 *   description  result._raw, else result.message
 *   severity     result.severity, else result.urgency, else
 *                result.priority: a word through alert_severity_word()
 *                (critical, high, medium, low, informational...) or Splunk's
 *                alert-action number 1 debug, 2 info = info; 3 warn = medium;
 *                4 error = high; 5 severe, 6 fatal = critical. Absent: medium.
 *   status       always firing (Splunk sends no resolve)
 *   starts_at    result._time (epoch seconds, fraction dropped, or RFC 3339)
 *   link         results_link
 *   source_id    sid (it names one run of the search)
 *   fingerprint  SHA-256 over "splunk", app, owner, search_name and
 *                result.host: repeated runs of one saved search about one
 *                host are one alert, counted, not a new alert per run
 *   labels       app, owner, search_name, host, source, sourcetype, index
 *   entities     CIM field names in result: host, dest_host, src_host,
 *                dvc, dest, src (host or ip), src_ip, dest_ip, ip,
 *                clientip (ip), user, src_user, dest_user, USER (account),
 *                url (url), domain, dest_domain (domain), file_name,
 *                file_hash (by length), md5, sha1, sha256, process,
 *                process_name, COMMAND (process), recipient, sender (email)
 */
#include "alert_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SRC "splunk"

static const char *field(const json_t *result, const char *key);
static int map_severity(const char *s, enum alert_severity *out);
static void result_entities(struct alert *a, const json_t *result);

/* A result value: a string, or the first string of a multi-value list. */
static const char *field(const json_t *result, const char *key)
{
	json_t *v = json_object_get(result, key);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	const char *s = json_string_value(v);
	return s && *s ? s : NULL;
}

static int map_severity(const char *s, enum alert_severity *out)
{
	static const enum alert_severity numbers[] = {
		ALERT_SEV_INFO,   ALERT_SEV_INFO,     ALERT_SEV_MEDIUM,
		ALERT_SEV_HIGH,   ALERT_SEV_CRITICAL, ALERT_SEV_CRITICAL,
	};
	if (s && s[0] >= '1' && s[0] <= '6' && s[1] == '\0') {
		*out = numbers[s[0] - '1'];
		return 0;
	}
	return alert_severity_word(s, out);
}

static void result_entities(struct alert *a, const json_t *result)
{
	static const char *const hosts[] = {"host", "dest_host", "src_host", "dvc", "dest", "src"};
	static const char *const ips[] = {"src_ip", "dest_ip", "ip", "clientip"};
	static const char *const users[] = {"user", "src_user", "dest_user", "USER"};
	static const char *const procs[] = {"process", "process_name", "COMMAND"};
	static const char *const emails[] = {"recipient", "sender"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		alert_entity_host_or_ip(a, field(result, hosts[i]));
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		alert_entity_try(a, ENTITY_IP, field(result, ips[i]));
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		alert_entity_try(a, ENTITY_ACCOUNT, field(result, users[i]));
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		alert_entity_try(a, ENTITY_PROCESS, field(result, procs[i]));
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++)
		alert_entity_try(a, ENTITY_EMAIL, field(result, emails[i]));
	alert_entity_try(a, ENTITY_URL, field(result, "url"));
	alert_entity_try(a, ENTITY_DOMAIN, field(result, "domain"));
	alert_entity_try(a, ENTITY_DOMAIN, field(result, "dest_domain"));
	alert_entity_try(a, ENTITY_FILE_NAME, field(result, "file_name"));
	alert_entity_hash(a, field(result, "file_hash"));
	alert_entity_try(a, ENTITY_FILE_HASH_MD5, field(result, "md5"));
	alert_entity_try(a, ENTITY_FILE_HASH_SHA1, field(result, "sha1"));
	alert_entity_try(a, ENTITY_FILE_HASH_SHA256, field(result, "sha256"));
}

int alert_parse_splunk(const char *body, size_t len, struct alert_batch *out,
		       struct strbuf *err)
{
	json_t *root = NULL, *result;
	const char *sid, *name, *app, *owner, *link;
	int rc;

	alert_batch_init(out, SRC);
	rc = alert_json_load(SRC, body, len, false, &root, err);
	if (rc < 0)
		return rc;
	rc = SIRT_EINVAL;
	if (aj_expect_object(SRC, root, "", err) < 0)
		goto fail;
	if (!json_object_get(root, "sid") && !json_object_get(root, "result")) {
		alert_errf(err, SRC, "sid: required field missing (not a Splunk webhook alert "
				     "action payload)");
		goto fail;
	}
	if (aj_string(SRC, root, "", "sid", true, &sid, err) < 0 ||
	    aj_object(SRC, root, "", "result", true, &result, err) < 0 ||
	    aj_string(SRC, root, "", "search_name", false, &name, err) < 0 ||
	    aj_string(SRC, root, "", "app", false, &app, err) < 0 ||
	    aj_string(SRC, root, "", "owner", false, &owner, err) < 0 ||
	    aj_string(SRC, root, "", "results_link", false, &link, err) < 0)
		goto fail;

	struct alert *a = alert_batch_add(out, root);
	if (alert_set_source_id(a, sid, "sid", err) < 0)
		goto fail;
	alert_set_title(a, name && *name ? name : "Splunk alert");
	const char *desc = field(result, "_raw");
	alert_set_description(a, desc ? desc : field(result, "message"));
	const char *sev = field(result, "severity");
	if (!sev)
		sev = field(result, "urgency");
	if (!sev)
		sev = field(result, "priority");
	if (!sev || map_severity(sev, &a->severity) < 0)
		a->severity = ALERT_SEV_MEDIUM;

	const char *t = field(result, "_time");
	if (t) {
		char *end;
		errno = 0;
		long long secs = strtoll(t, &end, 10);
		if (end != t && (*end == '\0' || *end == '.') && errno == 0 && secs > 0)
			a->starts_at = secs;
		else if (alert_time_parse(t, &a->starts_at) < 0)
			a->starts_at = 0; /* a vendor oddity, not worth refusing the alert */
	}
	alert_set_link(a, link);

	struct alert_fp h;
	alert_fp_init(&h, SRC);
	alert_fp_add(&h, app);
	alert_fp_add(&h, owner);
	alert_fp_add(&h, name);
	alert_fp_add(&h, field(result, "host"));
	alert_fp_finish(&h, a);

	alert_label_set(a, "app", app);
	alert_label_set(a, "owner", owner);
	alert_label_set(a, "search_name", name);
	static const char *const copy[] = {"host", "source", "sourcetype", "index"};
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		alert_label_set(a, copy[i], field(result, copy[i]));
	result_entities(a, result);
	if (alert_finish(a, "", err) < 0)
		goto fail;
	json_decref(root);
	return 0;
fail:
	alert_batch_clear(out);
	json_decref(root);
	return rc;
}
