/*
 * sirt's own generic alert format (docs/alerts-generic.md), for every tool
 * without a dedicated receiver. Because the format is ours it is strict:
 * unknown fields, wrong types, invalid entities, bad URLs and over-long
 * values are errors, not silently dropped.
 *
 *   body   = alert | {"version": 1, "alerts": [alert, ...]}  (version optional)
 *   alert  = {"title": str (required), "description": str, "severity":
 *             "critical"|"high"|"medium"|"low"|"info", "status":
 *             "firing"|"resolved", "fingerprint": str, "source_id": str,
 *             "starts_at": RFC 3339, "ends_at": RFC 3339, "link": http(s) URL,
 *             "labels": {str: str}, "annotations": {str: str},
 *             "entities": [{"kind": kind, "value": str}]}
 *
 * fingerprint: the given one, else source_id, else SHA-256 over "generic",
 * title and the labels sorted by name.
 */
#include "alert_int.h"

#include <stdio.h>
#include <string.h>

#define SRC "generic"
#define MAX_MAP_KEYS 64
#define MAX_KEY 128
#define MAX_LABEL_VALUE 1024

static int check_keys(const json_t *obj, const char *where, const char *const *allowed,
		      struct strbuf *err);
static int check_map(const json_t *obj, const char *where, size_t max_value,
		     struct strbuf *err);
static int check_text(const char *s, const char *where, const char *key, size_t max,
		      struct strbuf *err);
static int parse_entities(struct alert *a, const json_t *arr, const char *where,
			  struct strbuf *err);
static int parse_alert(struct alert_batch *b, json_t *j, const char *where,
		       struct strbuf *err);

static const char *const alert_keys[] = {
	"title",     "description", "severity", "status", "fingerprint", "source_id",
	"starts_at", "ends_at",     "link",     "labels", "annotations", "entities",
	NULL,
};
static const char *const batch_keys[] = {"version", "alerts", NULL};
static const char *const entity_keys[] = {"kind", "value", NULL};

static int check_keys(const json_t *obj, const char *where, const char *const *allowed,
		      struct strbuf *err)
{
	const char *key;
	json_t *v;
	char path[160];
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (!allowed[i]) {
			alert_errf(err, SRC, "%s: unknown field (the generic format is strict)",
				   alert_path(path, sizeof(path), where, key));
			return SIRT_EINVAL;
		}
	}
	return 0;
}

