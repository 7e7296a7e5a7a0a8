/*
 * Helpers shared by the per-source parsers (src/alerts/parse_*.c). Not part
 * of the receivers' interface: they include alert.h only.
 *
 * Field paths in messages: `where` is the JSON path of the object being read
 * ("" for the document root, "alerts[3]", "evidence[0].fileDetails"); the
 * getters append ".key" themselves.
 */
#ifndef SIRT_ALERT_INT_H
#define SIRT_ALERT_INT_H

#include "alert.h"

#include <sodium.h>

/* Sets err to "<source>: <message>" (replacing what was there). */
void alert_errf(struct strbuf *err, const char *source, const char *fmt, ...) PRINTF(3, 4);
const char *alert_json_type(const json_t *j);
/* Joins where and key into buf ("a.b", or "b" when where is empty). */
const char *alert_path(char *buf, size_t size, const char *where, const char *key);

/*
 * Checks size and nesting depth, then parses. With multi, accepts several
 * top-level values one after another (NDJSON or concatenated) and returns
 * them as a JSON array; otherwise exactly one object or array.
 */
int alert_json_load(const char *source, const char *body, size_t len, bool multi, json_t **out,
		    struct strbuf *err) WUR;

/*
 * Typed getters. A missing key and a JSON null are both "absent": required
 * makes that an error, otherwise *out is NULL / *present false and 0 is
 * returned. A present value of the wrong type is always an error.
 */
int aj_string(const char *src, const json_t *obj, const char *where, const char *key,
	      bool required, const char **out, struct strbuf *err) WUR;
int aj_object(const char *src, const json_t *obj, const char *where, const char *key,
	      bool required, json_t **out, struct strbuf *err) WUR;
int aj_array(const char *src, const json_t *obj, const char *where, const char *key,
	     bool required, json_t **out, struct strbuf *err) WUR;
int aj_integer(const char *src, const json_t *obj, const char *where, const char *key,
	       bool required, json_int_t *out, bool *present, struct strbuf *err) WUR;
/* A timestamp string (alert_time_parse); absent gives 0. */
int aj_time(const char *src, const json_t *obj, const char *where, const char *key,
	    bool required, int64_t *out, struct strbuf *err) WUR;
/* obj must be a JSON object; what names the thing for the message. */
int aj_expect_object(const char *src, const json_t *j, const char *where, struct strbuf *err) WUR;

/* Appends a zeroed record: severity medium, firing, count 1, empty labels
 * and annotations, raw = a new reference to raw (may be NULL). */
struct alert *alert_batch_add(struct alert_batch *b, json_t *raw);
/* Drops the last record (after a parse error inside it). */
void alert_batch_pop(struct alert_batch *b);
/* Empties the batch after an error, keeping it reusable. */
void alert_batch_clear(struct alert_batch *b);
/* Fails with SIRT_ETOOBIG once n records would exceed ALERT_MAX_BATCH. */
int alert_batch_check_count(struct alert_batch *b, size_t n, struct strbuf *err) WUR;
/* One document or a list of them: a top-level array, or the array at the
 * dotted path `list_path` ("value", "hits.hits") of an object. Calls
 * parse_one for each with its location ("value[3]"); on any failure the
 * batch is cleared and the error names the item. */
typedef int (*alert_item_fn)(struct alert_batch *b, json_t *item, const char *where,
			     struct strbuf *err);
int alert_parse_documents(const char *src, const char *body, size_t len, const char *list_path,
			  alert_item_fn parse_one, struct alert_batch *out, struct strbuf *err) WUR;


/* Copies s, trimmed of surrounding white space, cut at the size limit on a
 * UTF-8 boundary. NULL leaves the field unchanged. */
void alert_set_title(struct alert *a, const char *s);
void alert_set_description(struct alert *a, const char *s);
/* Sets the link only if s is an absolute http(s) URL within ALERT_MAX_URL. */
void alert_set_link(struct alert *a, const char *s);
/* source_id / fingerprint: non-empty, at most ALERT_MAX_ID bytes, no control
 * characters; otherwise an error naming field. */
int alert_set_source_id(struct alert *a, const char *s, const char *field,
			struct strbuf *err) WUR;
int alert_set_fingerprint(struct alert *a, const char *s, const char *field,
			  struct strbuf *err) WUR;
void alert_label_set(struct alert *a, const char *key, const char *value);
/* Joins the string elements of arr with "," into one label; no-op if none. */
void alert_label_join(struct alert *a, const char *key, const json_t *arr);
void alert_annotation_set(struct alert *a, const char *key, json_t *value); /* steals value */
/* Adds when valid, ignores invalid values and the entity ceiling: vendor
 * payloads are mapped best-effort. */
void alert_entity_try(struct alert *a, enum alert_entity_kind kind, const char *value);
/* An address becomes an ip entity, a host name a host entity. */
void alert_entity_host_or_ip(struct alert *a, const char *value);
/* "DOMAIN\user" when domain is set, else user. */
void alert_entity_account(struct alert *a, const char *domain, const char *user);
/* A hex hash whose length says which kind it is. */
void alert_entity_hash(struct alert *a, const char *value);

/*
 * Computed fingerprints: SHA-256 over netstrings ("<len>:<bytes>,") of the
 * source name and then each field in order; hex-encoded (64 characters).
 */
struct alert_fp {
	crypto_hash_sha256_state st;
};
void alert_fp_init(struct alert_fp *fp, const char *source);
void alert_fp_add(struct alert_fp *fp, const char *field); /* NULL hashes as "" */
/* Adds every key and string value of a JSON object in key order. */
void alert_fp_add_object(struct alert_fp *fp, const json_t *obj);
void alert_fp_finish(struct alert_fp *fp, struct alert *a);

/* Words shared by the monitoring tools: critical/page/..., see alert.c. */
int alert_severity_word(const char *word, enum alert_severity *out) WUR;
/* alert_severity_word(), or dflt for a missing or unknown word (Microsoft's
 * high / medium / low / informational scale and its "unknown" map through it). */
enum alert_severity alert_severity_or(const char *word, enum alert_severity dflt);

/* Fills first_seen/last_seen from starts_at/ends_at where unset and checks
 * the title; called by each parser once a record is complete. */
int alert_finish(struct alert *a, const char *where, struct strbuf *err) WUR;

/*
 * The Alertmanager webhook shape, shared with Grafana's unified alerting
 * (parse_alertmanager.c). version is the value the payload must carry;
 * extras, when set, maps the flavour's additional per-alert fields.
 */
struct prom_flavour {
	const char *source;
	const char *version;
	const char *what; /* "Alertmanager webhook v4", ... */
	int (*root_check)(const json_t *root, struct strbuf *err);
	void (*extras)(struct alert *a, const json_t *alert);
};
int alert_parse_prom(const struct prom_flavour *fl, const char *body, size_t len,
		     struct alert_batch *out, struct strbuf *err) WUR;

#endif
