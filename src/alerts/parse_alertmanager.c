/*
 * Prometheus Alertmanager webhook, version 4 (and, through struct
 * prom_flavour, Grafana's unified-alerting webhook, which is the same shape).
 *
 * One payload is one notification for one alert group:
 *   {version, groupKey, truncatedAlerts, status, receiver, groupLabels,
 *    commonLabels, commonAnnotations, externalURL, alerts: [{status, labels,
 *    annotations, startsAt, endsAt, generatorURL, fingerprint}]}
 *
 * Mapping, per alert:
 *   labels       commonLabels overlaid by the alert's own labels (the common
 *                ones are by definition shared by every alert of the group)
 *   annotations  commonAnnotations overlaid by the alert's own annotations
 *   title        annotations.summary, else .title, else labels.alertname
 *   description  annotations.description, else .message
 *   severity     labels.severity through alert_severity_word(); absent or an
 *                unknown word: medium
 *   status       the alert's status, else the group's
 *   starts_at    startsAt; ends_at = endsAt, only when resolved (a firing
 *                alert's endsAt is Alertmanager's own expiry guess)
 *   link         generatorURL, else externalURL
 *   fingerprint  the alert's fingerprint (Alertmanager's hash of its label
 *                set); without one, SHA-256 over the source name and the
 *                alert's own labels sorted by name (see alert_fp_*)
 *   source_id    the alert's fingerprint when it has one
 *   entities     labels host, hostname, node, nodename, instance,
 *                exported_instance, server (":port" stripped; an address
 *                becomes an ip entity), ip, address, user, username,
 *                account, domain, url
 * truncatedAlerts and groupKey go to the batch.
 */
#include "alert_int.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

static int parse_status(const char *src, const char *s, const char *path,
			enum alert_status *out, struct strbuf *err);
static int string_map(const char *src, const json_t *obj, const char *where,
		      struct strbuf *err);
static void host_entity(struct alert *a, const char *value);
static void label_entities(struct alert *a);
static int parse_one(const struct prom_flavour *fl, struct alert_batch *b, json_t *j,
		     size_t idx, enum alert_status group_status, const json_t *common_labels,
		     const json_t *common_ann, const char *external_url, struct strbuf *err);

static const struct prom_flavour alertmanager = {
	.source = "alertmanager",
	.version = "4",
	.what = "Alertmanager webhook version 4",
};

int alert_parse_alertmanager(const char *body, size_t len, struct alert_batch *out,
			     struct strbuf *err)
{
	return alert_parse_prom(&alertmanager, body, len, out, err);
}

static int parse_status(const char *src, const char *s, const char *path,
			enum alert_status *out, struct strbuf *err)
{
	if (strcmp(s, "firing") == 0) {
		*out = ALERT_FIRING;
	} else if (strcmp(s, "resolved") == 0) {
		*out = ALERT_RESOLVED;
	} else {
		alert_errf(err, src, "%s: expected \"firing\" or \"resolved\", got \"%.32s\"", path,
			   s);
		return SIRT_EINVAL;
	}
	return 0;
}

/* Labels and annotations are string to string maps in this format. */
static int string_map(const char *src, const json_t *obj, const char *where,
		      struct strbuf *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		if (!json_is_string(v)) {
			alert_errf(err, src, "%s.%.64s: expected string, got %s", where, key,
				   alert_json_type(v));
			return SIRT_EINVAL;
		}
	}
	return 0;
}

/* "host:9100", "[2001:db8::1]:9100", "10.0.0.1:9100" or a bare name. */
static void host_entity(struct alert *a, const char *value)
{
	char buf[300];
	size_t len = strlen(value);
	if (len == 0 || len >= sizeof(buf))
		return;
	memcpy(buf, value, len + 1);
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');
		if (end) {
			*end = '\0';
			alert_entity_try(a, ENTITY_IP, buf + 1);
		}
		return;
	}
	char *colon = strchr(buf, ':');
	if (colon && strchr(colon + 1, ':') == NULL && strspn(colon + 1, "0123456789") ==
							      strlen(colon + 1))
		*colon = '\0';
	alert_entity_host_or_ip(a, buf);
}

static void label_entities(struct alert *a)
{
	static const char *const hosts[] = {"host",     "hostname",          "node",
					    "nodename", "instance", "exported_instance",
					    "server",   "ip",                "address"};
	static const char *const accounts[] = {"user", "username", "account"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		json_t *v = json_object_get(a->labels, hosts[i]);
		if (json_is_string(v))
			host_entity(a, json_string_value(v));
	}
	for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
		alert_entity_try(a, ENTITY_ACCOUNT,
				 json_string_value(json_object_get(a->labels, accounts[i])));
	alert_entity_try(a, ENTITY_DOMAIN, json_string_value(json_object_get(a->labels, "domain")));
	alert_entity_try(a, ENTITY_URL, json_string_value(json_object_get(a->labels, "url")));
}

