/*
 * Notification channels and outbox rows in the database. Every function
 * that takes an organisation filters on it: another organisation's channel
 * or message is simply not found. Channel secrets are sealed here (notify.h)
 * and are never part of any JSON this module returns.
 */
#ifndef SIRT_NOTIFY_STORE_H
#define SIRT_NOTIFY_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "notify/notify.h"
#include "store/db.h"

struct channel_input {
	const char *name;     /* NULL: unchanged (update) */
	const char *kind;     /* create only */
	json_t *config;       /* NULL: unchanged */
	json_t *secrets;      /* NULL: unchanged; on update merged into the stored ones */
	json_t *events;       /* NULL: unchanged (create: ["*"]) */
	int enabled;          /* -1: unchanged */
};

/* Validation failures come back as SIRT_EINVAL with *errors (field list);
 * SIRT_ECONFLICT when the name is taken. */
int channel_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		   const struct channel_input *in, json_t **out, json_t **errors) WUR;
int channel_update(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		   int64_t expect_version, const struct channel_input *in, json_t **out,
		   json_t **errors) WUR;
/* Deletes the channel; its pending messages are cancelled, its history kept. */
int channel_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		   const char *uid) WUR;
int channel_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
int channel_list(struct db *db, int64_t org_id, json_t **items) WUR;

/* A channel ready for delivery: config and opened secrets. */
struct channel_full {
	int64_t id;
	char *uid, *name, *kind;
	bool enabled;
	json_t *config, *secrets;
};
int channel_load(struct db *db, int64_t org_id, int64_t id, const char *uid,
		 struct channel_full *out, const char **why) WUR;
void channel_full_free(struct channel_full *c);

/* ---- outbox ---- */
struct outbox_filter {
	const char *status;     /* NULL: any */
	int64_t incident_id;    /* 0: any */
	int64_t cursor_id;      /* 0: first page; newest first */
	int limit;
};
int outbox_list(struct db *db, int64_t org_id, const struct outbox_filter *f, json_t **items,
		int64_t *next_cursor) WUR;
/* One message with every attempt. */
int outbox_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
/* Puts a failed (or pending) message back to be sent now with a fresh
 * attempt budget. SIRT_ECONFLICT when it was sent or cancelled. */
int outbox_retry(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		 json_t **out) WUR;

/* Worker side. Claims up to max due rows for node; ids into out. */
int outbox_claim(struct db *db, const char *node, int64_t now, int max, int64_t *out,
		 int *n) WUR;

struct outbox_work {
	int64_t id, org_id, channel_id, incident_id, created_at;
	int attempts, max_attempts;
	char *uid, *idem_key, *event, *subject, *body, *payload, *recipients;
	char *incident_uid, *incident_key, *org_name, *channel_name, *channel_kind;
};
int outbox_load(struct db *db, int64_t id, struct outbox_work *w) WUR;
void outbox_work_free(struct outbox_work *w);

struct outbox_outcome {
	const char *node;
	int64_t started_at;
	int64_t duration_ms;
	bool ok;
	bool permanent;
	long status;
	const char *error;
	int64_t next_attempt_at; /* used when it will be retried */
};
/* Records an attempt and its effect. *final_status gets the row's status. */
int outbox_record(struct db *db, const struct outbox_work *w, const struct outbox_outcome *o,
		  const char **final_status) WUR;

/* Looks an incident up by its public id; SIRT_ENOTFOUND when not the org's. */
int notify_incident_id(struct db *db, int64_t org_id, const char *uid, int64_t *id) WUR;

#endif
