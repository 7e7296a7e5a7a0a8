#include "audit/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void put_field(crypto_hash_sha256_state *h, const char *s)
{
	char len[24];
	if (!s)
		s = "";
	int n = snprintf(len, sizeof(len), "%zu:", strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)len, (size_t)n);
	crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
}

void audit_entry_hash(const struct audit_entry *e, char out[65])
{
	crypto_hash_sha256_state h;
	char num[24];
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&h);
	snprintf(num, sizeof(num), "%lld", (long long)e->seq);
	put_field(&h, num);
	snprintf(num, sizeof(num), "%lld", (long long)e->ts);
	put_field(&h, num);
	snprintf(num, sizeof(num), "%lld", (long long)e->org_id);
	put_field(&h, num);
	put_field(&h, e->actor);
	put_field(&h, e->action);
	put_field(&h, e->object_type);
	put_field(&h, e->object_id);
	put_field(&h, e->details);
	put_field(&h, e->request_id);
	put_field(&h, e->client_addr);
	put_field(&h, e->prev_hash);
	crypto_hash_sha256_final(&h, digest);
	hex_encode(out, digest, sizeof(digest));
}

int audit_append(struct db *db, const struct audit_ctx *ctx, int64_t org_id, const char *action,
		 const char *object_type, const char *object_id, json_t *details)
{
	char *det = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char prev[65] = ZERO_HASH;
	int64_t seq = 0;
	int rc;
	struct db_res *r = NULL;
	if (db_is_postgres(db)) {
		/* The head row serialises concurrent appends to one chain. */
		rc = db_exec(db, "INSERT INTO audit_head(org_id, seq, hash) VALUES ($1, 0, $2)"
				 " ON CONFLICT (org_id) DO NOTHING",
			     2, DBV(DB_INT(org_id), DB_TEXT(ZERO_HASH)));
		if (rc < 0)
			goto out;
		rc = db_query(db, &r, "SELECT seq, hash FROM audit_head WHERE org_id = $1 FOR UPDATE",
			      1, DBV(DB_INT(org_id)));
	} else {
		rc = db_query(db, &r, "SELECT seq, hash FROM audit_head WHERE org_id = $1", 1,
			      DBV(DB_INT(org_id)));
	}
	if (rc < 0)
		goto out;
	if (db_next(r)) {
		seq = db_int(r, 0);
		snprintf(prev, sizeof(prev), "%s", db_text(r, 1));
	}
	db_res_free(r);
	struct audit_entry e = {
		.org_id = org_id,
		.seq = seq + 1,
		.ts = time_now(),
		.actor = ctx && ctx->actor ? ctx->actor : "system",
		.action = action,
		.object_type = object_type,
		.object_id = object_id ? object_id : "",
		.details = det ? det : "{}",
		.request_id = ctx && ctx->request_id ? ctx->request_id : "",
		.client_addr = ctx && ctx->client_addr ? ctx->client_addr : "",
		.prev_hash = prev,
	};
	char hash[65];
	audit_entry_hash(&e, hash);
	rc = db_exec(db,
		     "INSERT INTO audit_log(org_id, seq, ts, actor, action, object_type, object_id,"
		     " details, request_id, client_addr, prev_hash, hash)"
		     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
		     12,
		     DBV(DB_INT(e.org_id), DB_INT(e.seq), DB_INT(e.ts), DB_TEXT(e.actor),
			 DB_TEXT(e.action), DB_TEXT(e.object_type), DB_TEXT(e.object_id),
			 DB_TEXT(e.details), DB_TEXT(e.request_id), DB_TEXT(e.client_addr),
			 DB_TEXT(e.prev_hash), DB_TEXT(hash)));
	if (rc < 0)
		goto out;
	if (seq == 0 && !db_is_postgres(db))
		rc = db_exec(db, "INSERT INTO audit_head(org_id, seq, hash) VALUES ($1, $2, $3)", 3,
			     DBV(DB_INT(org_id), DB_INT(e.seq), DB_TEXT(hash)));
	else
		rc = db_exec(db, "UPDATE audit_head SET seq = $2, hash = $3 WHERE org_id = $1", 3,
			     DBV(DB_INT(org_id), DB_INT(e.seq), DB_TEXT(hash)));
out:
	free(det);
	return rc;
}

