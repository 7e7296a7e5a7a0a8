/* Routing rules: validation, matching and group keys (see rules.h). */
#include "core/category.h"
#include "intake/rules.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rand.h"
#include "util/xalloc.h"

static int check_strings(const json_t *v, const char *path, bool (*ok)(const char *),
			 const char *what, char *err, size_t errlen);
static bool any_string(const json_t *v, const char *s, bool ci);
static bool contains_ci(const char *hay, const char *needle);
static bool is_source(const char *s);
static bool is_severity(const char *s);
static bool is_entity_kind(const char *s);
static bool is_label_value(const char *s);
static void put_net(crypto_hash_sha256_state *h, const char *s);
static char *field_value(const struct alert *a, const char *field);

static const char *const action_names[] = {"record", "open", "attach"};

const char *rule_action_name(enum rule_action a)
{
	return (unsigned)a < 3 ? action_names[a] : "record";
}

int rule_action_parse(const char *s, enum rule_action *out)
{
	for (int i = 0; i < 3; i++) {
		if (s && strcmp(s, action_names[i]) == 0) {
			*out = (enum rule_action)i;
			return 0;
		}
	}
	return SIRT_EINVAL;
}

static bool is_source(const char *s)
{
	return alert_source_valid(s);
}

static bool is_severity(const char *s)
{
	enum alert_severity v;
	return alert_severity_parse(s, &v) == 0;
}

static bool is_entity_kind(const char *s)
{
	enum alert_entity_kind k;
	return alert_entity_kind_parse(s, &k) == 0;
}

static bool is_label_value(const char *s)
{
	return strlen(s) <= RULE_MAX_VALUE;
}

static bool is_text(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= RULE_MAX_VALUE;
}

