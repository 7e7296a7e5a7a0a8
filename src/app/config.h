/*
 * Configuration. Precedence, highest first: command-line flags, environment
 * variables (SIRT_*), the config file (--config FILE or SIRT_CONFIG), built-in
 * defaults. The file is "key = value" lines; '#' starts a comment. Keys are
 * the long flag names: db, listen, threads, data-dir, base-url, access-log,
 * max-body, tls-cert, tls-key, trusted-proxies, evidence-max, blob-store, session-idle,
 * session-max, audit-key, notify-key-file, notify-allow, notify-max-attempts,
 * notify-retry-base, notify-retry-max.
 */
#ifndef SIRT_CONFIG_H
#define SIRT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct config {
	char *db;              /* SIRT_DB: sqlite:PATH or postgres://... */
	char *listen;          /* SIRT_LISTEN: HOST:PORT */
	char *data_dir;        /* SIRT_DATA_DIR */
	char *base_url;        /* SIRT_BASE_URL: how users reach this instance */
	char *access_log;      /* SIRT_ACCESS_LOG: "stderr", "off" or a file path */
	char *tls_cert;        /* SIRT_TLS_CERT */
	char *tls_key;         /* SIRT_TLS_KEY */
	char *trusted_proxies; /* SIRT_TRUSTED_PROXIES: comma-separated addresses */
	char *blob_store;      /* SIRT_BLOB_STORE: evidence files in "fs" (data dir) or "db" */
	int threads;           /* SIRT_THREADS */
	size_t max_body;       /* SIRT_MAX_BODY: default JSON body ceiling */
	size_t evidence_max;   /* SIRT_EVIDENCE_MAX: upload ceiling */
	int connection_limit;  /* SIRT_CONNECTION_LIMIT */
	int per_ip_limit;      /* SIRT_PER_IP_LIMIT */
	int timeout;           /* SIRT_TIMEOUT: idle connection timeout, seconds */
	int session_idle;      /* SIRT_SESSION_IDLE: web session idle timeout, seconds */
	int session_max;       /* SIRT_SESSION_MAX: web session absolute lifetime, seconds */
	char *audit_key;       /* SIRT_AUDIT_KEY: Ed25519 checkpoint key file */
	char *notify_key_file; /* SIRT_NOTIFY_KEY_FILE: channel secrets key (default DATA_DIR/notify.key) */
	char *notify_allow;    /* SIRT_NOTIFY_ALLOW: CIDRs outbound notifications may reach despite the SSRF guard */
	int notify_max_attempts; /* SIRT_NOTIFY_MAX_ATTEMPTS: delivery attempts before failed */
	int notify_retry_base; /* SIRT_NOTIFY_RETRY_BASE: first retry delay, seconds */
	int notify_retry_max;  /* SIRT_NOTIFY_RETRY_MAX: longest retry delay, seconds */
};

void config_defaults(struct config *c);
void config_free(struct config *c);
/* Sets one key (long flag name without dashes); SIRT_EINVAL with *why. */
int config_set(struct config *c, const char *key, const char *value, const char **why) WUR;
int config_load_file(struct config *c, const char *path, char *err, size_t errlen) WUR;
int config_load_env(struct config *c, char *err, size_t errlen) WUR;
/* Splits HOST:PORT; ipv6 as [::1]:8080. */
int config_split_listen(const char *listen, char *host, size_t hostlen, int *port) WUR;

#endif
