/* Organisations, users and memberships in the database. */
#ifndef SIRT_ACCOUNT_STORE_H
#define SIRT_ACCOUNT_STORE_H

#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

int org_create(struct db *db, const struct audit_ctx *ac, const char *name, int64_t *id_out) WUR;
int org_find(struct db *db, const char *name, int64_t *id_out) WUR;
/* email must already be normalised (lower case); password_hash may be NULL. */
int user_create(struct db *db, const struct audit_ctx *ac, const char *email,
		const char *display_name, const char *password_hash, int64_t *id_out) WUR;
int user_find(struct db *db, const char *email, int64_t *id_out) WUR;
int user_set_password(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		      const char *password_hash) WUR;
int membership_set(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		   const char *role, int64_t expires_at) WUR;

#endif
