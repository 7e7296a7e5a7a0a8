#include "store/alert_store.h"
#include "core/category.h"
#include "store/db_json.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alert.h"
#include "api/validate.h"
#include "util/rand.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static json_t *time_json(const struct db_res *r, int col);
static json_t *json_col(const struct db_res *r, int col, const char *fallback);
static json_t *source_row(const struct db_res *r);
static json_t *rule_row(const struct db_res *r);
static void new_secret(char out[INTAKE_SECRET_LEN + 1], char hash[65]);
static int rule_fields(const json_t *in, bool creating, struct intake_rule *r, int64_t *position,
		       int *enabled, char *err, size_t errlen);

static json_t *time_json(const struct db_res *r, int col)
{
	if (db_isnull(r, col))
		return json_null();
	char buf[ISO8601_LEN];
	time_format_iso8601(db_int(r, col), buf);
	return json_string(buf);
}

/* A JSON text column parsed; fallback when NULL or unparsable. */
static json_t *json_col(const struct db_res *r, int col, const char *fallback)
{
	const char *s = db_text(r, col);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;
	return j ? j : json_loads(fallback, JSON_DECODE_ANY, NULL);
}

static json_t *text_or_null(const struct db_res *r, int col)
{
	const char *s = db_text(r, col);
	return s ? json_string(s) : json_null();
}

bool intake_source_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n >= 1 && n <= 100 && text_is_single_line(name) && strspn(name, " ") != n;
}

/* ---- intake sources ---- */

#define SOURCE_COLS                                                                      \
	"uid, name, kind, enabled, created_at, created_by, rotated_at, last_used_at"

static json_t *source_row(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 0)));
	json_object_set_new(o, "name", json_string(db_text(r, 1)));
	json_object_set_new(o, "kind", json_string(db_text(r, 2)));
	json_object_set_new(o, "enabled", json_boolean(db_int(r, 3) != 0));
	json_object_set_new(o, "created_at", time_json(r, 4));
	json_object_set_new(o, "created_by", json_string(db_text(r, 5)));
	json_object_set_new(o, "rotated_at", time_json(r, 6));
	json_object_set_new(o, "last_used_at", time_json(r, 7));
	json_object_set_new(o, "url",
			    json_sprintf("/api/v1/intake/%s", db_text(r, 2)));
	return o;
}

static void new_secret(char out[INTAKE_SECRET_LEN + 1], char hash[65])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	size_t pl = strlen(INTAKE_SECRET_PREFIX);
	memcpy(out, INTAKE_SECRET_PREFIX, pl);
	sodium_bin2base64(out + pl, INTAKE_SECRET_LEN + 1 - pl, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	sha256_hex(hash, out, strlen(out));
}

int intake_source_get(struct db *db, int64_t org_id, const char *ref, json_t **out)
{
	return db_query_one_json(db, source_row, out,
				 "SELECT " SOURCE_COLS " FROM intake_sources WHERE org_id = $1"
				 " AND deleted_at IS NULL AND (uid = $2 OR name = $2)",
				 2, DBV(DB_INT(org_id), DB_TEXT(ref)));
}

int intake_source_list(struct db *db, int64_t org_id, json_t **out)
{
	return db_query_all_json(db, source_row, out,
				 "SELECT " SOURCE_COLS " FROM intake_sources WHERE org_id = $1"
				 " AND deleted_at IS NULL ORDER BY name",
				 1, DBV(DB_INT(org_id)));
}

static int name_taken(struct db *db, int64_t org_id, const char *name, const char *except_uid,
		      bool *taken)
{
	int64_t n = 0;
	int rc = db_query_int(db, &n,
			      "SELECT count(*) FROM intake_sources WHERE org_id = $1 AND name = $2"
			      " AND deleted_at IS NULL AND uid <> $3",
			      3, DBV(DB_INT(org_id), DB_TEXT(name), DB_TEXT(except_uid)));
	*taken = n > 0;
	return rc;
}

