/*
 * Wazuh alerts (the documents the manager writes to alerts.json): one JSON
 * object, a JSON array of them, or several one after another (newline
 * delimited, as alerts.json itself is). An Elasticsearch/OpenSearch hit
 * ({"_source": {...}}) is unwrapped.
 *
 *   fingerprint  id (the manager's "<epoch>.<offset>" alert id); source_id = id
 *   title        rule.description
 *   description  full_log
 *   severity     rule.level: 0-3 info, 4-6 low, 7-11 medium, 12-14 high,
 *                15 critical (Wazuh's own dashboard bands, with the
 *                housekeeping levels 0-3 split off as info)
 *   status       firing (Wazuh has no resolve)
 *   starts_at    timestamp ("2020-04-17T00:25:13.117+0000")
 *   link         none
 *   labels       rule_id, rule_level, rule_groups, agent_id, agent_name,
 *                manager, location, decoder, mitre_ids, mitre_tactics
 *   entities     agent.name, predecoder.hostname, data.hostname,
 *                data.win.system.computer (host); agent.ip, data.srcip,
 *                data.dstip, data.src_ip, data.dest_ip (ip); data.srcuser,
 *                data.dstuser, data.user, data.win.eventdata.targetUserName,
 *                .subjectUserName (account); data.url (url); syscheck.path
 *                (file_name); syscheck.md5_after, sha1_after, sha256_after
 *                (hashes); data.win.eventdata.image (process)
 */
#include "alert_int.h"

#include <stdio.h>
#include <string.h>

#define SRC "wazuh"

static enum alert_severity map_level(json_int_t level);
static const char *sub(const json_t *obj, const char *a, const char *b);
static void doc_entities(struct alert *a, const json_t *doc);
static int parse_doc(struct alert_batch *b, json_t *doc, const char *where,
		     struct strbuf *err);

static enum alert_severity map_level(json_int_t level)
{
	if (level >= 15)
		return ALERT_SEV_CRITICAL;
	if (level >= 12)
		return ALERT_SEV_HIGH;
	if (level >= 7)
		return ALERT_SEV_MEDIUM;
	if (level >= 4)
		return ALERT_SEV_LOW;
	return ALERT_SEV_INFO;
}

