/*
 * The normalised alert record and the per-source parsers that produce it.
 *
 * Every receiver (Alertmanager, Grafana, Sentinel, Defender, Splunk, Wazuh,
 * Elastic, sirt's generic JSON) turns one HTTP body into a struct alert_batch:
 * one payload may carry many alerts. This layer is pure: no I/O, no clock, no
 * database. The receivers call alert_parse() and store what comes back; the
 * store owns de-duplication by (source, fingerprint).
 *
 * Ownership: a batch owns its items, every string in them and one reference
 * to each json_t. alert_batch_free() releases all of it; alert_free()
 * releases what one record owns (the record itself is not freed, it usually
 * lives inside batch->items). Strings are NUL-terminated UTF-8 (jansson has
 * validated the encoding, "\u0000" is refused).
 *
 * Errors: a parser returns 0, SIRT_EINVAL (input malformed: not JSON, nested
 * deeper than ALERT_MAX_DEPTH, wrong type, missing field, wrong source's
 * format) or SIRT_ETOOBIG (a ceiling: payload bytes, alerts per batch). The
 * receiver maps them to 400 and 413. On error the batch is empty
 * and err holds one line naming the source, the field path and the fault, e.g.
 * "alertmanager: alerts[2].status: expected \"firing\" or \"resolved\", got \"ok\"".
 *
 * See docs/alerts.md for the per-source mapping, severity tables and
 * fingerprint rules.
 */
#ifndef SIRT_ALERT_H
#define SIRT_ALERT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

#define ALERT_MAX_PAYLOAD ((size_t)1 << 20) /* bytes per HTTP body */
#define ALERT_MAX_BATCH 1000                /* alerts per payload */
#define ALERT_MAX_DEPTH 32                  /* JSON nesting */
#define ALERT_MAX_ENTITIES 256              /* per alert, after de-duplication */
#define ALERT_MAX_TITLE 1024                /* bytes; longer titles are cut at a UTF-8 boundary */
#define ALERT_MAX_DESCRIPTION 65536         /* bytes; likewise */
#define ALERT_MAX_ID 512                    /* source_id and fingerprint, bytes; longer is an error */
#define ALERT_MAX_URL 4096                  /* longer links are dropped */

enum alert_severity {
	ALERT_SEV_INFO = 0,
	ALERT_SEV_LOW,
	ALERT_SEV_MEDIUM,
	ALERT_SEV_HIGH,
	ALERT_SEV_CRITICAL,
};

enum alert_status {
	ALERT_FIRING = 0,
	ALERT_RESOLVED,
};

enum alert_entity_kind {
	ENTITY_HOST = 0,
	ENTITY_IP,
	ENTITY_ACCOUNT,
	ENTITY_URL,
	ENTITY_DOMAIN,
	ENTITY_FILE_HASH_MD5,
	ENTITY_FILE_HASH_SHA1,
	ENTITY_FILE_HASH_SHA256,
	ENTITY_FILE_NAME,
	ENTITY_PROCESS,
	ENTITY_EMAIL,
	ENTITY_MAILBOX,
	ENTITY_KIND_COUNT,
};

struct alert_entity {
	enum alert_entity_kind kind;
	char *value; /* normalised (see alert_entity_add) */
};

struct alert {
	const char *source;      /* static: "alertmanager", "grafana", ... */
	char *source_id;         /* the source's own id for this alert, or NULL */
	char *fingerprint;       /* never NULL; unique within source */
	char *title;             /* never NULL, never empty */
	char *description;       /* never NULL, may be empty */
	enum alert_severity severity;
	enum alert_status status;
	int64_t starts_at;       /* epoch seconds; 0 = unknown */
	int64_t ends_at;         /* 0 = unknown or still firing */
	int64_t first_seen;      /* earliest activity the source reports; 0 = unknown */
	int64_t last_seen;       /* latest activity the source reports; 0 = unknown */
	unsigned count;          /* occurrences this record stands for (1) */
	char *link;              /* http(s) URL back to the source, or NULL */
	json_t *labels;          /* object, string values: identifying key/values */
	json_t *annotations;     /* object: descriptive extras (any JSON values) */
	struct alert_entity *entities;
	size_t n_entities;
	json_t *raw;             /* the single alert as received (a reference) */
};

struct alert_batch {
	struct alert *items;
	size_t n, cap;
	const char *source;      /* static */
	char *group_key;         /* Alertmanager/Grafana groupKey, or NULL */
	int64_t truncated;       /* alerts the sender dropped (truncatedAlerts) */
};

/* One parser per source, all with the same signature. */
int alert_parse_alertmanager(const char *body, size_t len, struct alert_batch *out,
			     struct strbuf *err) WUR;
int alert_parse_grafana(const char *body, size_t len, struct alert_batch *out,
			struct strbuf *err) WUR;
int alert_parse_sentinel(const char *body, size_t len, struct alert_batch *out,
			 struct strbuf *err) WUR;
int alert_parse_defender(const char *body, size_t len, struct alert_batch *out,
			 struct strbuf *err) WUR;
int alert_parse_splunk(const char *body, size_t len, struct alert_batch *out,
		       struct strbuf *err) WUR;
int alert_parse_wazuh(const char *body, size_t len, struct alert_batch *out,
		      struct strbuf *err) WUR;
int alert_parse_elastic(const char *body, size_t len, struct alert_batch *out,
			struct strbuf *err) WUR;
int alert_parse_generic(const char *body, size_t len, struct alert_batch *out,
			struct strbuf *err) WUR;

/* Dispatches by source name; an unknown name is SIRT_EINVAL. */
int alert_parse(const char *source, const char *body, size_t len, struct alert_batch *out,
		struct strbuf *err) WUR;
bool alert_source_valid(const char *source);
/* The NULL-terminated list of source names, for help texts and routing. */
extern const char *const alert_sources[];

void alert_batch_init(struct alert_batch *b, const char *source);
void alert_batch_free(struct alert_batch *b);
void alert_free(struct alert *a);

const char *alert_severity_name(enum alert_severity s);
int alert_severity_parse(const char *name, enum alert_severity *out) WUR;
const char *alert_status_name(enum alert_status s);
const char *alert_entity_kind_name(enum alert_entity_kind k);
int alert_entity_kind_parse(const char *name, enum alert_entity_kind *out) WUR;

/*
 * Validates and normalises value for kind, then adds it unless already
 * present. Normal forms: host, domain, e-mail and mailbox domain part
 * lower-cased; IPs in inet_ntop form; hashes lower-case hex; a trailing dot
 * dropped from host and domain. Returns SIRT_EINVAL (and adds nothing) for an
 * invalid value, SIRT_ETOOBIG past ALERT_MAX_ENTITIES; 0 also for a
 * duplicate.
 */
int alert_entity_add(struct alert *a, enum alert_entity_kind kind, const char *value) WUR;
bool alert_entity_valid(enum alert_entity_kind kind, const char *value);
/* The entity of that kind and value (normalised first), or NULL. */
const struct alert_entity *alert_entity_find(const struct alert *a, enum alert_entity_kind kind,
					     const char *value);

/*
 * Parses a timestamp as the sources write it: RFC 3339 with any number of
 * fractional digits, also "+hhmm" offsets (Wazuh). Go's zero time
 * "0001-01-01T00:00:00Z" (Alertmanager's "no end") yields 0.
 */
int alert_time_parse(const char *s, int64_t *out) WUR;

#endif
