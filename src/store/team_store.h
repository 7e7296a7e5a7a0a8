/*
 * The incident response team in the database (tables in migration 0031):
 * members and IR roles, user-defined roles, training records, contact
 * verification links and on-call rotations with overrides.
 *
 * Writes run inside store_tx and report a refused write through struct
 * plan_err (status, sentence, field errors), like plan_store.h. Members are
 * named by uid in the API; a member of another organisation is not found.
 */
#ifndef SIRT_TEAM_STORE_H
#define SIRT_TEAM_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "store/plan_store.h"

#define TRAINING_DEFAULT_MONTHS 12
#define VERIFY_TTL_DAYS 14

/* Built-in role keys are plan_builtin_roles (core/plan_doc.h). */
bool team_role_exists(struct db *db, int64_t org_id, const char *key);
int team_roles_list(struct db *db, int64_t org_id, json_t **items) WUR;
int team_role_create(struct db *db, const struct audit_ctx *ac, int64_t org_id, json_t *body,
		     json_t **out, struct plan_err *err) WUR;

/* body: validated fields of a member (name, user, email, phone, ooh_phone,
 * chat_handle, time_zone, roles, deputy, active); uid NULL creates. */
int team_member_save(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *uid,
		     int64_t expect_version, json_t *body, json_t **out, struct plan_err *err) WUR;
int team_member_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
int team_member_list(struct db *db, int64_t org_id, bool include_inactive, json_t **items) WUR;

/* completed_on / expires_on are midnight UTC of their dates (expires_on 0:
 * completed_on + 12 months). */
int team_training_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      const char *member_uid, json_t *body, int64_t completed_on,
		      int64_t expires_on, json_t **out, struct plan_err *err) WUR;
int team_training_list(struct db *db, int64_t org_id, const char *member_uid,
		       json_t **items) WUR;
/* Active members whose training is missing, expired or expiring within 30 days of now. */
int team_training_gaps(struct db *db, int64_t org_id, int64_t now, json_t **out) WUR;

/* Creates a one-time link; *out gets {link, token, expires_at}. The token is
 * shown once; only its SHA-256 is stored. */
int team_verify_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *member_uid, json_t **out, struct plan_err *err) WUR;
/* What the link shows (GET /verify/{token}). */
int team_verify_show(struct db *db, const char *token, int64_t now, json_t **out,
		     struct plan_err *err) WUR;
/* Records the answer: "confirmed" or "correction" with text. */
int team_verify_answer(struct db *db, const char *token, const char *answer,
		       const char *correction, const char *client_addr, const char *request_id,
		       int64_t now, json_t **out, struct plan_err *err) WUR;

/* ---- on-call ---- */
/* body: {role, name, time_zone, layers}; uid NULL creates, else replaces. */
int oncall_rotation_save(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *uid, json_t *body, json_t **out, struct plan_err *err) WUR;
int oncall_rotation_list(struct db *db, int64_t org_id, json_t **items) WUR;
int oncall_rotation_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
int oncall_override_add(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			const char *rotation_uid, const char *member_uid, int64_t starts_at,
			int64_t ends_at, const char *reason, json_t **out,
			struct plan_err *err) WUR;
int oncall_override_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			   const char *rotation_uid, const char *override_uid,
			   struct plan_err *err) WUR;
/* Who is on call for each role at time t. */
int oncall_now(struct db *db, int64_t org_id, int64_t t, json_t **out) WUR;

#endif
