/*
 * Elastic Security detection alerts and other ECS alert documents: one
 * document, an array of them, one search hit ({"_id", "_source"}) or a search
 * response ({"hits": {"hits": [...]}}). ECS fields are looked up both nested
 * ({"host": {"name": ...}}) and flattened ({"host.name": ...}), as alert
 * indices hold them both ways; an array value counts with every element (for
 * entities) or its first (for text). Legacy 7.x "signal.*" fields are read
 * where kibana.alert.* is absent.
 *
 *   fingerprint  kibana.alert.uuid, else the hit's _id, else SHA-256 over
 *                "elastic", kibana.alert.rule.uuid (or rule.id), host.name,
 *                @timestamp
 *   source_id    kibana.alert.uuid, else _id
 *   title        kibana.alert.rule.name, signal.rule.name, rule.name, message
 *   description  kibana.alert.reason, kibana.alert.rule.description, message
 *   severity     kibana.alert.severity (signal.rule.severity) as a word:
 *                low, medium, high, critical; else a number from
 *                kibana.alert.risk_score, signal.rule.risk_score,
 *                event.risk_score or event.severity on Elastic's risk scale
 *                (default scores low 21, medium 47, high 73, critical 99):
 *                0-20 info, 21-46 low, 47-72 medium, 73-98 high, 99+ critical;
 *                none: medium
 *   status       resolved when kibana.alert.workflow_status (signal.status)
 *                is "closed" or kibana.alert.status is "recovered"
 *   starts_at    kibana.alert.start, else kibana.alert.original_time, else
 *                @timestamp (required); ends_at kibana.alert.end when resolved
 *   last_seen    kibana.alert.last_detected, else @timestamp
 *   link         kibana.alert.url when absolute
 *   labels       rule_name, rule_uuid, rule_id, rule_type, workflow_status,
 *                alert_status, event_module, event_dataset, event_category
 *   entities     host.name, host.hostname, observer.hostname, related.hosts
 *                (host); host.ip, source.ip, destination.ip, client.ip,
 *                server.ip, related.ip (ip); user.name with user.domain,
 *                source.user.name, destination.user.name, user.target.name,
 *                related.user (account); user.email, email.from.address,
 *                email.to.address (email); url.full, url.original (url);
 *                url.domain, source.domain, destination.domain,
 *                dns.question.name (domain); file.name (file_name);
 *                file.hash.*, process.hash.*, related.hash (hashes);
 *                process.command_line, else process.name (process)
 */
#include "alert_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SRC "elastic"

static json_t *ecs_get(const json_t *obj, const char *path);
static const char *ecs_str(const json_t *doc, const char *path);
static void ecs_each(struct alert *a, const json_t *doc, const char *path,
		     void (*add)(struct alert *, enum alert_entity_kind, const char *),
		     enum alert_entity_kind kind);
static void add_kind(struct alert *a, enum alert_entity_kind kind, const char *v);
static void add_hash(struct alert *a, enum alert_entity_kind kind, const char *v);
static void add_host(struct alert *a, enum alert_entity_kind kind, const char *v);
static enum alert_severity map_score(double score);
static void doc_entities(struct alert *a, const json_t *doc);
static int parse_doc(struct alert_batch *b, json_t *doc, const char *where,
		     struct strbuf *err);

/* Nested, flattened or mixed ("kibana.alert": {"rule.name": ...}). */
static json_t *ecs_get(const json_t *obj, const char *path)
{
	if (!json_is_object(obj))
		return NULL;
	json_t *v = json_object_get(obj, path);
	if (v && !json_is_null(v))
		return v;
	for (const char *dot = strchr(path, '.'); dot; dot = strchr(dot + 1, '.')) {
		char key[128];
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(key))
			break;
		memcpy(key, path, n);
		key[n] = '\0';
		json_t *child = json_object_get(obj, key);
		if (json_is_object(child) && (v = ecs_get(child, dot + 1)))
			return v;
	}
	return NULL;
}

static const char *ecs_str(const json_t *doc, const char *path)
{
	json_t *v = ecs_get(doc, path);
	if (json_is_array(v))
		v = json_array_get(v, 0);
	const char *s = json_string_value(v);
	return s && *s ? s : NULL;
}

static void ecs_each(struct alert *a, const json_t *doc, const char *path,
		     void (*add)(struct alert *, enum alert_entity_kind, const char *),
		     enum alert_entity_kind kind)
{
	json_t *v = ecs_get(doc, path), *e;
	size_t i;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (json_is_string(e))
				add(a, kind, json_string_value(e));
	} else if (json_is_string(v)) {
		add(a, kind, json_string_value(v));
	}
}