static int parse_one(const struct prom_flavour *fl, struct alert_batch *b, json_t *j,
		     size_t idx, enum alert_status group_status, const json_t *common_labels,
		     const json_t *common_ann, const char *external_url, struct strbuf *err)
{
	const char *src = fl->source;
	char where[48], path[96];
	json_t *labels, *ann;
	const char *status, *gen_url, *fp;
	snprintf(where, sizeof(where), "alerts[%zu]", idx);
	if (aj_expect_object(src, j, where, err) < 0)
		return SIRT_EINVAL;

	struct alert *a = alert_batch_add(b, j);
	if (aj_object(src, j, where, "labels", true, &labels, err) < 0 ||
	    string_map(src, labels, alert_path(path, sizeof(path), where, "labels"), err) < 0 ||
	    aj_object(src, j, where, "annotations", false, &ann, err) < 0 ||
	    (ann && string_map(src, ann, alert_path(path, sizeof(path), where, "annotations"),
			       err) < 0) ||
	    aj_string(src, j, where, "status", false, &status, err) < 0 ||
	    aj_time(src, j, where, "startsAt", true, &a->starts_at, err) < 0 ||
	    aj_time(src, j, where, "endsAt", false, &a->ends_at, err) < 0 ||
	    aj_string(src, j, where, "generatorURL", false, &gen_url, err) < 0 ||
	    aj_string(src, j, where, "fingerprint", false, &fp, err) < 0)
		goto fail;

	a->status = group_status;
	if (status && parse_status(src, status, alert_path(path, sizeof(path), where, "status"),
				   &a->status, err) < 0)
		goto fail;
	if (a->status != ALERT_RESOLVED)
		a->ends_at = 0;

	if (common_labels)
		json_object_update(a->labels, (json_t *)common_labels);
	json_object_update(a->labels, labels);
	if (common_ann)
		json_object_update(a->annotations, (json_t *)common_ann);
	if (ann)
		json_object_update(a->annotations, ann);

	const char *summary = json_string_value(json_object_get(a->annotations, "summary"));
	const char *title = json_string_value(json_object_get(a->annotations, "title"));
	const char *name = json_string_value(json_object_get(a->labels, "alertname"));
	const char *chosen = summary && *summary ? summary : title && *title ? title : name;
	alert_set_title(a, chosen);
	if (!a->title || !*a->title) {
		alert_errf(err, src, "%s: no annotations.summary and no labels.alertname to "
				     "title the alert", where);
		goto fail;
	}
	const char *desc = json_string_value(json_object_get(a->annotations, "description"));
	if (!desc)
		desc = json_string_value(json_object_get(a->annotations, "message"));
	alert_set_description(a, desc);

	const char *sev = json_string_value(json_object_get(a->labels, "severity"));
	if (!sev || alert_severity_word(sev, &a->severity) < 0)
		a->severity = ALERT_SEV_MEDIUM;

	alert_set_link(a, gen_url);
	if (!a->link)
		alert_set_link(a, external_url);

	if (fp && *fp) {
		if (alert_set_fingerprint(a, fp, alert_path(path, sizeof(path), where,
							    "fingerprint"), err) < 0 ||
		    alert_set_source_id(a, fp, path, err) < 0)
			goto fail;
	} else {
		struct alert_fp h;
		alert_fp_init(&h, src);
		alert_fp_add_object(&h, labels);
		alert_fp_finish(&h, a);
	}
	label_entities(a);
	if (fl->extras)
		fl->extras(a, j);
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

int alert_parse_prom(const struct prom_flavour *fl, const char *body, size_t len,
		     struct alert_batch *out, struct strbuf *err)
{
	const char *src = fl->source;
	json_t *root = NULL, *alerts, *common_labels, *common_ann;
	const char *version, *status, *group_key, *external_url;
	json_int_t truncated;
	enum alert_status group_status;
	int rc;

	alert_batch_init(out, src);
	rc = alert_json_load(src, body, len, false, &root, err);
	if (rc < 0)
		return rc;
	rc = SIRT_EINVAL;
	if (aj_expect_object(src, root, "", err) < 0)
		goto fail;
	if (fl->root_check && fl->root_check(root, err) < 0)
		goto fail;
	if (!json_object_get(root, "alerts")) {
		alert_errf(err, src, "alerts: required field missing (not an %s payload)",
			   fl->what);
		goto fail;
	}
	if (aj_string(src, root, "", "version", true, &version, err) < 0)
		goto fail;
	if (strcmp(version, fl->version) != 0) {
		alert_errf(err, src, "version: expected \"%s\" (%s), got \"%.16s\"", fl->version,
			   fl->what, version);
		goto fail;
	}
	if (aj_array(src, root, "", "alerts", true, &alerts, err) < 0 ||
	    aj_string(src, root, "", "status", true, &status, err) < 0 ||
	    parse_status(src, status, "status", &group_status, err) < 0 ||
	    aj_string(src, root, "", "groupKey", false, &group_key, err) < 0 ||
	    aj_string(src, root, "", "externalURL", false, &external_url, err) < 0 ||
	    aj_integer(src, root, "", "truncatedAlerts", false, &truncated, NULL, err) < 0 ||
	    aj_object(src, root, "", "commonLabels", false, &common_labels, err) < 0 ||
	    (common_labels && string_map(src, common_labels, "commonLabels", err) < 0) ||
	    aj_object(src, root, "", "commonAnnotations", false, &common_ann, err) < 0 ||
	    (common_ann && string_map(src, common_ann, "commonAnnotations", err) < 0))
		goto fail;
	if (truncated < 0) {
		alert_errf(err, src, "truncatedAlerts: must not be negative");
		goto fail;
	}
	size_t n = json_array_size(alerts);
	if (n == 0) {
		alert_errf(err, src, "alerts: empty array");
		goto fail;
	}
	if ((rc = alert_batch_check_count(out, n, err)) < 0)
		goto fail;
	rc = SIRT_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (parse_one(fl, out, json_array_get(alerts, i), i, group_status, common_labels,
			      common_ann, external_url, err) < 0)
			goto fail;
	if (group_key)
		out->group_key = xstrdup(group_key);
	out->truncated = truncated;
	json_decref(root);
	return 0;
fail:
	alert_batch_clear(out);
	json_decref(root);
	return rc;
}