int intake_source_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *name, const char *kind, const char *created_by, json_t **out)
{
	if (!intake_source_name_valid(name) || !alert_source_valid(kind))
		return SIRT_EINVAL;
	bool taken;
	int rc = name_taken(db, org_id, name, "", &taken);
	if (rc < 0)
		return rc;
	if (taken)
		return SIRT_ECONFLICT;
	char secret[INTAKE_SECRET_LEN + 1], hash[65], uid[37];
	new_secret(secret, hash);
	rand_uuid(uid);
	rc = db_exec(db,
		     "INSERT INTO intake_sources(uid, org_id, name, kind, secret_hash, enabled,"
		     " created_at, created_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
		     7,
		     DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(name), DB_TEXT(kind), DB_TEXT(hash),
			 DB_INT(time_now()), DB_TEXT(created_by ? created_by : "")));
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "name", name, "kind", kind);
	rc = audit_append(db, ac, org_id, "intake_source.create", "intake_source", uid, d);
	json_decref(d);
	if (rc < 0)
		return rc;
	rc = intake_source_get(db, org_id, uid, out);
	if (rc < 0)
		return rc;
	json_object_set_new(*out, "secret", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

int intake_source_rotate(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref, json_t **out)
{
	json_t *cur;
	int rc = intake_source_get(db, org_id, ref, &cur);
	if (rc < 0)
		return rc;
	const char *uid = json_string_value(json_object_get(cur, "id"));
	char secret[INTAKE_SECRET_LEN + 1], hash[65];
	new_secret(secret, hash);
	rc = db_exec(db,
		     "UPDATE intake_sources SET secret_hash = $3, rotated_at = $4"
		     " WHERE org_id = $1 AND uid = $2",
		     4, DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(hash), DB_INT(time_now())));
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "intake_source.rotate", "intake_source", uid,
				  NULL);
	if (rc == 0)
		rc = intake_source_get(db, org_id, uid, out);
	json_decref(cur);
	if (rc < 0)
		return rc;
	json_object_set_new(*out, "secret", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

int intake_source_update(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref, const char *name, int enabled, json_t **out)
{
	json_t *cur;
	int rc = intake_source_get(db, org_id, ref, &cur);
	if (rc < 0)
		return rc;
	char *uid = xstrdup(json_string_value(json_object_get(cur, "id")));
	json_decref(cur);
	json_t *d = json_object();
	if (name) {
		bool taken;
		rc = name_taken(db, org_id, name, uid, &taken);
		if (rc == 0 && taken)
			rc = SIRT_ECONFLICT;
		if (rc == 0)
			rc = db_exec(db, "UPDATE intake_sources SET name = $3 WHERE org_id = $1 AND uid = $2",
				     3, DBV(DB_INT(org_id), DB_TEXT(uid), DB_TEXT(name)));
		json_object_set_new(d, "name", json_string(name));
	}
	if (rc == 0 && enabled >= 0) {
		rc = db_exec(db, "UPDATE intake_sources SET enabled = $3 WHERE org_id = $1 AND uid = $2",
			     3, DBV(DB_INT(org_id), DB_TEXT(uid), DB_INT(enabled ? 1 : 0)));
		json_object_set_new(d, "enabled", json_boolean(enabled));
	}
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "intake_source.update", "intake_source", uid, d);
	if (rc == 0)
		rc = intake_source_get(db, org_id, uid, out);
	json_decref(d);
	free(uid);
	return rc;
}

int intake_source_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			 const char *ref)
{
	json_t *cur;
	int rc = intake_source_get(db, org_id, ref, &cur);
	if (rc < 0)
		return rc;
	char *uid = xstrdup(json_string_value(json_object_get(cur, "id")));
	json_decref(cur);
	/* The secret hash becomes unguessable: a deleted source never authenticates. */
	char dead[65];
	rand_hex(dead, 32);
	rc = db_exec(db,
		     "UPDATE intake_sources SET deleted_at = $3, enabled = 0, secret_hash = $4"
		     " WHERE org_id = $1 AND uid = $2",
		     4, DBV(DB_INT(org_id), DB_TEXT(uid), DB_INT(time_now()), DB_TEXT(dead)));
	if (rc == 0)
		rc = audit_append(db, ac, org_id, "intake_source.delete", "intake_source", uid,
				  NULL);
	free(uid);
	return rc;
}

