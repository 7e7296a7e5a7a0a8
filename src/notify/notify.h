/*
 * Notifications: process-wide settings, channel secrets, the outbound
 * network guard and the delivery of one message over one channel.
 *
 * Settings are read once from the configuration (notify_init) and are then
 * immutable, so every thread may read them without a lock. The channel key
 * (32 bytes for libsodium secretbox) lives in a file of mode 0600: the
 * configured notify-key-file, else DATA_DIR/notify.key, created on first
 * use. Every sirt node on one database needs the same key file.
 *
 * See docs/notifications.md for the user-facing description; outbox.h for
 * how other modules queue a message; worker.h for the delivery loop.
 */
#ifndef SIRT_NOTIFY_H
#define SIRT_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/config.h"
#include "util/err.h"
#include "util/strbuf.h"

#define NOTIFY_MAX_ALLOW 64
#define NOTIFY_LEASE_SECONDS 300
#define NOTIFY_CONNECT_TIMEOUT 10
#define NOTIFY_TOTAL_TIMEOUT 30

struct notify_cidr {
	int family;            /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};

struct notify_settings {
	unsigned char key[32];
	bool have_key;
	char key_path[1024];
	struct notify_cidr allow[NOTIFY_MAX_ALLOW];
	size_t nallow;
	int max_attempts;
	int retry_base;
	int retry_max;
	char base_url[512];
	char node[96];         /* "host:pid:random", names this process in leases */
};

/* Reads the settings from cfg once per process (later calls return the same
 * settings). The key file is only opened when a secret is first sealed or
 * opened. SIRT_EINVAL with *why on a bad notify-allow list. */
int notify_init(const struct config *cfg, const char **why) WUR;
const struct notify_settings *notify_settings(void);
bool notify_settings_ready(void);

/* ---- secrets at rest (secret.c) ---- */
/* Seals plaintext; *out is xmalloc'd: version byte, nonce, box. */
int notify_seal(const char *plain, size_t len, unsigned char **out, size_t *outlen,
		const char **why) WUR;
/* Opens a sealed blob; *out is a NUL-terminated xmalloc'd string (caller
 * wipes and frees it with notify_secret_free). */
int notify_open(const void *sealed, size_t len, char **out, const char **why) WUR;
void notify_secret_free(char *s);

/* ---- the outbound guard (netguard.c) ---- */
/* Parses "10.0.0.0/8, ::1/128, 127.0.0.1" (a bare address is a host). */
int notify_cidr_parse_list(const char *s, struct notify_cidr *out, size_t max, size_t *n,
			   const char **why) WUR;
bool notify_cidr_contains(const struct notify_cidr *c, int family, const unsigned char *addr);
/* True for addresses no notification may reach unless allowed: private,
 * loopback, link-local, unspecified, CGNAT, multicast, reserved, and the
 * IPv4-mapped forms of those. */
bool notify_addr_is_internal(int family, const unsigned char *addr);
/* The guard's verdict for one address: NULL when allowed, else why not.
 * plain_http: the request is unencrypted, allowed to admin-allowed targets only. */
const char *notify_addr_check(const struct notify_settings *s, int family,
			      const unsigned char *addr, bool plain_http);

/* ---- delivery (deliver.c) ---- */
struct notify_message {
	const char *uid;        /* outbox row id (stable across attempts) */
	const char *idem_key;
	const char *event;
	const char *subject;
	const char *body;
	const char *payload;    /* JSON object text */
	const char *recipients; /* JSON array of addresses, or NULL: the channel's */
	const char *incident_uid;   /* may be NULL */
	const char *incident_key;   /* may be NULL */
	const char *org_name;
	int64_t created_at;
};

struct notify_channel {
	const char *uid;
	const char *name;
	const char *kind;       /* email, teams, slack, webhook */
	json_t *config;         /* borrowed */
	json_t *secrets;        /* borrowed, opened; may be NULL */
};

struct notify_result {
	bool ok;
	bool permanent;         /* do not retry (4xx, bad configuration) */
	long status;            /* HTTP or SMTP reply code, 0 if none */
	char error[256];
};

/* Delivers synchronously (timeouts NOTIFY_*_TIMEOUT). Never blocks longer. */
void notify_deliver(const struct notify_settings *s, const struct notify_channel *ch,
		    const struct notify_message *m, struct notify_result *res);

/* ---- bodies (payload.c), pure and unit-tested ---- */
/* The generic webhook body (compact JSON). */
char *notify_webhook_body(const struct notify_message *m, const char *base_url);
char *notify_slack_body(const struct notify_message *m, const char *base_url);
char *notify_teams_body(const struct notify_message *m, const char *base_url);
/* "v1=" + hex HMAC-SHA-256(secret, timestamp "." body). out: 3 + 64 + 1. */
void notify_sign(const char *secret, size_t secret_len, const char *timestamp, const char *body,
		 size_t body_len, char out[68]);

/* ---- channel configuration (channel.c) ---- */
/* Validates a channel's kind, config and secrets as given to the API; on
 * failure adds field errors to *errors and returns SIRT_EINVAL. secrets may
 * be NULL when updating (the stored ones stay). */
int notify_channel_check(const char *kind, json_t *config, json_t *secrets, bool creating,
			 json_t **errors);
/* Whether an event name matches a channel's list of patterns ("*",
 * "clock.*", "incident.created"). */
bool notify_event_matches(json_t *patterns, const char *event);

#endif
