#include "auth/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "auth/security.h"
#include "http/http.h"
#include "http/server.h"
#include "util/rand.h"
#include "util/timeutil.h"

static bool is_b64url(const char *s, size_t n);

void session_install(void)
{
	server_session_hook = session_authenticate;
	server_csrf_hook = session_csrf_check;
}

static bool is_b64url(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

void session_generate(char id[SESSION_ID_LEN + 1], unsigned char hash[32])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(id, SESSION_ID_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(hash, (const unsigned char *)id, strlen(id));
	sodium_memzero(raw, sizeof(raw));
}

bool session_id_looks_valid(const char *id)
{
	return is_b64url(id, SESSION_ID_LEN);
}

void session_csrf_token(const char *id, char out[SESSION_ID_LEN + 1])
{
	crypto_hash_sha256_state h;
	unsigned char d[32];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"sirt-csrf:", 10);
	crypto_hash_sha256_update(&h, (const unsigned char *)id, strlen(id));
	crypto_hash_sha256_final(&h, d);
	sodium_bin2base64(out, SESSION_ID_LEN + 1, d, sizeof(d),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool session_token_equal(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t n = strlen(a);
	if (n != strlen(b) || n == 0)
		return false;
	return sodium_memcmp(a, b, n) == 0;
}

bool session_next_ok(const char *next)
{
	if (!next || next[0] != '/' || strlen(next) > 512)
		return false;
	if (next[1] == '/' || next[1] == '\\')
		return false;
	for (const unsigned char *p = (const unsigned char *)next; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	return true;
}

void session_set_cookie(struct req *r, const char *name, const char *value, const char *path,
			int64_t max_age, const char *same_site)
{
	char *c = arena_printf(&r->arena, "%s=%s; Path=%s; HttpOnly; SameSite=%s; Max-Age=%lld%s",
			       name, value ? value : "", path, same_site,
			       value ? (long long)max_age : 0LL, r->tls ? "; Secure" : "");
	resp_header(r, "Set-Cookie", c);
}

int session_authenticate(struct req *r)
{
	const char *cookie = req_cookie(r, SESSION_COOKIE);
	if (!cookie)
		return SIRT_EAUTH;
	if (!session_id_looks_valid(cookie))
		return SIRT_EAUTH;
	struct db *db = store_reader(r->app->store);
	if (!db)
		return SIRT_EUNAVAIL;
	unsigned char hash[32];
	crypto_hash_sha256(hash, (const unsigned char *)cookie, strlen(cookie));
	int64_t now = time_now();
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT s.id, s.uid, s.user_id, s.org_id, s.last_seen_at, s.expires_at,"
			  " s.revoked_at, u.uid, u.email, u.display_name, u.time_zone, u.disabled,"
			  " u.superadmin, m.role, m.expires_at, o.uid, o.name, s.id_hash"
			  " FROM sessions s JOIN users u ON u.id = s.user_id"
			  " JOIN orgs o ON o.id = s.org_id"
			  " LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id"
			  " WHERE s.id_hash = $1",
			  1, DBV(DB_BLOB(hash, sizeof(hash))));
	if (rc < 0)
		return db_is_broken(db) ? SIRT_EUNAVAIL : rc;
	if (!db_next(q)) {
		db_res_free(q);
		return SIRT_EAUTH;
	}
	size_t hl;
	const void *stored = db_blob(q, 17, &hl);
	if (hl != sizeof(hash) || sodium_memcmp(stored, hash, sizeof(hash)) != 0) {
		db_res_free(q);
		return SIRT_EAUTH;
	}
	int64_t sid = db_int(q, 0), org_id = db_int(q, 3), last = db_int(q, 4);
	int64_t idle = r->app->cfg.session_idle > 0 ? r->app->cfg.session_idle : 3600;
	const char *why = NULL;
	const char *event = NULL;
	if (!db_isnull(q, 6))
		why = "revoked";
	else if (db_int(q, 5) <= now)
		why = "expired";
	else if (last + idle <= now)
		why = "idle";
	else if (db_int(q, 11)) {
		why = "the account is disabled";
		event = "security.disabled_user_access";
	} else if (db_isnull(q, 13)) {
		why = "no longer a member of the organisation";
	} else if (!db_isnull(q, 14) && db_int(q, 14) <= now) {
		why = "access to the organisation has expired";
		event = "security.expired_access";
	}
	if (why) {
		char suid[37];
		snprintf(suid, sizeof(suid), "%s", db_text(q, 1));
		const char *email = arena_strdup(&r->arena, db_text(q, 8));
		db_res_free(q);
		if (event) {
			r->who.actor = arena_printf(&r->arena, "user:%s", email);
			json_t *d = json_pack("{s:s, s:s, s:s}", "session", suid, "email", email,
					      "reason", why);
			security_event(r, org_id, event, d);
			json_decref(d);
			r->who.actor = NULL;
		}
		return SIRT_EAUTH;
	}
	struct principal *w = &r->who;
	memset(w, 0, sizeof(*w));
	w->user_id = db_int(q, 2);
	w->org_id = org_id;
	w->session_uid = arena_strdup(&r->arena, db_text(q, 1));
	w->user_uid = arena_strdup(&r->arena, db_text(q, 7));
	w->email = arena_strdup(&r->arena, db_text(q, 8));
	w->display_name = arena_strdup(&r->arena, db_text(q, 9));
	w->time_zone = arena_strdup(&r->arena, db_text(q, 10));
	w->superadmin = db_int(q, 12) != 0;
	w->role = role_parse(db_text(q, 13));
	w->org_uid = arena_strdup(&r->arena, db_text(q, 15));
	w->org_name = arena_strdup(&r->arena, db_text(q, 16));
	w->scope = SCOPE_SESSION;
	w->actor = arena_printf(&r->arena, "user:%s", w->email);
	char *csrf = arena_alloc(&r->arena, SESSION_ID_LEN + 1);
	session_csrf_token(cookie, csrf);
	w->csrf = csrf;
	r->csrf_token = csrf; /* for the forms of web pages (web_base_model) */
	db_res_free(q);
	/* Written without waiting (store_touch), like a token's last use:
	 * often enough that the idle timeout is honoured to within a minute. */
	int64_t step = idle / 4 < 60 ? idle / 4 : 60;
	if (now - last >= step)
		store_touch(r->app->store, "UPDATE sessions SET last_seen_at = $2 WHERE id = $1", sid,
			    now);
	return 0;
}

int session_csrf_check(struct req *r)
{
	const char *sent = req_header(r, "X-CSRF-Token");
	/* multipart page routes put their text fields in the same form (see
	 * src/web/multipart.h) */
	if (!sent && r->route && (r->route->body == BODY_FORM || r->route->body == BODY_MULTIPART))
		sent = req_form(r, "csrf");
	if (r->who.csrf && session_token_equal(sent, r->who.csrf))
		return 0;
	json_t *d = json_pack("{s:s, s:b}", "session", r->who.session_uid ? r->who.session_uid : "",
			      "token_sent", sent != NULL && *sent);
	security_event(r, r->who.org_id, "security.csrf_failed", d);
	json_decref(d);
	return SIRT_EPERM;
}

int session_create(struct db *db, const struct audit_ctx *ac, const struct session_new *s,
		   char id_out[SESSION_ID_LEN + 1], char uid_out[37])
{
	unsigned char hash[32];
	session_generate(id_out, hash);
	rand_uuid(uid_out);
	int64_t now = time_now();
	int rc = db_exec(db,
			 "INSERT INTO sessions(uid, id_hash, user_id, org_id, created_at, last_seen_at,"
			 " expires_at, client_addr, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
			 8,
			 DBV(DB_TEXT(uid_out), DB_BLOB(hash, sizeof(hash)), DB_INT(s->user_id),
			     DB_INT(s->org_id), DB_INT(now), DB_INT(now + s->max_age),
			     DB_TEXT(s->client_addr ? s->client_addr : ""),
			     DB_TEXT(s->user_agent ? s->user_agent : "")));
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s}", "user_agent", s->user_agent ? s->user_agent : "");
	rc = audit_append(db, ac, s->org_id, "session.login", "session", uid_out, d);
	json_decref(d);
	return rc;
}

int session_revoke(struct db *db, const struct audit_ctx *ac, int64_t org_id, int64_t user_id,
		   const char *uid, const char *why)
{
	int rc = db_exec(db,
			 "UPDATE sessions SET revoked_at = $3 WHERE uid = $1 AND user_id = $2"
			 " AND revoked_at IS NULL",
			 3, DBV(DB_TEXT(uid), DB_INT(user_id), DB_INT(time_now())));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) == 0)
		return SIRT_ENOTFOUND;
	json_t *d = json_pack("{s:s}", "reason", why);
	rc = audit_append(db, ac, org_id, strcmp(why, "logout") == 0 ? "session.logout"
								  : "session.revoke",
			  "session", uid, d);
	json_decref(d);
	return rc;
}

