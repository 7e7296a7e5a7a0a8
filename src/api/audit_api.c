/*
 * /api/v1/audit: the current organisation's audit trail (PERM_AUDIT:
 * admins and auditors).
 *   GET /api/v1/audit              entries, newest first (keyset on seq)
 *   GET /api/v1/audit/verify       checks the whole chain, names the first bad entry
 *   GET /api/v1/audit/checkpoints  signed heads stored by `sirt audit checkpoint`
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "audit/checkpoint.h"
#include "http/routes.h"
#include "util/timeutil.h"

static int h_list(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	int64_t before = 0;
	const char *cur = req_query(r, "cursor");
	if (cur && *cur) {
		char *end;
		before = strtoll(cur, &end, 10);
		if (*end || before <= 0)
			return resp_problem(r, 400, NULL, "cursor is not one this server returned",
					    NULL);
	}
	const char *action = req_query(r, "action");
	if (action && strlen(action) > 100)
		return resp_problem(r, 400, NULL, "action is at most 100 characters", NULL);
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT org_id, seq, ts, actor, action, object_type, object_id, details,"
			  " request_id, client_addr, prev_hash, hash FROM audit_log"
			  " WHERE org_id = $1 AND (CAST($2 AS BIGINT) = 0 OR seq < $2)"
			  " AND (CAST($3 AS TEXT) IS NULL OR action = $3)"
			  " ORDER BY seq DESC LIMIT $4",
			  4,
			  DBV(DB_INT(r->who.org_id), DB_INT(before), DB_TEXT(action),
			      DB_INT(limit + 1)));
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the audit trail");
	json_t *items = json_array();
	int n = 0;
	int64_t last = 0, next = 0;
	while (db_next(q)) {
		if (n++ == limit) {
			next = last;
			break;
		}
		struct audit_entry e = {
			.org_id = db_int(q, 0), .seq = db_int(q, 1), .ts = db_int(q, 2),
			.actor = db_text(q, 3), .action = db_text(q, 4),
			.object_type = db_text(q, 5), .object_id = db_text(q, 6),
			.details = db_text(q, 7), .request_id = db_text(q, 8),
			.client_addr = db_text(q, 9), .prev_hash = db_text(q, 10),
		};
		last = e.seq;
		json_t *o = audit_entry_json(&e, db_text(q, 11));
		json_object_del(o, "type");
		json_t *d = json_loads(e.details, JSON_REJECT_DUPLICATES, NULL);
		if (d)
			json_object_set_new(o, "details", d);
		json_array_append_new(items, o);
	}
	db_res_free(q);
	json_t *o = json_pack("{s:o}", "items", items);
	json_object_set_new(o, "next_cursor",
			    next ? json_string(arena_printf(&r->arena, "%lld", (long long)next))
				 : json_null());
	return resp_json(r, 200, o);
}

static int h_verify(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	struct audit_verify_result v;
	int rc = audit_verify_db(db, r->who.org_id, &v);
	if (rc < 0)
		return api_store_error(r, db, rc, "verifying the audit trail");
	char ts[ISO8601_LEN];
	time_format_iso8601(time_now(), ts);
	json_t *o = json_pack("{s:b, s:I, s:I, s:s, s:s}", "ok", v.ok, "entries",
			      (json_int_t)v.entries, "head_seq", (json_int_t)v.head_seq, "head_hash",
			      v.head_hash, "checked_at", ts);
	if (v.ok) {
		json_object_set_new(o, "first_bad_seq", json_null());
		json_object_set_new(o, "problem", json_null());
	} else {
		json_object_set_new(o, "first_bad_seq", json_integer(v.first_bad));
		json_object_set_new(o, "problem", json_string(v.problem));
	}
	return resp_json(r, 200, o);
}

static int h_checkpoints(struct req *r)
{
	int limit;
	if (api_limit(r, &limit) < 0)
		return 0;
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *items;
	int rc = audit_checkpoint_list(db, r->who.org_id, limit, &items);
	if (rc < 0)
		return api_store_error(r, db, rc, "listing checkpoints");
	return resp_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

const struct route api_audit_routes[] = {
	{"GET", "/api/v1/audit", PERM_AUDIT, BODY_NONE, 0, h_list, NULL,
	 "Audit trail entries of the organisation, newest first (keyset on seq; ?action=)",
	 "audit", NULL, 0},
	{"GET", "/api/v1/audit/verify", PERM_AUDIT, BODY_NONE, 0, h_verify, NULL,
	 "Verify the organisation's hash chain; names the first bad entry", "audit", NULL, 0},
	{"GET", "/api/v1/audit/checkpoints", PERM_AUDIT, BODY_NONE, 0, h_checkpoints, NULL,
	 "Signed checkpoints of the organisation's chain, newest first", "audit", NULL, 0},
};
ROUTES_COUNT(api_audit);