static void add_kind(struct alert *a, enum alert_entity_kind kind, const char *v)
{
	alert_entity_try(a, kind, v);
}

static void add_hash(struct alert *a, enum alert_entity_kind kind, const char *v)
{
	alert_entity_hash(a, v);
}

static void add_host(struct alert *a, enum alert_entity_kind kind, const char *v)
{
	alert_entity_host_or_ip(a, v);
}

static enum alert_severity map_score(double score)
{
	if (score >= 99)
		return ALERT_SEV_CRITICAL;
	if (score >= 73)
		return ALERT_SEV_HIGH;
	if (score >= 47)
		return ALERT_SEV_MEDIUM;
	if (score >= 21)
		return ALERT_SEV_LOW;
	return ALERT_SEV_INFO;
}

static void doc_entities(struct alert *a, const json_t *doc)
{
	static const char *const hosts[] = {"host.name", "host.hostname", "observer.hostname",
					    "related.hosts"};
	static const char *const ips[] = {"host.ip",   "source.ip", "destination.ip",
					  "client.ip", "server.ip", "related.ip"};
	static const char *const users[] = {"source.user.name", "destination.user.name",
					    "user.target.name", "related.user"};
	static const char *const emails[] = {"user.email", "email.from.address",
					     "email.to.address"};
	static const char *const domains[] = {"url.domain", "source.domain", "destination.domain",
					      "dns.question.name"};
	static const char *const hashes[] = {"file.hash.md5",     "file.hash.sha1",
					     "file.hash.sha256",  "process.hash.md5",
					     "process.hash.sha1", "process.hash.sha256",
					     "related.hash"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ecs_each(a, doc, hosts[i], add_host, ENTITY_HOST);
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		ecs_each(a, doc, ips[i], add_kind, ENTITY_IP);
	alert_entity_account(a, ecs_str(doc, "user.domain"), ecs_str(doc, "user.name"));
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		ecs_each(a, doc, users[i], add_kind, ENTITY_ACCOUNT);
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++)
		ecs_each(a, doc, emails[i], add_kind, ENTITY_EMAIL);
	ecs_each(a, doc, "url.full", add_kind, ENTITY_URL);
	ecs_each(a, doc, "url.original", add_kind, ENTITY_URL);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		ecs_each(a, doc, domains[i], add_kind, ENTITY_DOMAIN);
	ecs_each(a, doc, "file.name", add_kind, ENTITY_FILE_NAME);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		ecs_each(a, doc, hashes[i], add_hash, ENTITY_FILE_HASH_SHA256);
	const char *cmd = ecs_str(doc, "process.command_line");
	alert_entity_try(a, ENTITY_PROCESS, cmd ? cmd : ecs_str(doc, "process.name"));
}

static int parse_doc(struct alert_batch *b, json_t *hit, const char *where,
		     struct strbuf *err)
{
	char path[96];
	const char *ts, *hit_id = NULL;
	json_t *doc = hit;

	if (aj_expect_object(SRC, hit, where, err) < 0)
		return SIRT_EINVAL;
	if (json_is_object(json_object_get(hit, "_source"))) {
		doc = json_object_get(hit, "_source");
		hit_id = json_string_value(json_object_get(hit, "_id"));
	}
	const char *title = ecs_str(doc, "kibana.alert.rule.name");
	if (!title)
		title = ecs_str(doc, "signal.rule.name");
	if (!title)
		title = ecs_str(doc, "rule.name");
	if (!title)
		title = ecs_str(doc, "message");
	if (!title) {
		alert_errf(err, SRC, "%s%skibana.alert.rule.name: required field missing (not an "
				     "Elastic Security / ECS alert document)",
			   where, *where ? "." : "");
		return SIRT_EINVAL;
	}
	json_t *tsj = json_object_get(doc, "@timestamp");
	if (!tsj) {
		alert_errf(err, SRC, "%s%s@timestamp: required field missing", where,
			   *where ? "." : "");
		return SIRT_EINVAL;
	}
	struct alert *a = alert_batch_add(b, hit);
	if (aj_string(SRC, doc, where, "@timestamp", true, &ts, err) < 0)
		goto fail;
	int64_t at;
	if (alert_time_parse(ts, &at) < 0) {
		alert_errf(err, SRC, "%s: not an RFC 3339 timestamp: \"%.64s\"",
			   alert_path(path, sizeof(path), where, "@timestamp"), ts);
		goto fail;
	}
	alert_set_title(a, title);
	const char *desc = ecs_str(doc, "kibana.alert.reason");
	if (!desc)
		desc = ecs_str(doc, "kibana.alert.rule.description");
	if (!desc)
		desc = ecs_str(doc, "signal.reason");
	if (!desc)
		desc = ecs_str(doc, "message");
	alert_set_description(a, desc);

