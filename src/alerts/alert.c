/*
 * The alert record: lifetime, names, entity validation, timestamps and the
 * dispatch by source name. The JSON helpers the parsers share are in
 * alert_json.c.
 */
#include "alert_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

static bool is_hex(const char *s, size_t n);
static bool has_ctl(const char *s, bool allow_tab);
static bool utf8_valid(const char *s);
static bool host_valid(const char *s, bool need_dot);
static bool url_valid(const char *s);
static bool email_valid(const char *s);
static char *normalise(enum alert_entity_kind kind, const char *value);
static char *copy_text(const char *s, size_t max);

static const struct {
	const char *name;
	int (*fn)(const char *body, size_t len, struct alert_batch *out, struct strbuf *err);
} parsers[] = {
	{"alertmanager", alert_parse_alertmanager},
	{"grafana", alert_parse_grafana},
	{"sentinel", alert_parse_sentinel},
	{"defender", alert_parse_defender},
	{"splunk", alert_parse_splunk},
	{"wazuh", alert_parse_wazuh},
	{"elastic", alert_parse_elastic},
	{"generic", alert_parse_generic},
};

const char *const alert_sources[] = {
	"alertmanager", "grafana", "sentinel", "defender", "splunk", "wazuh", "elastic", "generic",
	NULL,
};

static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};
static const char *const entity_names[ENTITY_KIND_COUNT] = {
	"host",          "ip",           "account",         "url",       "domain",
	"file_hash_md5", "file_hash_sha1", "file_hash_sha256", "file_name", "process",
	"email",         "mailbox",
};

int alert_parse(const char *source, const char *body, size_t len, struct alert_batch *out,
		struct strbuf *err)
{
	for (size_t i = 0; source && i < sizeof(parsers) / sizeof(parsers[0]); i++)
		if (strcmp(source, parsers[i].name) == 0)
			return parsers[i].fn(body, len, out, err);
	alert_batch_init(out, "unknown");
	alert_errf(err, "alerts", "unknown source \"%.64s\"", source ? source : "(null)");
	return SIRT_EINVAL;
}

bool alert_source_valid(const char *source)
{
	for (size_t i = 0; source && alert_sources[i]; i++)
		if (strcmp(source, alert_sources[i]) == 0)
			return true;
	return false;
}

void alert_batch_init(struct alert_batch *b, const char *source)
{
	memset(b, 0, sizeof(*b));
	b->source = source;
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	free(a->source_id);
	free(a->fingerprint);
	free(a->title);
	free(a->description);
	free(a->link);
	json_decref(a->labels);
	json_decref(a->annotations);
	json_decref(a->raw);
	for (size_t i = 0; i < a->n_entities; i++)
		free(a->entities[i].value);
	free(a->entities);
	memset(a, 0, sizeof(*a));
}

void alert_batch_clear(struct alert_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		alert_free(&b->items[i]);
	b->n = 0;
	free(b->group_key);
	b->group_key = NULL;
	b->truncated = 0;
}

void alert_batch_free(struct alert_batch *b)
{
	if (!b)
		return;
	alert_batch_clear(b);
	free(b->items);
	b->items = NULL;
	b->cap = 0;
}

struct alert *alert_batch_add(struct alert_batch *b, json_t *raw)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		b->items = xrealloc(b->items, b->cap * sizeof(*b->items));
	}
	struct alert *a = &b->items[b->n++];
	memset(a, 0, sizeof(*a));
	a->source = b->source;
	a->severity = ALERT_SEV_MEDIUM;
	a->status = ALERT_FIRING;
	a->count = 1;
	a->labels = json_object();
	a->annotations = json_object();
	a->raw = json_incref(raw);
	if (!a->labels || !a->annotations)
		fatal("out of memory");
	return a;
}

void alert_batch_pop(struct alert_batch *b)
{
	if (b->n)
		alert_free(&b->items[--b->n]);
}