int intake_source_authenticate(struct db *db, const char *secret, struct intake_source_auth *out)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n != INTAKE_SECRET_LEN || strncmp(secret, INTAKE_SECRET_PREFIX,
					      strlen(INTAKE_SECRET_PREFIX)) != 0)
		return SIRT_EAUTH;
	char hash[65];
	sha256_hex(hash, secret, n);
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, org_id, uid, kind, name, enabled, secret_hash, last_used_at"
			  " FROM intake_sources WHERE secret_hash = $1 AND deleted_at IS NULL",
			  1, DBV(DB_TEXT(hash)));
	if (rc < 0)
		return rc;
	rc = SIRT_EAUTH;
	if (db_next(r)) {
		const char *stored = db_text(r, 6);
		if (stored && strlen(stored) == 64 && sodium_memcmp(stored, hash, 64) == 0) {
			out->id = db_int(r, 0);
			out->org_id = db_int(r, 1);
			snprintf(out->uid, sizeof(out->uid), "%s", db_text(r, 2));
			snprintf(out->kind, sizeof(out->kind), "%s", db_text(r, 3));
			snprintf(out->name, sizeof(out->name), "%s", db_text(r, 4));
			out->enabled = db_int(r, 5) != 0;
			out->last_used_at = db_isnull(r, 7) ? 0 : db_int(r, 7);
			rc = 0;
		}
	}
	db_res_free(r);
	return rc;
}

/* ---- routing rules ---- */

#define RULE_COLS                                                                         \
	"id, uid, name, position, enabled, match, action, category, severity, group_by,"   \
	" group_window, resolve_note, created_at, updated_at, version"

static json_t *rule_row(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(db_text(r, 1)));
	json_object_set_new(o, "name", json_string(db_text(r, 2)));
	json_object_set_new(o, "position", json_integer(db_int(r, 3)));
	json_object_set_new(o, "enabled", json_boolean(db_int(r, 4) != 0));
	json_object_set_new(o, "match", json_col(r, 5, "{}"));
	json_object_set_new(o, "action", json_string(db_text(r, 6)));
	json_object_set_new(o, "category", text_or_null(r, 7));
	json_object_set_new(o, "severity", text_or_null(r, 8));
	json_object_set_new(o, "group_by", json_col(r, 9, "[]"));
	json_object_set_new(o, "group_window", json_integer(db_int(r, 10)));
	json_object_set_new(o, "resolve_note", json_boolean(db_int(r, 11) != 0));
	json_object_set_new(o, "created_at", time_json(r, 12));
	json_object_set_new(o, "updated_at", time_json(r, 13));
	json_object_set_new(o, "version", json_integer(db_int(r, 14)));
	return o;
}

/*
 * Reads the rule fields present in `in` into r (which holds the current
 * values when updating), with the deep checks the field list cannot do.
 */