void audit_verifier_init(struct audit_verifier *v)
{
	memset(v, 0, sizeof(*v));
	v->expect_seq = 1;
	snprintf(v->prev_hash, sizeof(v->prev_hash), "%s", ZERO_HASH);
	v->res.ok = true;
}

static bool fail(struct audit_verifier *v, int64_t seq, const char *what)
{
	v->res.ok = false;
	v->res.first_bad = seq;
	snprintf(v->res.problem, sizeof(v->res.problem), "%s", what);
	return false;
}

bool audit_verifier_feed(struct audit_verifier *v, const struct audit_entry *e,
			 const char *stored_hash)
{
	if (!v->res.ok)
		return false;
	char h[65];
	audit_entry_hash(e, h);
	bool self_ok = strcmp(h, stored_hash ? stored_hash : "") == 0;
	bool link_ok = strcmp(e->prev_hash ? e->prev_hash : "", v->prev_hash) == 0;
	if (e->seq > v->expect_seq)
		return fail(v, v->expect_seq,
			    link_ok || !self_ok ? "entry was removed (sequence gap)"
					       : "entry was removed (sequence gap, chain broken)");
	if (e->seq < v->expect_seq)
		return fail(v, e->seq, "entry is out of order or duplicated");
	if (!self_ok)
		return fail(v, e->seq, "entry was changed (its hash does not match its content)");
	if (!link_ok)
		return fail(v, e->seq,
			    "entry was inserted or reordered (it does not follow the previous entry)");
	v->res.entries++;
	v->expect_seq++;
	v->res.head_seq = e->seq;
	snprintf(v->prev_hash, sizeof(v->prev_hash), "%s", stored_hash);
	snprintf(v->res.head_hash, sizeof(v->res.head_hash), "%s", stored_hash);
	return true;
}

void audit_verifier_finish(struct audit_verifier *v, int64_t head_seq, const char *head_hash)
{
	if (!v->res.ok)
		return;
	if (head_seq > v->res.head_seq) {
		fail(v, v->res.head_seq + 1, "entry was removed (the chain ends before its recorded head)");
		return;
	}
	if (head_seq == v->res.head_seq && head_hash && strcmp(head_hash, v->prev_hash) != 0)
		fail(v, head_seq, "entry was changed (the chain does not end at its recorded head)");
}

int audit_verify_db(struct db *db, int64_t org_id, struct audit_verify_result *out)
{
	struct audit_verifier v;
	audit_verifier_init(&v);
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT org_id, seq, ts, actor, action, object_type, object_id, details,"
			  " request_id, client_addr, prev_hash, hash FROM audit_log"
			  " WHERE org_id = $1 ORDER BY seq",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (db_next(r)) {
		struct audit_entry e = {
			.org_id = db_int(r, 0), .seq = db_int(r, 1), .ts = db_int(r, 2),
			.actor = db_text(r, 3), .action = db_text(r, 4),
			.object_type = db_text(r, 5), .object_id = db_text(r, 6),
			.details = db_text(r, 7), .request_id = db_text(r, 8),
			.client_addr = db_text(r, 9), .prev_hash = db_text(r, 10),
		};
		if (!audit_verifier_feed(&v, &e, db_text(r, 11)))
			break;
	}
	db_res_free(r);
	int64_t hseq = 0;
	char hhash[65] = "";
	rc = db_query(db, &r, "SELECT seq, hash FROM audit_head WHERE org_id = $1", 1,
		      DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (db_next(r)) {
		hseq = db_int(r, 0);
		snprintf(hhash, sizeof(hhash), "%s", db_text(r, 1));
	}
	db_res_free(r);
	audit_verifier_finish(&v, hseq, hhash[0] ? hhash : NULL);
	*out = v.res;
	return 0;
}