int alert_batch_check_count(struct alert_batch *b, size_t n, struct strbuf *err)
{
	if (n > ALERT_MAX_BATCH) {
		alert_errf(err, b->source, "%zu alerts in one payload, the limit is %d", n,
			   ALERT_MAX_BATCH);
		return SIRT_ETOOBIG;
	}
	return 0;
}

const char *alert_severity_name(enum alert_severity s)
{
	return (unsigned)s <= ALERT_SEV_CRITICAL ? severity_names[s] : "medium";
}

int alert_severity_parse(const char *name, enum alert_severity *out)
{
	for (int i = 0; name && i <= ALERT_SEV_CRITICAL; i++)
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum alert_severity)i;
			return 0;
		}
	return SIRT_EINVAL;
}

/*
 * The words monitoring tools put in a "severity" label, case-insensitive:
 *   critical: critical crit page emergency emerg alert fatal disaster p1 sev1
 *   high:     high error err major severe urgent p2 sev2
 *   medium:   medium warning warn moderate average p3 sev3
 *   low:      low minor p4 sev4
 *   info:     info informational information notice debug none ok p5 sev5
 */
int alert_severity_word(const char *word, enum alert_severity *out)
{
	static const struct {
		const char *w;
		enum alert_severity s;
	} words[] = {
		{"critical", ALERT_SEV_CRITICAL}, {"crit", ALERT_SEV_CRITICAL},
		{"page", ALERT_SEV_CRITICAL},     {"emergency", ALERT_SEV_CRITICAL},
		{"emerg", ALERT_SEV_CRITICAL},    {"alert", ALERT_SEV_CRITICAL},
		{"fatal", ALERT_SEV_CRITICAL},    {"disaster", ALERT_SEV_CRITICAL},
		{"p1", ALERT_SEV_CRITICAL},       {"sev1", ALERT_SEV_CRITICAL},
		{"high", ALERT_SEV_HIGH},         {"error", ALERT_SEV_HIGH},
		{"err", ALERT_SEV_HIGH},          {"major", ALERT_SEV_HIGH},
		{"severe", ALERT_SEV_HIGH},       {"urgent", ALERT_SEV_HIGH},
		{"p2", ALERT_SEV_HIGH},           {"sev2", ALERT_SEV_HIGH},
		{"medium", ALERT_SEV_MEDIUM},     {"warning", ALERT_SEV_MEDIUM},
		{"warn", ALERT_SEV_MEDIUM},       {"moderate", ALERT_SEV_MEDIUM},
		{"average", ALERT_SEV_MEDIUM},    {"p3", ALERT_SEV_MEDIUM},
		{"sev3", ALERT_SEV_MEDIUM},       {"low", ALERT_SEV_LOW},
		{"minor", ALERT_SEV_LOW},         {"p4", ALERT_SEV_LOW},
		{"sev4", ALERT_SEV_LOW},          {"info", ALERT_SEV_INFO},
		{"informational", ALERT_SEV_INFO}, {"information", ALERT_SEV_INFO},
		{"notice", ALERT_SEV_INFO},       {"debug", ALERT_SEV_INFO},
		{"none", ALERT_SEV_INFO},         {"ok", ALERT_SEV_INFO},
		{"p5", ALERT_SEV_INFO},           {"sev5", ALERT_SEV_INFO},
	};
	for (size_t i = 0; word && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(word, words[i].w) == 0) {
			*out = words[i].s;
			return 0;
		}
	return SIRT_EINVAL;
}

const char *alert_status_name(enum alert_status s)
{
	return s == ALERT_RESOLVED ? "resolved" : "firing";
}

const char *alert_entity_kind_name(enum alert_entity_kind k)
{
	return (unsigned)k < ENTITY_KIND_COUNT ? entity_names[k] : "?";
}