static int rule_fields(const json_t *in, bool creating, struct intake_rule *r, int64_t *position,
		       int *enabled, char *err, size_t errlen)
{
	static const char *const known[] = {"name", "position", "enabled", "match", "action",
					    "category", "severity", "group_by", "group_window",
					    "resolve_note", NULL};
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v) {
		const char *const *p = known;
		while (*p && strcmp(*p, k) != 0)
			p++;
		if (!*p) {
			snprintf(err, errlen, "%.64s: unknown field", k);
			return SIRT_EINVAL;
		}
	}
	if ((v = json_object_get(in, "name")) || creating) {
		if (!intake_source_name_valid(json_string_value(v))) {
			snprintf(err, errlen, "name: 1 to 100 characters on one line");
			return SIRT_EINVAL;
		}
		free(r->name);
		r->name = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(in, "match"))) {
		if (rule_match_check(v, err, errlen) < 0)
			return SIRT_EINVAL;
		json_decref(r->match);
		r->match = json_incref(v);
	} else if (creating) {
		r->match = json_object();
	}
	if (((v = json_object_get(in, "action")) || creating) &&
	    rule_action_parse(json_string_value(v), &r->action) < 0) {
		snprintf(err, errlen, "action: expected open, attach or record");
		return SIRT_EINVAL;
	}
	if ((v = json_object_get(in, "category"))) {
		free(r->category);
		r->category = NULL;
		if (!json_is_null(v)) {
			if (!rule_category_valid(json_string_value(v))) {
				struct strbuf sb;
				sb_init(&sb, 1024);
				enum_join(incident_categories, &sb);
				snprintf(err, errlen, "category: must be one of: %s", sb_str(&sb));
				sb_free(&sb);
				return SIRT_EINVAL;
			}
			r->category = xstrdup(json_string_value(v));
		}
	}
	if ((v = json_object_get(in, "severity"))) {
		const char *s = json_string_value(v);
		if (!json_is_null(v) && (!s || (strcmp(s, "critical") && strcmp(s, "high") &&
						strcmp(s, "medium") && strcmp(s, "low")))) {
			snprintf(err, errlen,
				 "severity: critical, high, medium, low, or null (from the alert)");
			return SIRT_EINVAL;
		}
		free(r->severity);
		r->severity = s ? xstrdup(s) : NULL;
	}
	if ((v = json_object_get(in, "group_by"))) {
		if (rule_group_by_check(v, err, errlen) < 0)
			return SIRT_EINVAL;
		json_decref(r->group_by);
		r->group_by = json_incref(v);
	} else if (creating) {
		r->group_by = json_array();
	}
	if ((v = json_object_get(in, "group_window"))) {
		json_int_t w = json_integer_value(v);
		if (!json_is_integer(v) || w < 0 || w > RULE_MAX_WINDOW) {
			snprintf(err, errlen, "group_window: seconds from 0 to %d", RULE_MAX_WINDOW);
			return SIRT_EINVAL;
		}
		r->group_window = w;
	}
	if ((v = json_object_get(in, "resolve_note"))) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "resolve_note: expected true or false");
			return SIRT_EINVAL;
		}
		r->resolve_note = json_is_true(v);
	}
	if ((v = json_object_get(in, "enabled"))) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "enabled: expected true or false");
			return SIRT_EINVAL;
		}
		*enabled = json_is_true(v);
	}
	if ((v = json_object_get(in, "position"))) {
		json_int_t p = json_integer_value(v);
		if (!json_is_integer(v) || p < 1 || p > 100000) {
			snprintf(err, errlen, "position: from 1 (first) to 100000");
			return SIRT_EINVAL;
		}
		*position = p;
	}
	return 0;
}

/* Makes room at position p (1-based) by shifting the rules at or after it. */
static int rules_shift(struct db *db, int64_t org_id, int64_t p, int64_t except_id)
{
	return db_exec(db,
		       "UPDATE intake_rules SET position = position + 1 WHERE org_id = $1"
		       " AND position >= $2 AND id <> $3",
		       3, DBV(DB_INT(org_id), DB_INT(p), DB_INT(except_id)));
}

/* Renumbers 1..n in order so positions stay dense. */
static int rules_renumber(struct db *db, int64_t org_id)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id FROM intake_rules WHERE org_id = $1 ORDER BY position, id", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	int64_t ids[1024];
	size_t n = 0;
	while (db_next(r) && n < 1024)
		ids[n++] = db_int(r, 0);
	db_res_free(r);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = db_exec(db, "UPDATE intake_rules SET position = $2 WHERE id = $1 AND position <> $2",
			     2, DBV(DB_INT(ids[i]), DB_INT((int64_t)i + 1)));
	return rc;
}

static int rule_write_audit(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			    const char *action, const char *uid, const json_t *rec)
{
	return audit_append(db, ac, org_id, action, "intake_rule", uid, (json_t *)rec);
}

