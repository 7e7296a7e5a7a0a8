#include "audit/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
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
	v->prev_prev_hash[0] = '\0';
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
	const char *ph = e->prev_hash ? e->prev_hash : "";
	bool self_ok = strcmp(h, stored_hash ? stored_hash : "") == 0;
	bool link_ok = strcmp(ph, v->prev_hash) == 0;
	/* An entry that links to the one before the previous: the previous
	 * entry was slipped in between (the rows after it renumbered). */
	bool skips_previous = !link_ok && v->prev_prev_hash[0] &&
			      strcmp(ph, v->prev_prev_hash) == 0;
	if (e->seq > v->expect_seq)
		return fail(v, v->expect_seq,
			    link_ok || !self_ok ? "entry was removed (sequence gap)"
					       : "entry was removed (sequence gap, chain broken)");
	if (e->seq < v->expect_seq)
		return fail(v, e->seq, "entry is out of order or duplicated");
	if (skips_previous)
		return fail(v, e->seq - 1,
			    "entry was inserted (the next entry links to the one before it)");
	if (!self_ok && !link_ok)
		return fail(v, e->seq,
			    "entry was changed, inserted or moved (neither its hash nor its link to"
			    " the previous entry matches)");
	if (!self_ok)
		return fail(v, e->seq, "entry was changed (its hash does not match its content)");
	if (!link_ok)
		return fail(v, e->seq,
			    "entry was inserted or reordered (it does not follow the previous entry)");
	v->res.entries++;
	v->expect_seq++;
	v->res.head_seq = e->seq;
	snprintf(v->prev_prev_hash, sizeof(v->prev_prev_hash), "%s", v->prev_hash);
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
	if (head_seq < v->res.head_seq) {
		fail(v, head_seq + 1, "entry was inserted after the recorded head of the chain");
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
	/* Checkpoints of this chain: the stored hashes must still match. */
	enum { MAXCP = 256 };
	int64_t cp_seq[MAXCP];
	char (*cp_hash)[65] = xcalloc(MAXCP, 65);
	int ncp = 0;
	int rc = db_query(db, &r,
			  "SELECT seq, hash FROM audit_checkpoints WHERE org_id = $1"
			  " ORDER BY id DESC LIMIT 256",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0) {
		free(cp_hash);
		return rc;
	}
	while (db_next(r) && ncp < MAXCP) {
		cp_seq[ncp] = db_int(r, 0);
		snprintf(cp_hash[ncp], 65, "%s", db_text(r, 1));
		ncp++;
	}
	db_res_free(r);
	rc = db_query(db, &r,
		      "SELECT org_id, seq, ts, actor, action, object_type, object_id, details,"
		      " request_id, client_addr, prev_hash, hash FROM audit_log"
		      " WHERE org_id = $1 ORDER BY seq",
		      1, DBV(DB_INT(org_id)));
	if (rc < 0) {
		free(cp_hash);
		return rc;
	}
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
		for (int i = 0; i < ncp; i++)
			if (cp_seq[i] == e.seq && strcmp(cp_hash[i], db_text(r, 11)) != 0) {
				fail(&v, e.seq,
				     "entry does not match a signed checkpoint (it, or an entry"
				     " before it, was rewritten)");
				break;
			}
		if (!v.res.ok)
			break;
	}
	db_res_free(r);
	if (v.res.ok)
		for (int i = 0; i < ncp; i++)
			if (cp_seq[i] > v.res.head_seq) {
				fail(&v, v.res.head_seq + 1,
				     "entry was removed (the chain ends before a signed checkpoint)");
				break;
			}
	free(cp_hash);
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

json_t *audit_entry_json(const struct audit_entry *e, const char *hash)
{
	char ts[ISO8601_LEN];
	time_format_iso8601(e->ts, ts);
	return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "type", "entry", "org_id", (json_int_t)e->org_id, "seq",
			 (json_int_t)e->seq, "ts", (json_int_t)e->ts, "time", ts, "actor",
			 e->actor, "action", e->action, "object_type", e->object_type,
			 "object_id", e->object_id, "details", e->details, "request_id",
			 e->request_id, "client_addr", e->client_addr, "prev_hash", e->prev_hash,
			 "hash", hash);
}