int alert_entity_kind_parse(const char *name, enum alert_entity_kind *out)
{
	for (int i = 0; name && i < ENTITY_KIND_COUNT; i++)
		if (strcmp(name, entity_names[i]) == 0) {
			*out = (enum alert_entity_kind)i;
			return 0;
		}
	return SIRT_EINVAL;
}

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static bool has_ctl(const char *s, bool allow_tab)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7f)
			return true;
	return false;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p, n;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
		} else {
			return false;
		}
		unsigned cp = c & (0x3f >> n);
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* RFC 1123 names, plus '_' (seen in real host and service names). */
static bool host_valid(const char *s, bool need_dot)
{
	size_t len = strlen(s);
	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	size_t label = 0, dots = 0;
	bool last_all_digits = true;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			dots++;
			last_all_digits = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		if (label == 0 && c == '-')
			return false;
		if (!(c >= '0' && c <= '9'))
			last_all_digits = false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || s[len - 1] == '-')
		return false;
	if (need_dot && (dots == 0 || last_all_digits))
		return false;
	return true;
}

static bool url_valid(const char *s)
{
	size_t len = strlen(s);
	if (len > ALERT_MAX_URL || has_ctl(s, false) || strchr(s, ' '))
		return false;
	const char *rest;
	if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncasecmp(s, "ftp://", 6) == 0)
		rest = s + 6;
	else
		return false;
	return *rest && *rest != '/' && *rest != '?' && *rest != '#';
}

static bool email_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || at == s || at - s > 64 || strlen(s) > 320)
		return false;
	for (const char *p = s; p < at; p++)
		if (*p == '@' || *p == ' ' || *p == '<' || *p == '>' || *p == ',' ||
		    (unsigned char)*p < 0x21 || *p == 0x7f)
			return false;
	return host_valid(at + 1, true);
}

