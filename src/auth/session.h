/*
 * Web sessions.
 *
 * A session id is 256 random bits sent as the cookie "sirt_session" (43
 * base64url characters; HttpOnly, SameSite=Lax, Path=/, Secure when the
 * request came over TLS). The database keeps only its SHA-256 (sessions
 * table) and a public uid by which the user lists and revokes sessions.
 *
 * A session ends at the first of: logout, revocation (by the user, by
 * disabling the account, by removing the membership), idle timeout (no
 * request for cfg.session_idle seconds) and absolute timeout
 * (cfg.session_max seconds after sign-in). Each request also re-checks
 * that the account is enabled and the membership in the session's current
 * organisation exists and has not expired (auditors).
 *
 * CSRF: the token of a session is base64url(SHA-256("sirt-csrf:" || id)),
 * so it needs no storage and cannot be computed without the cookie. Every
 * state-changing request authenticated by the cookie must carry it in the
 * form field "csrf" or the header X-CSRF-Token. The sign-in form, which has
 * no session yet, uses a double-submit cookie ("sirt_login_csrf").
 */
#ifndef SIRT_SESSION_H
#define SIRT_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/err.h"

#define SESSION_COOKIE "sirt_session"
#define LOGIN_CSRF_COOKIE "sirt_login_csrf"
#define SESSION_ID_LEN 43 /* base64url of 32 bytes, no padding */

struct req;

/* Installs server_session_hook and server_csrf_hook. */
void session_install(void);
/* The hooks (exported for tests and the server). */
int session_authenticate(struct req *r);
int session_csrf_check(struct req *r);

/* A fresh id (text) and its SHA-256. */
void session_generate(char id[SESSION_ID_LEN + 1], unsigned char hash[32]);
bool session_id_looks_valid(const char *id);
/* The CSRF token for a session id (43 chars + NUL). */
void session_csrf_token(const char *id, char out[SESSION_ID_LEN + 1]);
/* Constant-time comparison of two NUL-terminated strings. */
bool session_token_equal(const char *a, const char *b);

/* Whether `next` is a safe place to return to after signing in: a path on
 * this site ("/..."), not "//host" or "/\host", no control characters or
 * backslashes, at most 512 bytes. */
bool session_next_ok(const char *next);

struct session_new {
	int64_t user_id;
	int64_t org_id;
	int64_t max_age;      /* absolute lifetime in seconds */
	const char *client_addr;
	const char *user_agent;
};

/* Inserts a session inside the caller's transaction and audits the login. */
int session_create(struct db *db, const struct audit_ctx *ac, const struct session_new *s,
		   char id_out[SESSION_ID_LEN + 1], char uid_out[37]) WUR;
/* Revokes the user's session uid (SIRT_ENOTFOUND if not theirs). Audited in org_id. */
int session_revoke(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		   const char *uid, const char *why) WUR;
/* Switches the session to another organisation the user belongs to. */
int session_switch_org(struct db *db, const struct audit_ctx *ac, const char *session_uid,
		       int64_t user_id, int64_t from_org, int64_t to_org) WUR;
/* The user's live sessions as JSON, newest first; `current` marks this one. */
int session_list(struct db *db, int64_t user_id, const char *current_uid, int64_t idle,
		 int64_t now, json_t **out) WUR;

/* Set-Cookie for the session (value NULL clears it). */
void session_set_cookie(struct req *r, const char *name, const char *value, const char *path,
			int64_t max_age, const char *same_site);

#endif
