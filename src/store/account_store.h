/*
 * Organisations, users and memberships in the database. Every function that
 * changes something appends its audit entry in the caller's transaction.
 *
 * Where an event is recorded: organisation-level changes (memberships,
 * tokens) go to that organisation's chain; account-level changes (password,
 * disable, enable) go to the chain of every organisation the account belongs
 * to, or to the installation chain (org 0) when it belongs to none.
 */
#ifndef SIRT_ACCOUNT_STORE_H
#define SIRT_ACCOUNT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"

#define ORG_NAME_MAX 200
#define DISPLAY_NAME_MAX 100
#define TIME_ZONE_MAX 64

struct user_new {
	const char *email;          /* normalised (lower case), validated */
	const char *display_name;   /* may be NULL */
	const char *time_zone;      /* may be NULL (UTC) */
	const char *password_hash;  /* may be NULL: no password sign-in until set */
	bool superadmin;
	int64_t audit_org;          /* the chain that records the creation (0: installation) */
};

/* Creates the organisation (slug derived from the name); uid_out may be NULL. */
int org_create(struct db *db, const struct audit_ctx *ac, const char *name, int64_t *id_out,
	       char uid_out[37]) WUR;
int org_find(struct db *db, const char *name, int64_t *id_out) WUR;
/* Finds by name, slug or uid. */
int org_find_any(struct db *db, const char *key, int64_t *id_out) WUR;
/* [{id, name, slug, role?, created_at}]: all organisations (user_id 0) or the
 * user's memberships with their role. */
int org_list(struct db *db, int64_t user_id, json_t **out) WUR;
/* The slug for a name: lower-case ASCII letters and digits, '-' between. */
void org_slugify(const char *name, char *out, size_t outlen);

int user_create(struct db *db, const struct audit_ctx *ac, const struct user_new *u,
		int64_t *id_out, char uid_out[37]) WUR;
int user_find(struct db *db, const char *email, int64_t *id_out) WUR;
int user_find_uid(struct db *db, const char *uid, int64_t *id_out) WUR;
int user_set_password(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		      const char *password_hash) WUR;
/* Disabling also revokes every session of the user. */
int user_set_disabled(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		      bool disabled) WUR;
/* Updates display name and/or time zone (NULL = unchanged). */
int user_update_profile(struct db *db, const struct audit_ctx *ac, int64_t user_id,
			const char *display_name, const char *time_zone) WUR;
/* Whether every organisation the user belongs to is one the actor administers. */
int user_managed_by(struct db *db, int64_t user_id, int64_t actor_id, bool *yes) WUR;

/* Adds or changes a membership (expires_at 0 = never). */
int membership_set(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		   const char *role, int64_t expires_at) WUR;
/* Removes it and revokes the user's tokens and sessions in that organisation. */
int membership_remove(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		      int64_t user_id) WUR;
/* Active admins of the organisation other than user_id (enabled, not expired). */
int org_other_admins(struct db *db, int64_t org_id, int64_t user_id, int64_t now,
		     int64_t *count) WUR;

/* A member of org_id as JSON {id, email, display_name, time_zone, role,
 * expires_on, disabled, created_at}; SIRT_ENOTFOUND when not a member. */
int member_get(struct db *db, int64_t org_id, const char *uid, json_t **out) WUR;
/* Members by e-mail, keyset on e-mail (after = "" for the first page). */
int member_list(struct db *db, int64_t org_id, const char *after, int limit, json_t **items,
		char **next) WUR;

/* Appends the same entry to every organisation of the user (org 0 if none). */
int audit_user_orgs(struct db *db, const struct audit_ctx *ac, int64_t user_id,
		    const char *action, const char *object_id, json_t *details) WUR;

/* A valid IANA-style zone name that exists in the system's zoneinfo. */
bool time_zone_valid(const char *tz);

#endif