static const char *str_member(json_t *o, const char *k, bool *ok)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v)) {
		*ok = false;
		return "";
	}
	return json_string_value(v);
}

static int64_t int_member(json_t *o, const char *k, bool *ok)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v)) {
		*ok = false;
		return 0;
	}
	return json_integer_value(v);
}

int audit_entry_from_json(json_t *o, struct audit_entry *e, const char **hash)
{
	bool ok = true;
	e->org_id = int_member(o, "org_id", &ok);
	e->seq = int_member(o, "seq", &ok);
	e->ts = int_member(o, "ts", &ok);
	e->actor = str_member(o, "actor", &ok);
	e->action = str_member(o, "action", &ok);
	e->object_type = str_member(o, "object_type", &ok);
	e->object_id = str_member(o, "object_id", &ok);
	e->details = str_member(o, "details", &ok);
	e->request_id = str_member(o, "request_id", &ok);
	e->client_addr = str_member(o, "client_addr", &ok);
	e->prev_hash = str_member(o, "prev_hash", &ok);
	*hash = str_member(o, "hash", &ok);
	return ok ? 0 : SIRT_EINVAL;
}

static int put_line(FILE *out, json_t *o)
{
	int rc = json_dumpf(o, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF
			 ? 0
			 : SIRT_EIO;
	json_decref(o);
	return rc;
}

static int export_chain(struct db *db, int64_t org_id, FILE *out, int64_t *count)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT org_id, seq, ts, actor, action, object_type, object_id, details,"
			  " request_id, client_addr, prev_hash, hash FROM audit_log"
			  " WHERE org_id = $1 ORDER BY seq",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	while (rc == 0 && db_next(r)) {
		struct audit_entry e = {
			.org_id = db_int(r, 0), .seq = db_int(r, 1), .ts = db_int(r, 2),
			.actor = db_text(r, 3), .action = db_text(r, 4),
			.object_type = db_text(r, 5), .object_id = db_text(r, 6),
			.details = db_text(r, 7), .request_id = db_text(r, 8),
			.client_addr = db_text(r, 9), .prev_hash = db_text(r, 10),
		};
		rc = put_line(out, audit_entry_json(&e, db_text(r, 11)));
		(*count)++;
	}
	db_res_free(r);
	if (rc < 0)
		return rc;
	rc = db_query(db, &r, "SELECT seq, hash FROM audit_head WHERE org_id = $1", 1,
		      DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	int64_t seq = 0;
	char hash[65] = ZERO_HASH;
	if (db_next(r)) {
		seq = db_int(r, 0);
		snprintf(hash, sizeof(hash), "%s", db_text(r, 1));
	}
	db_res_free(r);
	return put_line(out, json_pack("{s:s, s:I, s:I, s:s}", "type", "head", "org_id",
				       (json_int_t)org_id, "seq", (json_int_t)seq, "hash", hash));
}

int audit_export(struct db *db, int64_t org_id, FILE *out, int64_t *count)
{
	*count = 0;
	char ts[ISO8601_LEN];
	time_format_iso8601(time_now(), ts);
	/* The header names the organisations so a reader can tell the chains apart. */
	struct db_res *q;
	int rc = db_query(db, &q,
			  "SELECT id, name, slug FROM orgs WHERE CAST($1 AS BIGINT) < 0 OR id = $1"
			  " ORDER BY id",
			  1, DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	json_t *orgs = json_array();
	while (db_next(q))
		json_array_append_new(orgs, json_pack("{s:I, s:s, s:s}", "id",
						      (json_int_t)db_int(q, 0), "name",
						      db_text(q, 1), "slug", db_text(q, 2)));
	db_res_free(q);
	rc = put_line(out, json_pack("{s:s, s:s, s:s, s:o}", "type", "export", "format",
				     "sirt-audit/1", "exported_at", ts, "orgs", orgs));
	if (rc < 0)
		return rc;
	if (org_id >= 0)
		return export_chain(db, org_id, out, count);
	struct db_res *r;
	rc = db_query(db, &r,
		      "SELECT org_id FROM audit_head UNION SELECT DISTINCT org_id FROM audit_log"
		      " ORDER BY 1",
		      0, NULL);
	if (rc < 0)
		return rc;
	int64_t ids[4096];
	int n = 0;
	while (db_next(r) && n < 4096)
		ids[n++] = db_int(r, 0);
	db_res_free(r);
	for (int i = 0; i < n && rc == 0; i++)
		rc = export_chain(db, ids[i], out, count);
	return rc;
}

struct file_chain {
	int64_t org_id;
	struct audit_verifier v;
	bool finished;
};

int audit_verify_file(FILE *in, struct audit_file_result *out)
{
	memset(out, 0, sizeof(*out));
	struct file_chain *ch = xcalloc(AUDIT_FILE_CHAINS, sizeof(*ch));
	int n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t lineno = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (len > (1 << 22)) {
			snprintf(out->problem, sizeof(out->problem), "line is longer than 4 MiB");
			break;
		}
		if (len <= 1)
			continue;
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(o)) {
			json_decref(o);
			snprintf(out->problem, sizeof(out->problem), "not a JSON object: %s", je.text);
			break;
		}
		const char *type = json_string_value(json_object_get(o, "type"));
		if (type && strcmp(type, "export") == 0) {
			json_decref(o);
			continue;
		}
		int64_t org = json_integer_value(json_object_get(o, "org_id"));
		int c = 0;
		while (c < n && ch[c].org_id != org)
			c++;
		if (c == n) {
			if (n == AUDIT_FILE_CHAINS) {
				json_decref(o);
				snprintf(out->problem, sizeof(out->problem), "more than %d chains",
					 AUDIT_FILE_CHAINS);
				break;
			}
			ch[n].org_id = org;
			audit_verifier_init(&ch[n].v);
			n++;
		}
		if (type && strcmp(type, "entry") == 0) {
			struct audit_entry e;
			const char *hash;
			if (audit_entry_from_json(o, &e, &hash) < 0) {
				json_decref(o);
				snprintf(out->problem, sizeof(out->problem),
					 "an entry lacks a member or has one of the wrong type");
				break;
			}
			if (ch[c].finished) {
				if (ch[c].v.res.ok)
					fail(&ch[c].v, e.seq, "entry follows the head of its chain");
			} else {
				audit_verifier_feed(&ch[c].v, &e, hash);
			}
		} else if (type && strcmp(type, "head") == 0) {
			const char *h = json_string_value(json_object_get(o, "hash"));
			int64_t seq = json_integer_value(json_object_get(o, "seq"));
			audit_verifier_finish(&ch[c].v, seq, seq ? h : NULL);
			ch[c].finished = true;
		} else {
			json_decref(o);
			snprintf(out->problem, sizeof(out->problem),
				 "unknown line type (expected export, entry or head)");
			break;
		}
		json_decref(o);
	}
	free(line);
	if (out->problem[0])
		out->bad_line = lineno;
	bool read_error = ferror(in) != 0;
	for (int c = 0; c < n; c++) {
		if (!ch[c].finished && ch[c].v.res.ok)
			fail(&ch[c].v, ch[c].v.res.head_seq + 1,
			     "the chain has no head line (the export was cut short)");
		out->chains[c].org_id = ch[c].org_id;
		out->chains[c].res = ch[c].v.res;
		out->chains[c].has_head = ch[c].finished;
	}
	out->nchains = n;
	free(ch);
	return read_error ? SIRT_EIO : 0;
}
