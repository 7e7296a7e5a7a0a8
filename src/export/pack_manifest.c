/*
 * The pack's signing key, its manifest and the verification of a pack.
 *
 * Key file: the line PACK_KEY_MAGIC, then the 32-byte Ed25519 seed in hex;
 * mode 0600, created on first use with O_EXCL. The signature is detached:
 * manifest.json.sig holds the 128-hex-character Ed25519 signature of the
 * exact bytes of manifest.json, and manifest.json names the public key.
 * Checking against the key inside the pack proves the pack is intact since
 * it was signed; checking against a key obtained elsewhere (--public-key,
 * `sirt evidence key`) also proves who signed it.
 */
#include "util/signkey.h"
#include "export/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

#define MANIFEST_MAX (64u << 20)

static void problem(struct pack_verify_report *r, const char *path, const char *what,
		    const char *detail);
static int read_member(zip_t *z, const char *name, char **out, size_t *len, size_t max);
static int hash_member(zip_t *z, zip_int64_t idx, char hex[65], int64_t *size);

char *pack_key_path(const char *explicit_path, const char *data_dir)
{
	if (explicit_path && *explicit_path)
		return xstrdup(explicit_path);
	const char *env = getenv("SIRT_EVIDENCE_KEY");
	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/%s", data_dir && *data_dir ? data_dir : ".", PACK_KEY_FILE);
}

void pack_hex(const unsigned char *bin, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, bin, n);
}

int pack_key_load(const char *path, bool create, struct pack_key *k, char *err, size_t errlen)
{
	struct sign_key sk;
	int rc = sign_key_load(path, PACK_KEY_MAGIC, "evidence signing key", create, &sk, err,
			       errlen);
	if (rc == 0) {
		memcpy(k->sk, sk.sk, sizeof(k->sk));
		memcpy(k->pk, sk.pk, sizeof(k->pk));
	}
	sodium_memzero(&sk, sizeof(sk));
	return rc;
}

int pack_public_key_parse(const char *arg, unsigned char pk[32], char *err, size_t errlen)
{
	return sign_public_key_parse(arg, pk, err, errlen);
}

json_t *pack_manifest_json(const struct pack_info *info, const struct pack_file *files, size_t n,
			   const unsigned char pk[32])
{
	char at[ISO8601_LEN], from[ISO8601_LEN], to[ISO8601_LEN], pkhex[65];
	time_format_iso8601(info->generated_at, at);
	time_format_iso8601(info->from, from);
	time_format_iso8601(info->to, to);
	pack_hex(pk, 32, pkhex);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "path", files[i].path,
						     "sha256", files[i].sha256, "size",
						     (json_int_t)files[i].size));
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s, s:s},"
			      " s:o, s:o}",
			      "format", PACK_FORMAT, "generator", info->generator ? info->generator : "sirt",
			      "instance_url", info->instance_url ? info->instance_url : "",
			      "generated_by", info->generated_by ? info->generated_by : "",
			      "generated_at", at, "organisation",
			      info->organisation ? info->organisation : "", "period", "from", from,
			      "to", to, "framework", info->framework ? info->framework : "all",
			      "signature", "algorithm", "Ed25519", "public_key", pkhex, "file",
			      PACK_SIGNATURE, "warnings",
			      info->warnings ? json_deep_copy(info->warnings) : json_array(), "files",
			      arr);
	return m;
}

void pack_sign(const struct pack_key *k, const void *msg, size_t len, char sig_hex[129])
{
	unsigned char sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
	pack_hex(sig, sizeof(sig), sig_hex);
}

bool pack_sig_valid(const unsigned char pk[32], const void *msg, size_t len, const char *sig_hex)
{
	unsigned char sig[crypto_sign_BYTES];
	size_t bin = 0;
	size_t hl = strcspn(sig_hex, "\r\n");
	if (hl != 2 * crypto_sign_BYTES ||
	    sodium_hex2bin(sig, sizeof(sig), sig_hex, hl, NULL, &bin, NULL) != 0 ||
	    bin != sizeof(sig))
		return false;
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

/* ---------------- verification ---------------- */

static void problem(struct pack_verify_report *r, const char *path, const char *what,
		    const char *detail)
{
	r->ok = false;
	json_array_append_new(r->problems, json_pack("{s:s, s:s, s:s}", "path", path, "problem", what,
						     "detail", detail ? detail : ""));
}

static int read_member(zip_t *z, const char *name, char **out, size_t *len, size_t max)
{
	*out = NULL;
	zip_stat_t st;
	if (zip_stat(z, name, 0, &st) != 0)
		return SIRT_ENOTFOUND;
	if (!(st.valid & ZIP_STAT_SIZE) || st.size > max)
		return SIRT_ETOOBIG;
	zip_file_t *f = zip_fopen(z, name, 0);
	if (!f)
		return SIRT_EIO;
	char *buf = xmalloc((size_t)st.size + 1);
	zip_int64_t got = zip_fread(f, buf, st.size);
	zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		return SIRT_EIO;
	}
	buf[st.size] = '\0';
	*out = buf;
	*len = (size_t)st.size;
	return 0;
}