int intake_rule_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const json_t *body, json_t **out, char *err, size_t errlen)
{
	struct intake_rule r = {.group_window = 3600, .resolve_note = true};
	int64_t position = 0;
	int enabled = 1;
	int rc = rule_fields(body, true, &r, &position, &enabled, err, errlen);
	if (rc < 0)
		goto out;
	int64_t n = 0;
	rc = db_query_int(db, &n, "SELECT count(*) FROM intake_rules WHERE org_id = $1", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		goto out;
	if (n >= 1000) {
		snprintf(err, errlen, "an organisation has at most 1000 rules");
		rc = SIRT_ETOOBIG;
		goto out;
	}
	rc = db_query_int(db, &n, "SELECT count(*) FROM intake_rules WHERE org_id = $1 AND name = $2",
			  2, DBV(DB_INT(org_id), DB_TEXT(r.name)));
	if (rc < 0)
		goto out;
	if (n) {
		snprintf(err, errlen, "a rule named '%s' exists already", r.name);
		rc = SIRT_ECONFLICT;
		goto out;
	}
	if (position == 0)
		position = 1000000;
	else if ((rc = rules_shift(db, org_id, position, 0)) < 0)
		goto out;
	char uid[37];
	rand_uuid(uid);
	char *match = json_dumps(r.match, JSON_COMPACT | JSON_SORT_KEYS);
	char *group_by = json_dumps(r.group_by, JSON_COMPACT);
	int64_t now = time_now();
	rc = db_exec(db,
		     "INSERT INTO intake_rules(uid, org_id, name, position, enabled, match, action,"
		     " category, severity, group_by, group_window, resolve_note, created_at,"
		     " updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
		     " $12, $13, $13, 1)",
		     13,
		     DBV(DB_TEXT(uid), DB_INT(org_id), DB_TEXT(r.name), DB_INT(position),
			 DB_INT(enabled), DB_TEXT(match), DB_TEXT(rule_action_name(r.action)),
			 DB_TEXT(r.category), DB_TEXT(r.severity), DB_TEXT(group_by),
			 DB_INT(r.group_window), DB_INT(r.resolve_note ? 1 : 0), DB_INT(now)));
	free(match);
	free(group_by);
	if (rc == 0)
		rc = rules_renumber(db, org_id);
	if (rc == 0)
		rc = intake_rule_get(db, org_id, uid, out);
	if (rc == 0)
		rc = rule_write_audit(db, ac, org_id, "intake_rule.create", uid, *out);
out:
	rule_free(&r);
	return rc;
}

static int rule_load_one(struct db *db, int64_t org_id, const char *ref, struct intake_rule *r,
			 int64_t *version, int64_t *position, int *enabled)
{
	struct db_res *res;
	int rc = db_query(db, &res,
			  "SELECT " RULE_COLS " FROM intake_rules WHERE org_id = $1"
			  " AND (uid = $2 OR name = $2)",
			  2, DBV(DB_INT(org_id), DB_TEXT(ref)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(res)) {
		r->id = db_int(res, 0);
		r->uid = xstrdup(db_text(res, 1));
		r->name = xstrdup(db_text(res, 2));
		*position = db_int(res, 3);
		*enabled = (int)db_int(res, 4);
		r->match = json_col(res, 5, "{}");
		if (rule_action_parse(db_text(res, 6), &r->action) < 0)
			r->action = RULE_RECORD;
		r->category = db_text(res, 7) ? xstrdup(db_text(res, 7)) : NULL;
		r->severity = db_text(res, 8) ? xstrdup(db_text(res, 8)) : NULL;
		r->group_by = json_col(res, 9, "[]");
		r->group_window = db_int(res, 10);
		r->resolve_note = db_int(res, 11) != 0;
		*version = db_int(res, 14);
		rc = 0;
	}
	db_res_free(res);
	return rc;
}

int intake_rule_update(struct db *db, const struct audit_ctx *ac, int64_t org_id,
		       const char *ref, int64_t expect_version, const json_t *patch,
		       json_t **out, char *err, size_t errlen)
{
	struct intake_rule r = {0};
	int64_t version, position, old_position;
	int enabled;
	int rc = rule_load_one(db, org_id, ref, &r, &version, &position, &enabled);
	if (rc < 0)
		goto out;
	if (expect_version && expect_version != version) {
		rc = SIRT_EPRECOND;
		goto out;
	}
	old_position = position;
	rc = rule_fields(patch, false, &r, &position, &enabled, err, errlen);
	if (rc < 0)
		goto out;
	int64_t n = 0;
	rc = db_query_int(db, &n,
			  "SELECT count(*) FROM intake_rules WHERE org_id = $1 AND name = $2 AND id <> $3",
			  3, DBV(DB_INT(org_id), DB_TEXT(r.name), DB_INT(r.id)));
	if (rc < 0)
		goto out;
	if (n) {
		snprintf(err, errlen, "a rule named '%s' exists already", r.name);
		rc = SIRT_ECONFLICT;
		goto out;
	}
	if (position != old_position) {
		/* moving down: the rules between shift up, so aim one further */
		rc = rules_shift(db, org_id, position > old_position ? position + 1 : position,
				 r.id);
		if (rc < 0)
			goto out;
		if (position > old_position)
			position++;
	}
	char *match = json_dumps(r.match, JSON_COMPACT | JSON_SORT_KEYS);
	char *group_by = json_dumps(r.group_by, JSON_COMPACT);
	rc = db_exec(db,
		     "UPDATE intake_rules SET name = $3, position = $4, enabled = $5, match = $6,"
		     " action = $7, category = $8, severity = $9, group_by = $10, group_window = $11,"
		     " resolve_note = $12, updated_at = $13, version = version + 1"
		     " WHERE org_id = $1 AND id = $2",
		     13,
		     DBV(DB_INT(org_id), DB_INT(r.id), DB_TEXT(r.name), DB_INT(position),
			 DB_INT(enabled), DB_TEXT(match), DB_TEXT(rule_action_name(r.action)),
			 DB_TEXT(r.category), DB_TEXT(r.severity), DB_TEXT(group_by),
			 DB_INT(r.group_window), DB_INT(r.resolve_note ? 1 : 0), DB_INT(time_now())));
	free(match);
	free(group_by);
	if (rc == 0)
		rc = rules_renumber(db, org_id);
	if (rc == 0)
		rc = intake_rule_get(db, org_id, r.uid, out);
	if (rc == 0)
		rc = rule_write_audit(db, ac, org_id, "intake_rule.update", r.uid, *out);
out:
	rule_free(&r);
	return rc;
}

int intake_rule_delete(struct db *db, const struct audit_ctx *ac, int64_t org_id, const char *ref)
{
	struct intake_rule r = {0};
	int64_t version, position;
	int enabled;
	int rc = rule_load_one(db, org_id, ref, &r, &version, &position, &enabled);
	if (rc < 0)
		goto out;
	/* Alerts and groups keep their history; the rule reference goes. */
	rc = db_exec(db, "UPDATE alerts SET rule_id = NULL WHERE org_id = $1 AND rule_id = $2", 2,
		     DBV(DB_INT(org_id), DB_INT(r.id)));
	if (rc == 0)
		rc = db_exec(db, "UPDATE alert_groups SET rule_id = NULL WHERE org_id = $1 AND rule_id = $2",
			     2, DBV(DB_INT(org_id), DB_INT(r.id)));
	if (rc == 0)
		rc = db_exec(db, "DELETE FROM intake_rules WHERE org_id = $1 AND id = $2", 2,
			     DBV(DB_INT(org_id), DB_INT(r.id)));
	if (rc == 0)
		rc = rules_renumber(db, org_id);
	if (rc == 0) {
		json_t *d = json_pack("{s:s}", "name", r.name);
		rc = rule_write_audit(db, ac, org_id, "intake_rule.delete", r.uid, d);
		json_decref(d);
	}
out:
	rule_free(&r);
	return rc;
}

int intake_rule_get(struct db *db, int64_t org_id, const char *ref, json_t **out)
{
	return db_query_one_json(db, rule_row, out,
				 "SELECT " RULE_COLS " FROM intake_rules WHERE org_id = $1"
				 " AND (uid = $2 OR name = $2)",
				 2, DBV(DB_INT(org_id), DB_TEXT(ref)));
}

int intake_rule_list(struct db *db, int64_t org_id, json_t **out)
{
	return db_query_all_json(db, rule_row, out,
				 "SELECT " RULE_COLS " FROM intake_rules WHERE org_id = $1"
				 " ORDER BY position, id",
				 1, DBV(DB_INT(org_id)));
}

int intake_rules_load(struct db *db, int64_t org_id, struct intake_rule **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT " RULE_COLS " FROM intake_rules WHERE org_id = $1 AND enabled = 1"
			  " ORDER BY position, id",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	size_t cap = 0;
	struct intake_rule *v = NULL;
	while (db_next(r)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		struct intake_rule *x = &v[(*n)++];
		memset(x, 0, sizeof(*x));
		x->id = db_int(r, 0);
		x->uid = xstrdup(db_text(r, 1));
		x->name = xstrdup(db_text(r, 2));
		x->match = json_col(r, 5, "{}");
		if (rule_action_parse(db_text(r, 6), &x->action) < 0)
			x->action = RULE_RECORD;
		x->category = db_text(r, 7) ? xstrdup(db_text(r, 7)) : NULL;
		x->severity = db_text(r, 8) ? xstrdup(db_text(r, 8)) : NULL;
		x->group_by = json_col(r, 9, "[]");
		x->group_window = db_int(r, 10);
		x->resolve_note = db_int(r, 11) != 0;
	}
	db_res_free(r);
	*out = v;
	return 0;
}

void intake_rules_free(struct intake_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rule_free(&rules[i]);
	free(rules);
}

/* ---- alerts ---- */

#define ALERT_COLS                                                                         \
	"a.id, a.source, s.name, a.source_ref, a.fingerprint, a.title, a.description,"     \
	" a.severity, a.status, a.starts_at, a.ends_at, a.first_seen, a.last_seen,"        \
	" a.received_at, a.updated_at, a.resolved_at, a.count, a.entities, a.labels,"      \
	" a.annotations, a.link, i.uid, i.key, a.group_key, r.name, a.payload_id"
#define ALERT_FROM                                                                         \
	" FROM alerts a LEFT JOIN intake_sources s ON s.id = a.intake_source_id"           \
	" LEFT JOIN incidents i ON i.id = a.incident_id"                                    \
	" LEFT JOIN intake_rules r ON r.id = a.rule_id"

static json_t *alert_row(const struct db_res *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_int(r, 0)));
	json_object_set_new(o, "source", json_string(db_text(r, 1)));
	json_object_set_new(o, "intake_source", text_or_null(r, 2));
	json_object_set_new(o, "source_id", text_or_null(r, 3));
	json_object_set_new(o, "fingerprint", json_string(db_text(r, 4)));
	json_object_set_new(o, "title", json_string(db_text(r, 5)));
	json_object_set_new(o, "description", json_string(db_text(r, 6)));
	json_object_set_new(o, "severity", json_string(db_text(r, 7)));
	json_object_set_new(o, "status", json_string(db_text(r, 8)));
	json_object_set_new(o, "starts_at", time_json(r, 9));
	json_object_set_new(o, "ends_at", time_json(r, 10));
	json_object_set_new(o, "first_seen", time_json(r, 11));
	json_object_set_new(o, "last_seen", time_json(r, 12));
	json_object_set_new(o, "received_at", time_json(r, 13));
	json_object_set_new(o, "updated_at", time_json(r, 14));
	json_object_set_new(o, "resolved_at", time_json(r, 15));
	json_object_set_new(o, "count", json_integer(db_int(r, 16)));
	json_object_set_new(o, "entities", json_col(r, 17, "[]"));
	json_object_set_new(o, "labels", json_col(r, 18, "{}"));
	json_object_set_new(o, "annotations", json_col(r, 19, "{}"));
	json_object_set_new(o, "link", text_or_null(r, 20));
	if (db_isnull(r, 21))
		json_object_set_new(o, "incident", json_null());
	else
		json_object_set_new(o, "incident", json_pack("{s:s, s:s}", "id", db_text(r, 21),
							     "key", db_text(r, 22)));
	json_object_set_new(o, "group_key", text_or_null(r, 23));
	json_object_set_new(o, "rule", text_or_null(r, 24));
	json_object_set_new(o, "payload_id", json_integer(db_int(r, 25)));
	return o;
}

