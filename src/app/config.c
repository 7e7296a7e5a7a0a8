#include "app/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct key {
	const char *name;
	const char *env;
	enum { K_STR, K_INT, K_SIZE } type;
	size_t off;
	long long min, max;
};

#define S(f) offsetof(struct config, f)
static const struct key keys[] = {
	{"db", "SIRT_DB", K_STR, S(db), 0, 0},
	{"listen", "SIRT_LISTEN", K_STR, S(listen), 0, 0},
	{"data-dir", "SIRT_DATA_DIR", K_STR, S(data_dir), 0, 0},
	{"base-url", "SIRT_BASE_URL", K_STR, S(base_url), 0, 0},
	{"access-log", "SIRT_ACCESS_LOG", K_STR, S(access_log), 0, 0},
	{"tls-cert", "SIRT_TLS_CERT", K_STR, S(tls_cert), 0, 0},
	{"tls-key", "SIRT_TLS_KEY", K_STR, S(tls_key), 0, 0},
	{"trusted-proxies", "SIRT_TRUSTED_PROXIES", K_STR, S(trusted_proxies), 0, 0},
	{"blob-store", "SIRT_BLOB_STORE", K_STR, S(blob_store), 0, 0},
	{"threads", "SIRT_THREADS", K_INT, S(threads), 1, 1024},
	{"max-body", "SIRT_MAX_BODY", K_SIZE, S(max_body), 1024, 1LL << 30},
	{"evidence-max", "SIRT_EVIDENCE_MAX", K_SIZE, S(evidence_max), 1024, 1LL << 40},
	{"connection-limit", "SIRT_CONNECTION_LIMIT", K_INT, S(connection_limit), 1, 100000},
	{"per-ip-limit", "SIRT_PER_IP_LIMIT", K_INT, S(per_ip_limit), 0, 100000},
	{"timeout", "SIRT_TIMEOUT", K_INT, S(timeout), 1, 3600},
	{"session-idle", "SIRT_SESSION_IDLE", K_INT, S(session_idle), 1, 30 * 86400},
	{"session-max", "SIRT_SESSION_MAX", K_INT, S(session_max), 60, 366 * 86400},
	{"audit-key", "SIRT_AUDIT_KEY", K_STR, S(audit_key), 0, 0},
	{"notify-key-file", "SIRT_NOTIFY_KEY_FILE", K_STR, S(notify_key_file), 0, 0},
	{"notify-allow", "SIRT_NOTIFY_ALLOW", K_STR, S(notify_allow), 0, 0},
	{"notify-max-attempts", "SIRT_NOTIFY_MAX_ATTEMPTS", K_INT, S(notify_max_attempts), 1, 100},
	{"notify-retry-base", "SIRT_NOTIFY_RETRY_BASE", K_INT, S(notify_retry_base), 1, 86400},
	{"notify-retry-max", "SIRT_NOTIFY_RETRY_MAX", K_INT, S(notify_retry_max), 1, 604800},
};
#undef S

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen = xstrdup("127.0.0.1:8080");
	c->data_dir = xstrdup("data");
	c->access_log = xstrdup("stderr");
	c->blob_store = xstrdup("fs");
	c->threads = 64;
	c->max_body = 1 << 20;
	c->evidence_max = (size_t)100 << 20;
	c->connection_limit = 1024;
	c->per_ip_limit = 0;
	c->timeout = 30;
	c->session_idle = 3600;      /* 1 hour without a request */
	c->session_max = 12 * 3600;  /* 12 hours after sign-in */
	c->notify_max_attempts = 8;
	c->notify_retry_base = 30;
	c->notify_retry_max = 3600;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].type == K_STR) {
			char **p = (char **)((char *)c + keys[i].off);
			free(*p);
			*p = NULL;
		}
}

int config_set(struct config *c, const char *key, const char *value, const char **why)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		if (strcmp(k->name, key) != 0)
			continue;
		void *field = (char *)c + k->off;
		if (k->type == K_STR) {
			if (strcmp(k->name, "blob-store") == 0 && strcmp(value, "fs") != 0 &&
			    strcmp(value, "db") != 0) {
				*why = "must be fs or db";
				return SIRT_EINVAL;
			}
			free(*(char **)field);
			*(char **)field = xstrdup(value);
			return 0;
		}
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (k->type == K_SIZE && end != value) {
			if (*end == 'k' || *end == 'K')
				v *= 1024, end++;
			else if (*end == 'M')
				v *= 1024 * 1024, end++;
			else if (*end == 'G')
				v *= 1024LL * 1024 * 1024, end++;
		}
		if (errno || end == value || *end || v < k->min || v > k->max) {
			*why = "must be a number in range";
			return SIRT_EINVAL;
		}
		if (k->type == K_INT)
			*(int *)field = (int)v;
		else
			*(size_t *)field = (size_t)v;
		return 0;
	}
	*why = "unknown setting";
	return SIRT_EINVAL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SIRT_EIO;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = SIRT_EINVAL;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			rc = SIRT_EINVAL;
			break;
		}
		*eq = '\0';
		const char *why;
		char *k = trim(s), *v = trim(eq + 1);
		if (config_set(c, k, v, &why) < 0) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, k, why);
			rc = SIRT_EINVAL;
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_load_env(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = getenv(keys[i].env);
		const char *why;
		if (v && *v && config_set(c, keys[i].name, v, &why) < 0) {
			snprintf(err, errlen, "%s: %s", keys[i].env, why);
			return SIRT_EINVAL;
		}
	}
	return 0;
}

int config_split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return SIRT_EINVAL;
	const char *h = listen;
	size_t hl = (size_t)(colon - listen);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen)
		return SIRT_EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return SIRT_EINVAL;
	*port = (int)p;
	return 0;
}
