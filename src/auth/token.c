#include "auth/token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/rand.h"
#include "util/timeutil.h"

void token_generate(char out[TOKEN_LEN + 1], unsigned char hash[32])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	sodium_bin2base64(out + strlen(TOKEN_PREFIX), TOKEN_LEN + 1 - strlen(TOKEN_PREFIX), raw,
			  sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(hash, (const unsigned char *)out, strlen(out));
	sodium_memzero(raw, sizeof(raw));
}

bool token_looks_valid(const char *tok)
{
	if (!tok || strlen(tok) != TOKEN_LEN || strncmp(tok, TOKEN_PREFIX, 5) != 0)
		return false;
	for (const char *p = tok + 5; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

int token_authenticate(struct db *db, struct arena *a, const char *tok, int64_t now,
		       struct principal *out, const char **why)
{
	*why = "the token is not valid";
	if (!token_looks_valid(tok))
		return SIRT_EAUTH;
	unsigned char hash[32];
	crypto_hash_sha256(hash, (const unsigned char *)tok, strlen(tok));
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT t.id, t.uid, t.org_id, t.user_id, t.scope, t.expires_at,"
			  " t.revoked_at, t.last_used_at, u.uid, u.email, u.display_name,"
			  " u.time_zone, u.disabled, m.role, m.expires_at, o.uid, o.name, t.token_hash,"
			  " u.superadmin"
			  " FROM api_tokens t JOIN users u ON u.id = t.user_id"
			  " JOIN orgs o ON o.id = t.org_id"
			  " LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id"
			  " WHERE t.token_hash = $1",
			  1, DBV(DB_BLOB(hash, sizeof(hash))));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_EAUTH;
	}
	size_t hl;
	const void *stored = db_blob(r, 17, &hl);
	if (hl != sizeof(hash) || sodium_memcmp(stored, hash, sizeof(hash)) != 0) {
		db_res_free(r);
		return SIRT_EAUTH;
	}
	rc = SIRT_EAUTH;
	memset(out, 0, sizeof(*out));
	out->org_id = db_int(r, 2);
	out->token_uid = arena_strdup(a, db_text(r, 1));
	out->email = arena_strdup(a, db_text(r, 9));
	if (!db_isnull(r, 6)) {
		*why = "the token has been revoked";
		goto out;
	}
	if (!db_isnull(r, 5) && db_int(r, 5) <= now) {
		*why = "the token has expired";
		goto out;
	}
	if (db_int(r, 12)) {
		*why = "the token's user is disabled";
		goto out;
	}
	if (db_isnull(r, 13)) {
		*why = "the token's user is no longer a member of the organisation";
		goto out;
	}
	if (!db_isnull(r, 14) && db_int(r, 14) <= now) {
		*why = "the token's user's access to the organisation has expired";
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->token_id = db_int(r, 0);
	out->token_uid = arena_strdup(a, db_text(r, 1));
	out->org_id = db_int(r, 2);
	out->user_id = db_int(r, 3);
	out->scope = scope_parse(db_text(r, 4));
	out->user_uid = arena_strdup(a, db_text(r, 8));
	out->email = arena_strdup(a, db_text(r, 9));
	out->display_name = arena_strdup(a, db_text(r, 10));
	out->time_zone = arena_strdup(a, db_text(r, 11));
	out->role = role_parse(db_text(r, 13));
	out->org_uid = arena_strdup(a, db_text(r, 15));
	out->org_name = arena_strdup(a, db_text(r, 16));
	out->superadmin = db_int(r, 18) != 0;
	out->actor = arena_printf(a, "token:%s(%s)", out->token_uid, out->email);
	int64_t last = db_isnull(r, 7) ? 0 : db_int(r, 7);
	rc = 0;
	db_res_free(r);
	r = NULL;
	/* Informational: the caller records it (store_touch) at most once a minute. */
	if (now - last >= 60)
		out->touch_at = now;
out:
	db_res_free(r);
	return rc;
}

int token_insert(struct db *db, const struct token_new *t, char out[TOKEN_LEN + 1],
		 char uid_out[37])
{
	unsigned char hash[32];
	token_generate(out, hash);
	rand_uuid(uid_out);
	return db_exec(db,
		       "INSERT INTO api_tokens(uid, org_id, user_id, name, scope, token_hash,"
		       " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		       8,
		       DBV(DB_TEXT(uid_out), DB_INT(t->org_id), DB_INT(t->user_id),
			   DB_TEXT(t->name), DB_TEXT(scope_name(t->scope)),
			   DB_BLOB(hash, sizeof(hash)), DB_INT(time_now()),
			   t->expires_at ? DB_INT(t->expires_at) : DB_NULL()));
}

int token_list(struct db *db, int64_t org_id, int64_t user_id, int64_t before, int limit,
	       json_t **items, int64_t *next)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT t.id, t.uid, t.name, t.scope, t.created_at, t.expires_at,"
			  " t.last_used_at, t.revoked_at, u.uid, u.email FROM api_tokens t"
			  " JOIN users u ON u.id = t.user_id WHERE t.org_id = $1"
			  " AND (CAST($2 AS BIGINT) = 0 OR t.user_id = $2) AND (CAST($3 AS BIGINT) = 0 OR t.id < $3)"
			  " ORDER BY t.id DESC LIMIT $4",
			  4, DBV(DB_INT(org_id), DB_INT(user_id), DB_INT(before), DB_INT(limit + 1)));
	if (rc < 0)
		return rc;
	json_t *arr = json_array();
	int n = 0;
	int64_t last = 0;
	*next = 0;
	while (db_next(r)) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		last = db_int(r, 0);
		char ts[ISO8601_LEN];
		time_format_iso8601(db_int(r, 4), ts);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "id", db_text(r, 1),
				      "name", db_text(r, 2), "scope", db_text(r, 3), "created_at", ts,
				      "user", "id", db_text(r, 8), "email", db_text(r, 9));
		static const char *const tcols[] = {"expires_at", "last_used_at", "revoked_at"};
		for (int i = 0; i < 3; i++) {
			if (db_isnull(r, 5 + i)) {
				json_object_set_new(o, tcols[i], json_null());
			} else {
				time_format_iso8601(db_int(r, 5 + i), ts);
				json_object_set_new(o, tcols[i], json_string(ts));
			}
		}
		json_object_set_new(o, "active",
				    json_boolean(db_isnull(r, 7) &&
						 (db_isnull(r, 5) || db_int(r, 5) > time_now())));
		json_array_append_new(arr, o);
	}
	db_res_free(r);
	*items = arr;
	return 0;
}

int token_revoke(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		 const char *uid)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, revoked_at, name FROM api_tokens WHERE uid = $1 AND org_id = $2"
			  " AND (CAST($3 AS BIGINT) = 0 OR user_id = $3)",
			  3, DBV(DB_TEXT(uid), DB_INT(org_id), DB_INT(user_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	int64_t id = db_int(r, 0);
	bool revoked = !db_isnull(r, 1);
	json_t *d = json_pack("{s:s}", "name", db_text(r, 2));
	db_res_free(r);
	if (revoked) {
		json_decref(d);
		return SIRT_ECONFLICT;
	}
	rc = db_exec(db, "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1", 2,
		     DBV(DB_INT(id), DB_INT(time_now())));
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "token.revoke", "token", uid, d);
	json_decref(d);
	return rc;
}