int alert_id_parse(const char *s, int64_t *out)
{
	if (!s || !*s || strlen(s) > 18)
		return SIRT_EINVAL;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return SIRT_EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0)
		return SIRT_EINVAL;
	*out = v;
	return 0;
}

/*
 * The alert as received: item `index` of its payload, parsed again (the
 * body is stored once; a second copy per alert would double the writes).
 */
static json_t *raw_of(const char *kind, const char *body, int64_t index)
{
	if (!kind || !body)
		return json_null();
	struct alert_batch b;
	alert_batch_init(&b, "generic");
	struct strbuf err;
	sb_init(&err, 1024);
	json_t *raw = NULL;
	if (alert_parse(kind, body, strlen(body), &b, &err) == 0 && index >= 0 &&
	    (size_t)index < b.n && b.items[index].raw)
		raw = json_incref(b.items[index].raw);
	sb_free(&err);
	alert_batch_free(&b);
	return raw ? raw : json_null();
}

int alert_store_get(struct db *db, int64_t org_id, int64_t id, bool with_raw, json_t **out)
{
	struct db_res *r;
	int rc = with_raw
		? db_query(db, &r,
			   "SELECT " ALERT_COLS ", a.payload_index, p.body, p.received_at, p.digest,"
			   " p.content_type, p.alert_count, p.request_id, p.kind" ALERT_FROM
			   " LEFT JOIN alert_payloads p ON p.id = a.payload_id"
			   " WHERE a.org_id = $1 AND a.id = $2",
			   2, DBV(DB_INT(org_id), DB_INT(id)))
		: db_query(db, &r, "SELECT " ALERT_COLS ALERT_FROM " WHERE a.org_id = $1 AND a.id = $2",
			   2, DBV(DB_INT(org_id), DB_INT(id)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		json_t *o = alert_row(r);
		if (with_raw) {
			json_object_set_new(o, "raw", raw_of(db_text(r, 33), db_text(r, 27),
							     db_int(r, 26)));
			json_t *p = json_object();
			json_object_set_new(p, "id", json_integer(db_int(r, 25)));
			json_object_set_new(p, "received_at", time_json(r, 28));
			json_object_set_new(p, "sha256", text_or_null(r, 29));
			json_object_set_new(p, "content_type", text_or_null(r, 30));
			json_object_set_new(p, "alert_count", json_integer(db_int(r, 31)));
			json_object_set_new(p, "request_id", text_or_null(r, 32));
			json_object_set_new(p, "body", text_or_null(r, 27));
			json_object_set_new(o, "payload", p);
		}
		*out = o;
		rc = 0;
	}
	db_res_free(r);
	return rc;
}

int alert_store_list(struct db *db, int64_t org_id, const struct alert_filter *f, json_t **items,
		     int64_t *next)
{
	struct strbuf sql;
	sb_init(&sql, 8192);
	sb_puts(&sql, "SELECT " ALERT_COLS ALERT_FROM " WHERE a.org_id = $1");
	if (f->source)
		sb_puts(&sql, " AND a.source = $2");
	if (f->status)
		sb_puts(&sql, " AND a.status = $3");
	if (f->severity)
		sb_puts(&sql, " AND a.severity = $4");
	if (f->incident_id)
		sb_puts(&sql, " AND a.incident_id = $5");
	char *pat = NULL;
	if (f->q && *f->q) {
		/* lower-cased, with LIKE's wildcards escaped */
		size_t n = strlen(f->q);
		pat = xmalloc(2 * n + 3);
		size_t o = 0;
		pat[o++] = '%';
		for (const char *p = f->q; *p; p++) {
			char c = *p;
			if (c == '%' || c == '_' || c == '\\')
				pat[o++] = '\\';
			pat[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		pat[o++] = '%';
		pat[o] = '\0';
		sb_puts(&sql, " AND lower(a.title) LIKE $6 ESCAPE '\\'");
	}
	if (f->cursor)
		sb_puts(&sql, " AND a.id < $7");
	sb_puts(&sql, " ORDER BY a.id DESC LIMIT $8");
	struct db_res *r;
	int limit = f->limit > 0 ? f->limit : 50;
	int rc = db_query(db, &r, sb_str(&sql), 8,
			  DBV(DB_INT(org_id), DB_TEXT(f->source), DB_TEXT(f->status),
			      DB_TEXT(f->severity), DB_INT(f->incident_id), DB_TEXT(pat),
			      DB_INT(f->cursor), DB_INT(limit + 1)));
	sb_free(&sql);
	if (rc < 0) {
		free(pat);
		return rc;
	}
	json_t *a = json_array();
	int64_t last = 0;
	*next = 0;
	while (db_next(r)) {
		if ((int)json_array_size(a) == limit) {
			*next = last;
			break;
		}
		json_t *o = alert_row(r);
		last = db_int(r, 0);
		json_array_append_new(a, o);
	}
	db_res_free(r);
	free(pat); /* bound without a copy: only now unused */
	*items = a;
	return 0;
}

int alert_store_find_incident(struct db *db, int64_t org_id, const char *ref, int64_t *id,
			      char **uid, char **key)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT id, uid, key FROM incidents WHERE org_id = $1 AND (uid = $2 OR key = $2)",
			  2, DBV(DB_INT(org_id), DB_TEXT(ref)));
	if (rc < 0)
		return rc;
	rc = SIRT_ENOTFOUND;
	if (db_next(r)) {
		*id = db_int(r, 0);
		if (uid)
			*uid = xstrdup(db_text(r, 1));
		if (key)
			*key = xstrdup(db_text(r, 2));
		rc = 0;
	}
	db_res_free(r);
	return rc;
}