/* obj.a.b as a string, or NULL. */
static const char *sub(const json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static void doc_entities(struct alert *a, const json_t *doc)
{
	json_t *data = json_object_get(doc, "data");
	json_t *evd = json_object_get(json_object_get(data, "win"), "eventdata");
	json_t *sys = json_object_get(doc, "syscheck");
	alert_entity_host_or_ip(a, sub(doc, "agent", "name"));
	alert_entity_host_or_ip(a, sub(doc, "predecoder", "hostname"));
	alert_entity_host_or_ip(a, sub(data, "hostname", NULL));
	alert_entity_host_or_ip(a, sub(json_object_get(data, "win"), "system", "computer"));
	alert_entity_try(a, ENTITY_IP, sub(doc, "agent", "ip"));
	static const char *const ips[] = {"srcip", "dstip", "src_ip", "dest_ip"};
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		alert_entity_try(a, ENTITY_IP, sub(data, ips[i], NULL));
	static const char *const users[] = {"srcuser", "dstuser", "user"};
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		alert_entity_try(a, ENTITY_ACCOUNT, sub(data, users[i], NULL));
	alert_entity_account(a, sub(evd, "targetDomainName", NULL),
			     sub(evd, "targetUserName", NULL));
	alert_entity_account(a, sub(evd, "subjectDomainName", NULL),
			     sub(evd, "subjectUserName", NULL));
	alert_entity_try(a, ENTITY_PROCESS, sub(evd, "image", NULL));
	alert_entity_try(a, ENTITY_URL, sub(data, "url", NULL));
	alert_entity_try(a, ENTITY_FILE_NAME, sub(sys, "path", NULL));
	alert_entity_try(a, ENTITY_FILE_HASH_MD5, sub(sys, "md5_after", NULL));
	alert_entity_try(a, ENTITY_FILE_HASH_SHA1, sub(sys, "sha1_after", NULL));
	alert_entity_try(a, ENTITY_FILE_HASH_SHA256, sub(sys, "sha256_after", NULL));
}

static int parse_doc(struct alert_batch *b, json_t *doc, const char *where,
		     struct strbuf *err)
{
	char rw[64], buf[32];
	json_t *rule, *mitre;
	const char *id, *desc, *rule_id, *full_log;
	json_int_t level;

	if (aj_expect_object(SRC, doc, where, err) < 0)
		return SIRT_EINVAL;
	json_t *src = json_object_get(doc, "_source");
	if (json_is_object(src))
		doc = src;
	if (!json_object_get(doc, "rule")) {
		alert_errf(err, SRC, "%s%srule: required field missing (not a Wazuh alert "
				     "document)", where, *where ? "." : "");
		return SIRT_EINVAL;
	}
	snprintf(rw, sizeof(rw), "%s%srule", where, *where ? "." : "");
	struct alert *a = alert_batch_add(b, doc);
	if (aj_object(SRC, doc, where, "rule", true, &rule, err) < 0 ||
	    aj_integer(SRC, rule, rw, "level", true, &level, NULL, err) < 0 ||
	    aj_string(SRC, rule, rw, "description", true, &desc, err) < 0 ||
	    aj_string(SRC, rule, rw, "id", true, &rule_id, err) < 0 ||
	    aj_object(SRC, rule, rw, "mitre", false, &mitre, err) < 0 ||
	    aj_string(SRC, doc, where, "id", true, &id, err) < 0 ||
	    aj_time(SRC, doc, where, "timestamp", true, &a->starts_at, err) < 0 ||
	    aj_string(SRC, doc, where, "full_log", false, &full_log, err) < 0)
		goto fail;
	if (level < 0 || level > 16) {
		alert_errf(err, SRC, "%s.level: %lld is outside 0-16", rw, (long long)level);
		goto fail;
	}
	if (alert_set_fingerprint(a, id, "id", err) < 0 || alert_set_source_id(a, id, "id", err) < 0)
		goto fail;
	alert_set_title(a, desc);
	alert_set_description(a, full_log);
	a->severity = map_level(level);
	snprintf(buf, sizeof(buf), "%lld", (long long)level);
	alert_label_set(a, "rule_id", rule_id);
	alert_label_set(a, "rule_level", buf);
	alert_label_join(a, "rule_groups", json_object_get(rule, "groups"));
	alert_label_set(a, "agent_id", sub(doc, "agent", "id"));
	alert_label_set(a, "agent_name", sub(doc, "agent", "name"));
	alert_label_set(a, "manager", sub(doc, "manager", "name"));
	alert_label_set(a, "location", sub(doc, "location", NULL));
	alert_label_set(a, "decoder", sub(doc, "decoder", "name"));
	if (mitre) {
		alert_label_join(a, "mitre_ids", json_object_get(mitre, "id"));
		json_t *tactics = json_object_get(mitre, "tactic");
		alert_label_join(a, "mitre_tactics",
				 tactics ? tactics : json_object_get(mitre, "tactics"));
	}
	doc_entities(a, doc);
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

int alert_parse_wazuh(const char *body, size_t len, struct alert_batch *out, struct strbuf *err)
{
	json_t *root = NULL, *docs, *v, *d;
	char where[48];
	size_t i, j, n = 0;
	int rc;

	alert_batch_init(out, SRC);
	rc = alert_json_load(SRC, body, len, true, &root, err);
	if (rc < 0)
		return rc;
	/* flatten: each top-level value is a document or an array of them */
	docs = json_array();
	json_array_foreach(root, i, v) {
		if (json_is_array(v))
			json_array_foreach(v, j, d)
				json_array_append(docs, d);
		else
			json_array_append(docs, v);
	}
	n = json_array_size(docs);
	if (n == 0) {
		alert_errf(err, SRC, "no alert documents");
		rc = SIRT_EINVAL;
		goto fail;
	}
	if ((rc = alert_batch_check_count(out, n, err)) < 0)
		goto fail;
	rc = SIRT_EINVAL;
	json_array_foreach(docs, i, d) {
		if (n == 1)
			where[0] = '\0';
		else
			snprintf(where, sizeof(where), "[%zu]", i);
		if (parse_doc(out, d, where, err) < 0)
			goto fail;
	}
	json_decref(docs);
	json_decref(root);
	return 0;
fail:
	alert_batch_clear(out);
	json_decref(docs);
	json_decref(root);
	return rc;
}