bool alert_entity_valid(enum alert_entity_kind kind, const char *v)
{
	if (!v || !*v || !utf8_valid(v))
		return false;
	switch (kind) {
	case ENTITY_HOST:
		return host_valid(v, false);
	case ENTITY_IP: {
		unsigned char buf[sizeof(struct in6_addr)];
		return strlen(v) < INET6_ADDRSTRLEN &&
		       (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1);
	}
	case ENTITY_ACCOUNT:
		return strlen(v) <= 256 && !has_ctl(v, false) && strspn(v, " ") < strlen(v);
	case ENTITY_URL:
		return url_valid(v);
	case ENTITY_DOMAIN:
		return host_valid(v, true);
	case ENTITY_FILE_HASH_MD5:
		return is_hex(v, 32);
	case ENTITY_FILE_HASH_SHA1:
		return is_hex(v, 40);
	case ENTITY_FILE_HASH_SHA256:
		return is_hex(v, 64);
	case ENTITY_FILE_NAME:
		return strlen(v) <= 1024 && !has_ctl(v, false) && strspn(v, " ") < strlen(v);
	case ENTITY_PROCESS:
		return strlen(v) <= 4096 && !has_ctl(v, true) && strspn(v, " \t") < strlen(v);
	case ENTITY_EMAIL:
	case ENTITY_MAILBOX:
		return email_valid(v);
	case ENTITY_KIND_COUNT:
		break;
	}
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The canonical form of a valid value; the caller frees it. */
static char *normalise(enum alert_entity_kind kind, const char *value)
{
	char *v = xstrdup(value);
	size_t len = strlen(v);
	switch (kind) {
	case ENTITY_HOST:
	case ENTITY_DOMAIN:
		if (len > 1 && v[len - 1] == '.')
			v[len - 1] = '\0';
		lower(v);
		break;
	case ENTITY_IP: {
		unsigned char buf[sizeof(struct in6_addr)];
		char out[INET6_ADDRSTRLEN];
		int af = inet_pton(AF_INET, v, buf) == 1 ? AF_INET : AF_INET6;
		if (inet_pton(af, v, buf) == 1 && inet_ntop(af, buf, out, sizeof(out))) {
			free(v);
			v = xstrdup(out);
		}
		break;
	}
	case ENTITY_FILE_HASH_MD5:
	case ENTITY_FILE_HASH_SHA1:
	case ENTITY_FILE_HASH_SHA256:
		lower(v);
		break;
	case ENTITY_EMAIL:
	case ENTITY_MAILBOX:
		lower(strrchr(v, '@'));
		break;
	default:
		break;
	}
	return v;
}

const struct alert_entity *alert_entity_find(const struct alert *a, enum alert_entity_kind kind,
					     const char *value)
{
	if (!alert_entity_valid(kind, value))
		return NULL;
	char *v = normalise(kind, value);
	const struct alert_entity *found = NULL;
	for (size_t i = 0; i < a->n_entities && !found; i++)
		if (a->entities[i].kind == kind && strcmp(a->entities[i].value, v) == 0)
			found = &a->entities[i];
	free(v);
	return found;
}

int alert_entity_add(struct alert *a, enum alert_entity_kind kind, const char *value)
{
	if ((unsigned)kind >= ENTITY_KIND_COUNT || !alert_entity_valid(kind, value))
		return SIRT_EINVAL;
	char *v = normalise(kind, value);
	for (size_t i = 0; i < a->n_entities; i++)
		if (a->entities[i].kind == kind && strcmp(a->entities[i].value, v) == 0) {
			free(v);
			return 0;
		}
	if (a->n_entities >= ALERT_MAX_ENTITIES) {
		free(v);
		return SIRT_ETOOBIG;
	}
	/* grow by doubling: n_entities is a power of two whenever it is full */
	if ((a->n_entities & (a->n_entities - 1)) == 0)
		a->entities = xrealloc(a->entities,
				       (a->n_entities ? a->n_entities * 2 : 1) * sizeof(*a->entities));
	a->entities[a->n_entities].kind = kind;
	a->entities[a->n_entities].value = v;
	a->n_entities++;
	return 0;
}

void alert_entity_try(struct alert *a, enum alert_entity_kind kind, const char *value)
{
	if (value && alert_entity_add(a, kind, value) < 0)
		return; /* best effort: invalid vendor values are left in raw only */
}

void alert_entity_host_or_ip(struct alert *a, const char *value)
{
	if (!value)
		return;
	if (alert_entity_valid(ENTITY_IP, value))
		alert_entity_try(a, ENTITY_IP, value);
	else
		alert_entity_try(a, ENTITY_HOST, value);
}

void alert_entity_account(struct alert *a, const char *domain, const char *user)
{
	if (!user || !*user)
		return;
	if (domain && *domain) {
		struct strbuf sb;
		sb_init(&sb, 1024);
		sb_printf(&sb, "%s\\%s", domain, user);
		if (sb_status(&sb) == 0)
			alert_entity_try(a, ENTITY_ACCOUNT, sb_str(&sb));
		sb_free(&sb);
	} else {
		alert_entity_try(a, ENTITY_ACCOUNT, user);
	}
}

void alert_entity_hash(struct alert *a, const char *value)
{
	if (!value)
		return;
	switch (strlen(value)) {
	case 32:
		alert_entity_try(a, ENTITY_FILE_HASH_MD5, value);
		break;
	case 40:
		alert_entity_try(a, ENTITY_FILE_HASH_SHA1, value);
		break;
	case 64:
		alert_entity_try(a, ENTITY_FILE_HASH_SHA256, value);
		break;
	default:
		break;
	}
}

/* Trimmed copy, cut at max bytes without splitting a UTF-8 sequence. */
static char *copy_text(const char *s, size_t max)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
		       s[len - 1] == '\r'))
		len--;
	if (len > max) {
		len = max;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return xstrndup(s, len);
}

void alert_set_title(struct alert *a, const char *s)
{
	if (!s)
		return;
	free(a->title);
	a->title = copy_text(s, ALERT_MAX_TITLE);
}

void alert_set_description(struct alert *a, const char *s)
{
	if (!s)
		return;
	free(a->description);
	a->description = copy_text(s, ALERT_MAX_DESCRIPTION);
}