static int hash_member(zip_t *z, zip_int64_t idx, char hex[65], int64_t *size)
{
	zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
	if (!f)
		return SIRT_EIO;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	unsigned char buf[65536];
	int64_t total = 0;
	zip_int64_t n;
	while ((n = zip_fread(f, buf, sizeof(buf))) > 0) {
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		total += n;
	}
	zip_fclose(f);
	if (n < 0)
		return SIRT_EIO; /* includes a CRC mismatch */
	unsigned char d[32];
	crypto_hash_sha256_final(&h, d);
	pack_hex(d, 32, hex);
	*size = total;
	return 0;
}

int pack_verify_zip(const char *zip_path, const unsigned char *expect_pk,
		    struct pack_verify_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->problems = json_array();
	r->ok = true;
	int zerr = 0;
	zip_t *z = zip_open(zip_path, ZIP_RDONLY, &zerr);
	if (!z) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(err, errlen, "%s is not a readable zip file: %s", zip_path,
			 zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return SIRT_EIO;
	}
	char *man = NULL, *sig = NULL;
	size_t manlen = 0, siglen = 0;
	json_t *m = NULL;
	int rc = read_member(z, PACK_MANIFEST, &man, &manlen, MANIFEST_MAX);
	if (rc < 0) {
		snprintf(err, errlen, "%s has no readable %s: it is not a sirt evidence pack",
			 zip_path, PACK_MANIFEST);
		zip_discard(z);
		return SIRT_EINVAL;
	}
	json_error_t je;
	m = json_loadb(man, manlen, JSON_REJECT_DUPLICATES, &je);
	const char *fmt = json_string_value(json_object_get(m, "format"));
	if (!m || !fmt || strcmp(fmt, PACK_FORMAT) != 0) {
		problem(r, PACK_MANIFEST, "manifest_invalid",
			"the manifest is not a sirt-evidence-pack/1 document");
		goto out;
	}
	/* the signature */
	const char *pkhex =
		json_string_value(json_object_get(json_object_get(m, "signature"), "public_key"));
	unsigned char pk[32];
	size_t bin = 0;
	if (!pkhex || strlen(pkhex) != 64 ||
	    sodium_hex2bin(pk, 32, pkhex, 64, NULL, &bin, NULL) != 0 || bin != 32) {
		problem(r, PACK_MANIFEST, "manifest_invalid", "the manifest names no public key");
		goto out;
	}
	snprintf(r->signer, sizeof(r->signer), "%s", pkhex);
	if (expect_pk && sodium_memcmp(expect_pk, pk, 32) != 0) {
		problem(r, PACK_MANIFEST, "wrong_signer",
			"the manifest is signed by a different key than the one given with "
			"--public-key");
	} else if (expect_pk) {
		r->key_trusted = true;
	}
	rc = read_member(z, PACK_SIGNATURE, &sig, &siglen, 4096);
	if (rc < 0) {
		problem(r, PACK_SIGNATURE, "missing", "the signature file is missing");
	} else if (!pack_sig_valid(expect_pk && !r->key_trusted ? expect_pk : pk, man, manlen,
				   sig)) {
		problem(r, PACK_MANIFEST, "signature_invalid",
			"the signature does not match manifest.json: the manifest (or its "
			"signature) was changed after signing");
	} else {
		r->signature_ok = true;
	}
	/* every listed file */
	json_t *files = json_object_get(m, "files");
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		if (!path || !want)
			continue;
		zip_int64_t idx = zip_name_locate(z, path, 0);
		if (idx < 0) {
			problem(r, path, "missing", "listed in the manifest but not in the pack");
			continue;
		}
		char got[65];
		int64_t size = 0;
		if (hash_member(z, idx, got, &size) < 0) {
			problem(r, path, "unreadable", "the zip member cannot be read (damaged)");
			continue;
		}
		r->files_checked++;
		if (strcmp(got, want) != 0) {
			char d[200];
			snprintf(d, sizeof(d), "SHA-256 is %.16s…, the manifest says %.16s…", got,
				 want);
			problem(r, path, "changed", d);
		}
	}
	/* files nobody listed */
	zip_int64_t n = zip_get_num_entries(z, 0);
	for (zip_int64_t k = 0; k < n; k++) {
		const char *name = zip_get_name(z, (zip_uint64_t)k, 0);
		if (!name || !strcmp(name, PACK_MANIFEST) || !strcmp(name, PACK_SIGNATURE))
			continue;
		size_t len = strlen(name);
		if (len && name[len - 1] == '/')
			continue; /* a directory entry */
		bool listed = false;
		json_array_foreach(files, i, f) {
			const char *path = json_string_value(json_object_get(f, "path"));
			if (path && !strcmp(path, name)) {
				listed = true;
				break;
			}
		}
		if (!listed)
			problem(r, name, "added", "in the pack but not listed in the manifest");
	}
out:
	json_decref(m);
	free(man);
	free(sig);
	zip_discard(z);
	return 0;
}

void pack_verify_report_free(struct pack_verify_report *r)
{
	json_decref(r->problems);
	r->problems = NULL;
}