int session_switch_org(struct db *db, const struct audit_ctx *ac, const char *session_uid,
		       int64_t user_id, int64_t from_org, int64_t to_org)
{
	int rc = db_exec(db,
			 "UPDATE sessions SET org_id = $3 WHERE uid = $1 AND user_id = $2"
			 " AND revoked_at IS NULL",
			 3, DBV(DB_TEXT(session_uid), DB_INT(user_id), DB_INT(to_org)));
	if (rc < 0)
		return rc;
	if (db_last_changes(db) == 0)
		return SIRT_ENOTFOUND;
	rc = audit_append(db, ac, from_org, "session.leave_org", "session", session_uid, NULL);
	if (rc == 0)
		rc = audit_append(db, ac, to_org, "session.enter_org", "session", session_uid, NULL);
	return rc;
}

int session_list(struct db *db, int64_t user_id, const char *current_uid, int64_t idle,
		 int64_t now, json_t **out)
{
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT s.uid, s.created_at, s.last_seen_at, s.expires_at, s.client_addr,"
			  " s.user_agent, o.uid, o.name FROM sessions s JOIN orgs o ON o.id = s.org_id"
			  " WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2"
			  " AND s.last_seen_at > $3 ORDER BY s.created_at DESC, s.id DESC LIMIT 200",
			  3, DBV(DB_INT(user_id), DB_INT(now), DB_INT(now - idle)));
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	while (db_next(q)) {
		char c[ISO8601_LEN], l[ISO8601_LEN], e[ISO8601_LEN];
		time_format_iso8601(db_int(q, 1), c);
		time_format_iso8601(db_int(q, 2), l);
		time_format_iso8601(db_int(q, 3), e);
		const char *uid = db_text(q, 0);
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:b}", "id", uid,
				     "created_at", c, "last_seen_at", l, "expires_at", e,
				     "client_addr", db_text(q, 4), "user_agent", db_text(q, 5), "org",
				     "id", db_text(q, 6), "name", db_text(q, 7), "current",
				     current_uid && strcmp(current_uid, uid) == 0));
	}
	db_res_free(q);
	*out = a;
	return 0;
}
