/*
 * API tokens: "sirt_" + 43 base64url characters (256 random bits). Only the
 * SHA-256 of a token is stored; a request's token is hashed once (fast) and
 * looked up by that hash. The slow Argon2id hash is for passwords only.
 */
#ifndef SIRT_TOKEN_H
#define SIRT_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "audit/audit.h"
#include "auth/perm.h"
#include "store/db.h"
#include "util/arena.h"

#define TOKEN_PREFIX "sirt_"
#define TOKEN_LEN 48 /* prefix + 43 chars */

/* Who is making a request, as established by authentication. */
struct principal {
	int64_t user_id;
	int64_t org_id;
	const char *user_uid;
	const char *email;
	const char *display_name;
	const char *time_zone;
	const char *org_uid;
	const char *org_name;
	enum role role;
	enum scope scope;
	int64_t token_id;   /* 0 unless authenticated by token */
	const char *token_uid;
	const char *session_uid;  /* set for web sessions */
	const char *csrf;   /* the session's CSRF token (web sessions only) */
	const char *actor;  /* audit actor string */
	bool superadmin;    /* installation administrator (may create organisations) */
	int64_t touch_at;   /* token_authenticate: last use to record (store_touch), 0 = none */
};

/* Fills out[TOKEN_LEN+1] with a new token and hash[32] with its SHA-256. */
void token_generate(char out[TOKEN_LEN + 1], unsigned char hash[32]);
bool token_looks_valid(const char *tok);

/*
 * Finds the principal for a bearer token; SIRT_EAUTH with a reason in
 * *why for unknown, revoked, expired tokens, disabled users and expired
 * memberships. Updates last_used_at at most once a minute. When the token
 * exists but is refused, out->org_id, token_uid and email are still filled
 * in (for the security event); out->token_id stays 0.
 */
int token_authenticate(struct db *db, struct arena *a, const char *tok, int64_t now,
		       struct principal *out, const char **why) WUR;

struct token_new {
	int64_t org_id;
	int64_t user_id;
	const char *name;
	enum scope scope;
	int64_t expires_at; /* 0 = never */
};

/* Inserts a token row inside the caller's transaction; writes the token text. */
int token_insert(struct db *db, const struct token_new *t, char out[TOKEN_LEN + 1],
		 char uid_out[37]) WUR;

/* Tokens of an organisation as JSON (never the secret): all of them when
 * user_id is 0, else the user's. Newest first, keyset on id (before 0 =
 * first page). */
int token_list(struct db *db, int64_t org_id, int64_t user_id, int64_t before, int limit,
	       json_t **items, int64_t *next) WUR;
/* Revokes a token of org_id (and of user_id unless 0); SIRT_ENOTFOUND if no
 * such token is visible; SIRT_ECONFLICT if already revoked. Audited. */
int token_revoke(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		 const char *uid) WUR;

#endif