/* A string, or a non-empty array of strings, each accepted by ok. */
static int check_strings(const json_t *v, const char *path, bool (*ok)(const char *),
			 const char *what, char *err, size_t errlen)
{
	if (json_is_string(v)) {
		if (!ok(json_string_value(v))) {
			snprintf(err, errlen, "%s: \"%.80s\" is not %s", path, json_string_value(v),
				 what);
			return SIRT_EINVAL;
		}
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > RULE_MAX_LIST) {
		snprintf(err, errlen, "%s: expected a string or an array of 1 to %d strings", path,
			 RULE_MAX_LIST);
		return SIRT_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			snprintf(err, errlen, "%s[%zu]: expected a string", path, i);
			return SIRT_EINVAL;
		}
		if (!ok(json_string_value(e))) {
			snprintf(err, errlen, "%s[%zu]: \"%.80s\" is not %s", path, i,
				 json_string_value(e), what);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

int rule_match_check(const json_t *match, char *err, size_t errlen)
{
	if (!json_is_object(match)) {
		snprintf(err, errlen, "match: expected an object");
		return SIRT_EINVAL;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)match, k, v) {
		char path[160];
		snprintf(path, sizeof(path), "match.%.100s", k);
		int rc;
		if (strcmp(k, "source") == 0) {
			rc = check_strings(v, path, is_source, "a source (alertmanager, grafana,"
				" sentinel, defender, splunk, wazuh, elastic, generic)", err, errlen);
		} else if (strcmp(k, "severity") == 0) {
			rc = check_strings(v, path, is_severity,
					   "a severity (critical, high, medium, low, info)", err,
					   errlen);
		} else if (strcmp(k, "min_severity") == 0) {
			if (!json_is_string(v)) {
				snprintf(err, errlen, "%s: expected a string", path);
				return SIRT_EINVAL;
			}
			rc = check_strings(v, path, is_severity,
					   "a severity (critical, high, medium, low, info)", err,
					   errlen);
		} else if (strcmp(k, "title_contains") == 0) {
			rc = check_strings(v, path, is_text, "1 to 256 bytes of text", err, errlen);
		} else if (strcmp(k, "entity_kinds") == 0) {
			rc = check_strings(v, path, is_entity_kind, "an entity kind", err, errlen);
		} else if (strcmp(k, "labels") == 0) {
			if (!json_is_object(v) || json_object_size(v) == 0 ||
			    json_object_size(v) > RULE_MAX_LIST) {
				snprintf(err, errlen, "%s: expected an object of 1 to %d labels", path,
					 RULE_MAX_LIST);
				return SIRT_EINVAL;
			}
			const char *lk;
			json_t *lv;
			rc = 0;
			json_object_foreach(v, lk, lv) {
				char lp[300];
				snprintf(lp, sizeof(lp), "%s.%.100s", path, lk);
				rc = check_strings(lv, lp, is_label_value, "a label value", err,
						   errlen);
				if (rc < 0)
					break;
			}
		} else {
			snprintf(err, errlen,
				 "%s: unknown condition (use source, severity, min_severity, labels,"
				 " title_contains, entity_kinds)",
				 path);
			return SIRT_EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool group_field_valid(const char *f)
{
	if (!strcmp(f, "source") || !strcmp(f, "fingerprint") || !strcmp(f, "title") ||
	    !strcmp(f, "severity"))
		return true;
	if (!strncmp(f, "labels.", 7))
		return f[7] != '\0' && strlen(f) <= RULE_MAX_VALUE;
	if (!strncmp(f, "entities.", 9))
		return is_entity_kind(f + 9);
	return false;
}

int rule_group_by_check(const json_t *group_by, char *err, size_t errlen)
{
	if (!json_is_array(group_by) || json_array_size(group_by) > RULE_MAX_GROUP_BY) {
		snprintf(err, errlen, "group_by: expected an array of at most %d field names",
			 RULE_MAX_GROUP_BY);
		return SIRT_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach(group_by, i, e) {
		if (!json_is_string(e) || !group_field_valid(json_string_value(e))) {
			snprintf(err, errlen,
				 "group_by[%zu]: expected source, fingerprint, title, severity,"
				 " labels.<name> or entities.<kind>",
				 i);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

/* A rule opens incidents of one of sirt's categories (src/core/category.h). */
bool rule_category_valid(const char *s)
{
	return category_valid(s);
}

static char lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return true;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < nl && hay[i] && lc(hay[i]) == lc(needle[i]))
			i++;
		if (i == nl)
			return true;
	}
	return false;
}

/* v is a string or an array of strings; does s equal (or, ci, contain) one? */
static bool any_string(const json_t *v, const char *s, bool ci)
{
	if (!s)
		return false;
	if (json_is_string(v))
		return ci ? contains_ci(s, json_string_value(v))
			  : strcmp(s, json_string_value(v)) == 0;
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		const char *w = json_string_value(e);
		if (w && (ci ? contains_ci(s, w) : strcmp(s, w) == 0))
			return true;
	}
	return false;
}

bool rule_matches(const struct intake_rule *r, const struct alert *a)
{
	const char *k;
	json_t *v;
	json_object_foreach(r->match, k, v) {
		if (strcmp(k, "source") == 0) {
			if (!any_string(v, a->source, false))
				return false;
		} else if (strcmp(k, "severity") == 0) {
			if (!any_string(v, alert_severity_name(a->severity), false))
				return false;
		} else if (strcmp(k, "min_severity") == 0) {
			enum alert_severity min;
			if (alert_severity_parse(json_string_value(v), &min) < 0 ||
			    a->severity < min)
				return false;
		} else if (strcmp(k, "title_contains") == 0) {
			if (!any_string(v, a->title, true))
				return false;
		} else if (strcmp(k, "entity_kinds") == 0) {
			bool found = false;
			for (size_t i = 0; i < a->n_entities && !found; i++)
				found = any_string(v, alert_entity_kind_name(a->entities[i].kind),
						   false);
			if (!found)
				return false;
		} else if (strcmp(k, "labels") == 0) {
			const char *lk;
			json_t *lv;
			json_object_foreach(v, lk, lv) {
				const char *have =
					json_string_value(json_object_get(a->labels, lk));
				if (!any_string(lv, have, false))
					return false;
			}
		} else {
			return false; /* unknown condition: never matches */
		}
	}
	return true;
}

const struct intake_rule *rule_first_match(const struct intake_rule *rules, size_t n,
					   const struct alert *a)
{
	for (size_t i = 0; i < n; i++)
		if (rule_matches(&rules[i], a))
			return &rules[i];
	return NULL;
}

static void put_net(crypto_hash_sha256_state *h, const char *s)
{
	char len[24];
	if (!s)
		s = "";
	int n = snprintf(len, sizeof(len), "%zu:", strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)len, (size_t)n);
	crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)",", 1);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The value of one group_by field (new string; "" when absent). */
static char *field_value(const struct alert *a, const char *field)
{
	if (!strcmp(field, "source"))
		return xstrdup(a->source);
	if (!strcmp(field, "fingerprint"))
		return xstrdup(a->fingerprint);
	if (!strcmp(field, "title"))
		return xstrdup(a->title);
	if (!strcmp(field, "severity"))
		return xstrdup(alert_severity_name(a->severity));
	if (!strncmp(field, "labels.", 7)) {
		const char *v = json_string_value(json_object_get(a->labels, field + 7));
		return xstrdup(v ? v : "");
	}
	enum alert_entity_kind kind;
	if (!strncmp(field, "entities.", 9) && alert_entity_kind_parse(field + 9, &kind) == 0) {
		/* every value of that kind, sorted, comma-joined */
		const char *vals[ALERT_MAX_ENTITIES];
		size_t n = 0, total = 1;
		for (size_t i = 0; i < a->n_entities; i++) {
			if (a->entities[i].kind == kind) {
				vals[n++] = a->entities[i].value;
				total += strlen(a->entities[i].value) + 1;
			}
		}
		qsort(vals, n, sizeof(vals[0]), cmp_str);
		char *out = xmalloc(total);
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(vals[i]);
			if (i)
				out[o++] = ',';
			memcpy(out + o, vals[i], l);
			o += l;
		}
		out[o] = '\0';
		return out;
	}
	return xstrdup("");
}

void rule_group_key(const struct intake_rule *r, const struct alert *a, char key[65],
		    json_t **label)
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&h);
	put_net(&h, r->uid);
	json_t *lab = label ? json_object() : NULL;
	size_t n = json_array_size(r->group_by);
	if (n == 0) {
		put_net(&h, "fingerprint");
		put_net(&h, a->source);
		put_net(&h, a->fingerprint);
		if (lab)
			json_object_set_new(lab, "fingerprint", json_string(a->fingerprint));
	}
	for (size_t i = 0; i < n; i++) {
		const char *f = json_string_value(json_array_get(r->group_by, i));
		char *v = field_value(a, f);
		put_net(&h, f);
		put_net(&h, v);
		if (lab)
			json_object_set_new(lab, f, json_string(v));
		free(v);
	}
	crypto_hash_sha256_final(&h, d);
	hex_encode(key, d, sizeof(d));
	if (label)
		*label = lab;
}

const char *rule_incident_severity(const struct intake_rule *r, const struct alert *a)
{
	if (r && r->severity)
		return r->severity;
	switch (a->severity) {
	case ALERT_SEV_CRITICAL: return "critical";
	case ALERT_SEV_HIGH: return "high";
	case ALERT_SEV_MEDIUM: return "medium";
	default: return "low";
	}
}

void rule_free(struct intake_rule *r)
{
	if (!r)
		return;
	free(r->uid);
	free(r->name);
	free(r->category);
	free(r->severity);
	json_decref(r->match);
	json_decref(r->group_by);
	memset(r, 0, sizeof(*r));
}
