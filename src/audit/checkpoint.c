#include "audit/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rand.h"
#include "util/signkey.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define KEY_MAGIC "sirt-audit-ed25519-seed"

static void message(const struct audit_checkpoint *cp, struct strbuf *sb);

int audit_key_load(const char *path, bool create, struct audit_key *k, char *err, size_t errlen)
{
	struct sign_key sk;
	int rc = sign_key_load(path, KEY_MAGIC, "audit key", create, &sk, err, errlen);
	if (rc == 0) {
		memcpy(k->sk, sk.sk, sizeof(k->sk));
		memcpy(k->pk, sk.pk, sizeof(k->pk));
	}
	sodium_memzero(&sk, sizeof(sk));
	return rc;
}

int audit_public_key_parse(const char *arg, unsigned char pk[32], char *err, size_t errlen)
{
	return sign_public_key_parse(arg, pk, err, errlen);
}

static void message(const struct audit_checkpoint *cp, struct strbuf *sb)
{
	sb_printf(sb, "%s\norg_id=%lld\nseq=%lld\nhash=%s\nts=%lld\n", CHECKPOINT_FORMAT,
		  (long long)cp->org_id, (long long)cp->seq, cp->hash, (long long)cp->ts);
}

void audit_checkpoint_sign(struct audit_checkpoint *cp, const struct audit_key *k)
{
	struct strbuf sb;
	sb_init(&sb, 1024);
	message(cp, &sb);
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const unsigned char *)sb_str(&sb), sb.len, k->sk);
	sb_free(&sb);
	hex_encode(cp->signature, sig, sizeof(sig));
	hex_encode(cp->public_key, k->pk, sizeof(k->pk));
}

bool audit_checkpoint_verify(const struct audit_checkpoint *cp, const unsigned char pk[32])
{
	unsigned char sig[crypto_sign_BYTES], named[32];
	size_t bin = 0;
	if (sodium_hex2bin(sig, sizeof(sig), cp->signature, strlen(cp->signature), NULL, &bin,
			   NULL) != 0 ||
	    bin != sizeof(sig))
		return false;
	if (sodium_hex2bin(named, sizeof(named), cp->public_key, strlen(cp->public_key), NULL,
			   &bin, NULL) != 0 ||
	    bin != sizeof(named) || sodium_memcmp(named, pk, 32) != 0)
		return false;
	struct strbuf sb;
	sb_init(&sb, 1024);
	message(cp, &sb);
	bool ok = sb_status(&sb) == 0 &&
		  crypto_sign_verify_detached(sig, (const unsigned char *)sb_str(&sb), sb.len,
					      pk) == 0;
	sb_free(&sb);
	return ok;
}

json_t *audit_checkpoint_json(const struct audit_checkpoint *cp, const char *org_name)
{
	char ts[ISO8601_LEN];
	time_format_iso8601(cp->ts, ts);
	json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:s}", "format",
			      CHECKPOINT_FORMAT, "org_id", (json_int_t)cp->org_id, "seq",
			      (json_int_t)cp->seq, "hash", cp->hash, "ts", (json_int_t)cp->ts,
			      "time", ts, "public_key", cp->public_key, "signature", cp->signature);
	if (org_name)
		json_object_set_new(o, "org", json_string(org_name));
	return o;
}

int audit_checkpoint_from_json(json_t *o, struct audit_checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	const char *fmt = json_string_value(json_object_get(o, "format"));
	json_t *org = json_object_get(o, "org_id"), *seq = json_object_get(o, "seq"),
	       *ts = json_object_get(o, "ts");
	const char *hash = json_string_value(json_object_get(o, "hash"));
	const char *pk = json_string_value(json_object_get(o, "public_key"));
	const char *sig = json_string_value(json_object_get(o, "signature"));
	if (!fmt || strcmp(fmt, CHECKPOINT_FORMAT) != 0 || !json_is_integer(org) ||
	    !json_is_integer(seq) || !json_is_integer(ts) || !hash || strlen(hash) != 64 || !pk ||
	    strlen(pk) != 64 || !sig || strlen(sig) != 128)
		return SIRT_EINVAL;
	cp->org_id = json_integer_value(org);
	cp->seq = json_integer_value(seq);
	cp->ts = json_integer_value(ts);
	memcpy(cp->hash, hash, 65);
	memcpy(cp->public_key, pk, 65);
	memcpy(cp->signature, sig, 129);
	return 0;
}

int audit_checkpoint_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			    const struct audit_key *k, struct audit_checkpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->org_id = org_id;
	struct db_res *r;
	int rc = db_query(db, &r, "SELECT seq, hash FROM audit_head WHERE org_id = $1", 1,
			  DBV(DB_INT(org_id)));
	if (rc < 0)
		return rc;
	if (!db_next(r)) {
		db_res_free(r);
		return SIRT_ENOTFOUND;
	}
	out->seq = db_int(r, 0);
	snprintf(out->hash, sizeof(out->hash), "%s", db_text(r, 1));
	db_res_free(r);
	out->ts = time_now();
	audit_checkpoint_sign(out, k);
	rc = db_exec(db,
		     "INSERT INTO audit_checkpoints(org_id, seq, hash, ts, public_key, signature)"
		     " VALUES ($1, $2, $3, $4, $5, $6)",
		     6,
		     DBV(DB_INT(org_id), DB_INT(out->seq), DB_TEXT(out->hash), DB_INT(out->ts),
			 DB_TEXT(out->public_key), DB_TEXT(out->signature)));
	if (rc < 0)
		return rc;
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)out->seq);
	json_t *d = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)out->seq, "hash", out->hash,
			      "public_key", out->public_key);
	rc = audit_append(db, ac, org_id, "audit.checkpoint", "checkpoint", id, d);
	json_decref(d);
	return rc;
}

int audit_checkpoint_list(struct db *db, int64_t org_id, int limit, json_t **out)
{
	struct db_res *r;
	int rc = db_query(db, &r,
			  "SELECT org_id, seq, hash, ts, public_key, signature FROM audit_checkpoints"
			  " WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
			  2, DBV(DB_INT(org_id), DB_INT(limit)));
	if (rc < 0)
		return rc;
	json_t *a = json_array();
	while (db_next(r)) {
		struct audit_checkpoint cp = {.org_id = db_int(r, 0), .seq = db_int(r, 1),
					      .ts = db_int(r, 3)};
		snprintf(cp.hash, sizeof(cp.hash), "%s", db_text(r, 2));
		snprintf(cp.public_key, sizeof(cp.public_key), "%s", db_text(r, 4));
		snprintf(cp.signature, sizeof(cp.signature), "%s", db_text(r, 5));
		json_array_append_new(a, audit_checkpoint_json(&cp, NULL));
	}
	db_res_free(r);
	*out = a;
	return 0;
}