void alert_set_link(struct alert *a, const char *s)
{
	if (!s || !url_valid(s) || (strncasecmp(s, "http://", 7) != 0 &&
				    strncasecmp(s, "https://", 8) != 0))
		return;
	free(a->link);
	a->link = xstrdup(s);
}

static int set_id(struct alert *a, char **field, const char *s, const char *name,
		  struct strbuf *err)
{
	if (!s || !*s) {
		alert_errf(err, a->source, "%s: must not be empty", name);
		return SIRT_EINVAL;
	}
	if (strlen(s) > ALERT_MAX_ID) {
		alert_errf(err, a->source, "%s: longer than %d bytes", name, ALERT_MAX_ID);
		return SIRT_EINVAL;
	}
	if (has_ctl(s, false)) {
		alert_errf(err, a->source, "%s: contains control characters", name);
		return SIRT_EINVAL;
	}
	free(*field);
	*field = xstrdup(s);
	return 0;
}

int alert_set_source_id(struct alert *a, const char *s, const char *field, struct strbuf *err)
{
	return set_id(a, &a->source_id, s, field, err);
}

int alert_set_fingerprint(struct alert *a, const char *s, const char *field, struct strbuf *err)
{
	return set_id(a, &a->fingerprint, s, field, err);
}

void alert_label_set(struct alert *a, const char *key, const char *value)
{
	if (key && value)
		json_object_set_new(a->labels, key, json_string(value));
}

void alert_label_join(struct alert *a, const char *key, const json_t *arr)
{
	struct strbuf sb;
	size_t i;
	json_t *v;
	sb_init(&sb, 4096);
	json_array_foreach((json_t *)arr, i, v) {
		if (!json_is_string(v))
			continue;
		if (sb.len)
			sb_putc(&sb, ',');
		sb_puts(&sb, json_string_value(v));
	}
	if (sb_status(&sb) == 0 && sb.len)
		alert_label_set(a, key, sb_str(&sb));
	sb_free(&sb);
}

void alert_annotation_set(struct alert *a, const char *key, json_t *value)
{
	if (key && value)
		json_object_set_new(a->annotations, key, value);
	else
		json_decref(value);
}

int alert_finish(struct alert *a, const char *where, struct strbuf *err)
{
	if (!a->title || !*a->title) {
		alert_errf(err, a->source, "%s%stitle: empty after mapping", where,
			   *where ? ": " : "");
		return SIRT_EINVAL;
	}
	if (!a->description)
		a->description = xstrdup("");
	if (!a->fingerprint) {
		alert_errf(err, a->source, "%s%sno fingerprint could be derived", where,
			   *where ? ": " : "");
		return SIRT_EINVAL;
	}
	if (!a->first_seen)
		a->first_seen = a->starts_at;
	if (!a->last_seen) {
		int64_t t = a->ends_at > a->starts_at ? a->ends_at : a->starts_at;
		a->last_seen = t > a->first_seen ? t : a->first_seen;
	}
	return 0;
}

int alert_time_parse(const char *s, int64_t *out)
{
	char buf[64];
	size_t len = s ? strlen(s) : 0;
	if (len < 19 || len >= sizeof(buf) - 1)
		return SIRT_EINVAL;
	if (strncmp(s, "0001-01-01T00:00:00", 19) == 0) {
		*out = 0;
		return 0;
	}
	memcpy(buf, s, len + 1);
	/* "+hhmm" / "-hhmm" at the end: insert the colon RFC 3339 wants */
	if (len >= 24 && (buf[len - 5] == '+' || buf[len - 5] == '-') &&
	    is_hex(buf + len - 4, 4) && strspn(buf + len - 4, "0123456789") == 4) {
		memmove(buf + len - 1, buf + len - 2, 3);
		buf[len - 2] = ':';
	}
	return time_parse_iso8601(buf, out);
}

enum alert_severity alert_severity_or(const char *word, enum alert_severity dflt)
{
	enum alert_severity s;
	return word && alert_severity_word(word, &s) == 0 ? s : dflt;
}