	/* severity: a word, else a score */
	const char *sev = ecs_str(doc, "kibana.alert.severity");
	if (!sev)
		sev = ecs_str(doc, "signal.rule.severity");
	if (!sev || alert_severity_word(sev, &a->severity) < 0) {
		static const char *const scores[] = {"kibana.alert.risk_score",
						     "signal.rule.risk_score", "event.risk_score",
						     "event.severity"};
		a->severity = ALERT_SEV_MEDIUM;
		for (size_t i = 0; i < sizeof(scores) / sizeof(scores[0]); i++) {
			json_t *n = ecs_get(doc, scores[i]);
			if (json_is_number(n) && isfinite(json_number_value(n))) {
				a->severity = map_score(json_number_value(n));
				break;
			}
		}
	}

	const char *wf = ecs_str(doc, "kibana.alert.workflow_status");
	if (!wf)
		wf = ecs_str(doc, "signal.status");
	const char *st = ecs_str(doc, "kibana.alert.status");
	if ((wf && strcmp(wf, "closed") == 0) || (st && strcmp(st, "recovered") == 0))
		a->status = ALERT_RESOLVED;

	const char *const starts[] = {"kibana.alert.start", "kibana.alert.original_time",
				      "signal.original_time"};
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]) && !a->starts_at; i++) {
		const char *s = ecs_str(doc, starts[i]);
		if (s && alert_time_parse(s, &a->starts_at) < 0) {
			alert_errf(err, SRC, "%s%s%s: not an RFC 3339 timestamp: \"%.64s\"", where,
				   *where ? "." : "", starts[i], s);
			goto fail;
		}
	}
	if (!a->starts_at)
		a->starts_at = at;
	const char *end = ecs_str(doc, "kibana.alert.end");
	if (a->status == ALERT_RESOLVED && end && alert_time_parse(end, &a->ends_at) < 0)
		a->ends_at = 0;
	const char *last = ecs_str(doc, "kibana.alert.last_detected");
	if (!last || alert_time_parse(last, &a->last_seen) < 0)
		a->last_seen = at > a->starts_at ? at : a->starts_at;
	a->first_seen = a->starts_at;
	alert_set_link(a, ecs_str(doc, "kibana.alert.url"));

	const char *uuid = ecs_str(doc, "kibana.alert.uuid");
	const char *id = uuid ? uuid : hit_id;
	if (id) {
		if (alert_set_fingerprint(a, id, uuid ? "kibana.alert.uuid" : "_id", err) < 0 ||
		    alert_set_source_id(a, id, uuid ? "kibana.alert.uuid" : "_id", err) < 0)
			goto fail;
	} else {
		const char *rule = ecs_str(doc, "kibana.alert.rule.uuid");
		struct alert_fp h;
		alert_fp_init(&h, SRC);
		alert_fp_add(&h, rule ? rule : ecs_str(doc, "rule.id"));
		alert_fp_add(&h, ecs_str(doc, "host.name"));
		alert_fp_add(&h, ts);
		alert_fp_finish(&h, a);
	}

	static const struct {
		const char *label, *path;
	} labels[] = {
		{"rule_name", "kibana.alert.rule.name"},
		{"rule_uuid", "kibana.alert.rule.uuid"},
		{"rule_id", "kibana.alert.rule.rule_id"},
		{"rule_type", "kibana.alert.rule.type"},
		{"workflow_status", "kibana.alert.workflow_status"},
		{"alert_status", "kibana.alert.status"},
		{"event_module", "event.module"},
		{"event_dataset", "event.dataset"},
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		alert_label_set(a, labels[i].label, ecs_str(doc, labels[i].path));
	json_t *cat = ecs_get(doc, "event.category");
	if (json_is_array(cat))
		alert_label_join(a, "event_category", cat);
	else
		alert_label_set(a, "event_category", json_string_value(cat));
	doc_entities(a, doc);
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

int alert_parse_elastic(const char *body, size_t len, struct alert_batch *out, struct strbuf *err)
{
	return alert_parse_documents(SRC, body, len, "hits.hits", parse_doc, out, err);
}