static int check_map(const json_t *obj, const char *where, size_t max_value,
		     struct strbuf *err)
{
	const char *key;
	json_t *v;
	if (json_object_size(obj) > MAX_MAP_KEYS) {
		alert_errf(err, SRC, "%s: more than %d keys", where, MAX_MAP_KEYS);
		return SIRT_EINVAL;
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (!*key || strlen(key) > MAX_KEY) {
			alert_errf(err, SRC, "%s: keys must be 1 to %d bytes", where, MAX_KEY);
			return SIRT_EINVAL;
		}
		if (!json_is_string(v)) {
			alert_errf(err, SRC, "%s.%s: expected string, got %s", where, key,
				   alert_json_type(v));
			return SIRT_EINVAL;
		}
		if (strlen(json_string_value(v)) > max_value) {
			alert_errf(err, SRC, "%s.%s: longer than %zu bytes", where, key, max_value);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

static int check_text(const char *s, const char *where, const char *key, size_t max,
		      struct strbuf *err)
{
	char path[160];
	if (s && strlen(s) > max) {
		alert_errf(err, SRC, "%s: longer than %zu bytes",
			   alert_path(path, sizeof(path), where, key), max);
		return SIRT_EINVAL;
	}
	return 0;
}

static int parse_entities(struct alert *a, const json_t *arr, const char *where,
			  struct strbuf *err)
{
	char ew[96];
	size_t i;
	json_t *e;
	const char *kind, *value;
	enum alert_entity_kind k;
	if (json_array_size(arr) > ALERT_MAX_ENTITIES) {
		alert_errf(err, SRC, "%s.entities: more than %d entities", where,
			   ALERT_MAX_ENTITIES);
		return SIRT_EINVAL;
	}
	json_array_foreach((json_t *)arr, i, e) {
		snprintf(ew, sizeof(ew), "%s%sentities[%zu]", where, *where ? "." : "", i);
		if (aj_expect_object(SRC, e, ew, err) < 0 || check_keys(e, ew, entity_keys, err) < 0 ||
		    aj_string(SRC, e, ew, "kind", true, &kind, err) < 0 ||
		    aj_string(SRC, e, ew, "value", true, &value, err) < 0)
			return SIRT_EINVAL;
		if (alert_entity_kind_parse(kind, &k) < 0) {
			alert_errf(err, SRC, "%s.kind: unknown entity kind \"%.32s\"", ew, kind);
			return SIRT_EINVAL;
		}
		if (alert_entity_add(a, k, value) < 0) {
			alert_errf(err, SRC, "%s.value: not a valid %s: \"%.64s\"", ew, kind, value);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

static int parse_alert(struct alert_batch *b, json_t *j, const char *where,
		       struct strbuf *err)
{
	char path[160];
	const char *title, *desc, *sev, *status, *fp, *sid, *link;
	json_t *labels, *ann, *entities;

	if (aj_expect_object(SRC, j, where, err) < 0 || check_keys(j, where, alert_keys, err) < 0)
		return SIRT_EINVAL;
	struct alert *a = alert_batch_add(b, j);
	if (aj_string(SRC, j, where, "title", true, &title, err) < 0 ||
	    check_text(title, where, "title", ALERT_MAX_TITLE, err) < 0 ||
	    aj_string(SRC, j, where, "description", false, &desc, err) < 0 ||
	    check_text(desc, where, "description", ALERT_MAX_DESCRIPTION, err) < 0 ||
	    aj_string(SRC, j, where, "severity", false, &sev, err) < 0 ||
	    aj_string(SRC, j, where, "status", false, &status, err) < 0 ||
	    aj_string(SRC, j, where, "fingerprint", false, &fp, err) < 0 ||
	    aj_string(SRC, j, where, "source_id", false, &sid, err) < 0 ||
	    aj_time(SRC, j, where, "starts_at", false, &a->starts_at, err) < 0 ||
	    aj_time(SRC, j, where, "ends_at", false, &a->ends_at, err) < 0 ||
	    aj_string(SRC, j, where, "link", false, &link, err) < 0 ||
	    aj_object(SRC, j, where, "labels", false, &labels, err) < 0 ||
	    aj_object(SRC, j, where, "annotations", false, &ann, err) < 0 ||
	    aj_array(SRC, j, where, "entities", false, &entities, err) < 0)
		goto fail;
	alert_set_title(a, title);
	if (!*a->title) {
		alert_errf(err, SRC, "%s: must not be empty",
			   alert_path(path, sizeof(path), where, "title"));
		goto fail;
	}
	alert_set_description(a, desc);
	if (sev && alert_severity_parse(sev, &a->severity) < 0) {
		alert_errf(err, SRC, "%s: expected critical, high, medium, low or info, got "
				     "\"%.32s\"", alert_path(path, sizeof(path), where, "severity"), sev);
		goto fail;
	}
	if (status && strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0) {
		alert_errf(err, SRC, "%s: expected \"firing\" or \"resolved\", got \"%.32s\"",
			   alert_path(path, sizeof(path), where, "status"), status);
		goto fail;
	}
	a->status = status && strcmp(status, "resolved") == 0 ? ALERT_RESOLVED : ALERT_FIRING;
	if (a->ends_at && a->starts_at && a->ends_at < a->starts_at) {
		alert_errf(err, SRC, "%s: before starts_at",
			   alert_path(path, sizeof(path), where, "ends_at"));
		goto fail;
	}
	if (link) {
		alert_set_link(a, link);
		if (!a->link) {
			alert_errf(err, SRC, "%s: not an absolute http(s) URL of at most %d bytes",
				   alert_path(path, sizeof(path), where, "link"), ALERT_MAX_URL);
			goto fail;
		}
	}
	if (labels) {
		if (check_map(labels, alert_path(path, sizeof(path), where, "labels"),
			      MAX_LABEL_VALUE, err) < 0)
			goto fail;
		json_object_update(a->labels, labels);
	}
	if (ann) {
		if (check_map(ann, alert_path(path, sizeof(path), where, "annotations"),
			      ALERT_MAX_DESCRIPTION, err) < 0)
			goto fail;
		json_object_update(a->annotations, ann);
	}
	if (entities && parse_entities(a, entities, where, err) < 0)
		goto fail;
	if (sid && alert_set_source_id(a, sid, alert_path(path, sizeof(path), where, "source_id"),
				       err) < 0)
		goto fail;
	if (fp) {
		if (alert_set_fingerprint(a, fp, alert_path(path, sizeof(path), where,
							    "fingerprint"), err) < 0)
			goto fail;
	} else if (sid) {
		if (alert_set_fingerprint(a, sid, "source_id", err) < 0)
			goto fail;
	} else {
		struct alert_fp h;
		alert_fp_init(&h, SRC);
		alert_fp_add(&h, a->title);
		alert_fp_add_object(&h, a->labels);
		alert_fp_finish(&h, a);
	}
	if (alert_finish(a, where, err) < 0)
		goto fail;
	return 0;
fail:
	alert_batch_pop(b);
	return SIRT_EINVAL;
}

int alert_parse_generic(const char *body, size_t len, struct alert_batch *out,
			struct strbuf *err)
{
	json_t *root = NULL, *alerts, *item;
	char where[32];
	json_int_t version;
	bool has_version;
	size_t i;
	int rc;

	alert_batch_init(out, SRC);
	rc = alert_json_load(SRC, body, len, false, &root, err);
	if (rc < 0)
		return rc;
	rc = SIRT_EINVAL;
	if (aj_expect_object(SRC, root, "", err) < 0)
		goto fail;
	if (!json_object_get(root, "alerts")) {
		if (parse_alert(out, root, "", err) < 0)
			goto fail;
		json_decref(root);
		return 0;
	}
	if (check_keys(root, "", batch_keys, err) < 0 ||
	    aj_integer(SRC, root, "", "version", false, &version, &has_version, err) < 0 ||
	    aj_array(SRC, root, "", "alerts", true, &alerts, err) < 0)
		goto fail;
	if (has_version && version != 1) {
		alert_errf(err, SRC, "version: expected 1, got %lld", (long long)version);
		goto fail;
	}
	if (json_array_size(alerts) == 0) {
		alert_errf(err, SRC, "alerts: empty array");
		goto fail;
	}
	if ((rc = alert_batch_check_count(out, json_array_size(alerts), err)) < 0)
		goto fail;
	rc = SIRT_EINVAL;
	json_array_foreach(alerts, i, item) {
		snprintf(where, sizeof(where), "alerts[%zu]", i);
		if (parse_alert(out, item, where, err) < 0)
			goto fail;
	}
	json_decref(root);
	return 0;
fail:
	alert_batch_clear(out);
	json_decref(root);
	return rc;
}
