/*
 * The auditor's evidence pack: one zip file holding, for a period, the
 * documents that evidence the incident-response controls (Microsoft 365
 * Certification 25-27, SOC 2 CC7.3-CC7.5, ISO/IEC 27001:2022 A.5.24-A.5.28
 * and A.6.8), an index mapping each control to its documents, and a manifest
 * of SHA-256 hashes signed with Ed25519. docs/evidence-pack.md describes the
 * contents for users.
 *
 * Writing (pack_out): every member is written to a staging directory next
 * to the target as it is produced (hashed on the way, never held whole in
 * memory), then libzip streams the members from there into a temporary zip
 * next to the target, which is renamed over the requested name only when
 * complete. On any failure the staging directory and the temporary zip are
 * removed: no half-written pack is ever left under the requested name.
 */
#ifndef SIRT_PACK_H
#define SIRT_PACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* ---------------- signing key ---------------- */

#define PACK_KEY_FILE "evidence-ed25519.key"
#define PACK_KEY_MAGIC "sirt-evidence-ed25519-seed"

struct pack_key {
	unsigned char sk[64];
	unsigned char pk[32];
};

/* The key file: explicit (--evidence-key) > SIRT_EVIDENCE_KEY > data_dir/PACK_KEY_FILE.
 * Returns a new string. */
char *pack_key_path(const char *explicit_path, const char *data_dir);
/* Loads the key, creating it (mode 0600) when create is set and there is
 * none. Refuses a key file others may read. */
int pack_key_load(const char *path, bool create, struct pack_key *k, char *err,
		  size_t errlen) WUR;
void pack_hex(const unsigned char *bin, size_t n, char *out);
/* 64 hex characters, or a file whose first such line is the key. */
int pack_public_key_parse(const char *text_or_path, unsigned char pk[32], char *err,
			  size_t errlen) WUR;

/* ---------------- manifest ---------------- */

#define PACK_FORMAT "sirt-evidence-pack/1"
#define PACK_MANIFEST "manifest.json"
#define PACK_SIGNATURE "manifest.json.sig"

struct pack_file {
	char *path;       /* inside the zip, '/'-separated */
	char sha256[65];  /* hex */
	int64_t size;
};

struct pack_info {
	const char *generator;    /* "sirt 0.1.0" */
	const char *instance_url;
	const char *generated_by;
	int64_t generated_at;
	const char *organisation;
	int64_t from, to;         /* the period, inclusive */
	const char *framework;
	json_t *warnings;         /* borrowed; may be NULL */
};

/* The manifest document (new reference). */
json_t *pack_manifest_json(const struct pack_info *info, const struct pack_file *files, size_t n,
			   const unsigned char pk[32]);
/* Detached Ed25519 signature of msg as 128 hex characters. */
void pack_sign(const struct pack_key *k, const void *msg, size_t len, char sig_hex[129]);
bool pack_sig_valid(const unsigned char pk[32], const void *msg, size_t len, const char *sig_hex);

/* ---------------- verification ---------------- */

struct pack_verify_report {
	bool ok;
	bool signature_ok;
	bool key_trusted;      /* --public-key given and it matches the signer */
	char signer[65];       /* public key named in the manifest (hex) */
	int files_checked;
	json_t *problems;      /* array of {"path", "problem": "changed"|"missing"|"added"|...,
				* "detail"} (owned; pack_verify_report_free) */
};

/* Checks every hash and the signature of a pack. expect_pk may be NULL.
 * Returns 0 when the check could run (report->ok tells the outcome) or
 * SIRT_EIO / SIRT_EINVAL with err when the file is not a readable pack. */
int pack_verify_zip(const char *zip_path, const unsigned char *expect_pk,
		    struct pack_verify_report *report, char *err, size_t errlen) WUR;
void pack_verify_report_free(struct pack_verify_report *r);

/* ---------------- writing ---------------- */

struct pack_out;
struct pack_member;

int pack_out_open(const char *final_path, struct pack_out **out, char *err, size_t errlen) WUR;
/* Starts a member file (sub-directories are created). */
int pack_member_open(struct pack_out *o, const char *path, struct pack_member **m) WUR;
int pack_member_write(struct pack_member *m, const void *data, size_t len) WUR;
int pack_member_printf(struct pack_member *m, const char *fmt, ...) PRINTF(2, 3) WUR;
/* Closes the member and records its hash; the member is gone afterwards. */
int pack_member_close(struct pack_member *m) WUR;
/* A whole small member at once. */
int pack_out_put(struct pack_out *o, const char *path, const void *data, size_t len) WUR;
/* The members recorded so far. */
const struct pack_file *pack_out_files(const struct pack_out *o, size_t *n);
bool pack_out_has(const struct pack_out *o, const char *path);
/* Zips every member into the temporary zip and renames it over the final
 * path; frees o either way (the reason of a failure goes to why). *size and
 * sha256 (may be NULL) describe the zip. */
int pack_out_finish(struct pack_out *o, int64_t mtime, int64_t *size, char sha256[65], char *why,
		    size_t whylen) WUR;
/* Removes everything written; frees o. */
void pack_out_abort(struct pack_out *o);
/* Why the last call failed (a sentence). */
const char *pack_out_why(const struct pack_out *o);

/* ---------------- building ---------------- */

struct pack_opts {
	int64_t org_id;
	const char *org_name;
	int64_t from, to;          /* inclusive epoch seconds */
	const char *framework;     /* m365, soc2, iso27001 or all */
	const char *generated_by;
	const char *base_url;
	const char *key_path;      /* the signing key (created on first use) */
	const char *out_path;      /* the .zip to write */
	int64_t now;               /* generation time */
	int max_reports;           /* 0 = PACK_MAX_REPORTS */
};

#define PACK_MAX_REPORTS 1000

struct pack_result {
	json_t *warnings;          /* [{"kind": "stale"|"gap", "area", "message"}] (owned) */
	int64_t incidents;
	int reports;
	int reports_omitted;
	int files;
	int64_t size;
	char sha256[65];           /* of the zip */
	char public_key[65];
	int64_t unknown_glyphs;    /* characters the installed fonts could not show */
	char why[512];             /* the reason of a failure */
};

/* Asks a running build to stop (async-signal-safe: call it from a SIGINT /
 * SIGTERM handler); the build then fails and removes what it wrote. */
void pack_cancel(void);
bool pack_cancelled(void);

/* Builds the pack. The caller's db must be a reader connection; the build
 * runs in one read snapshot. Failure: a negative code with res->why. */
int pack_build(struct db *db, const struct pack_opts *o, struct pack_result *res) WUR;
void pack_result_free(struct pack_result *res);

/* Parses --from/--to: YYYY-MM-DD (to: end of that day) or RFC 3339.
 * SIRT_EINVAL with a sentence. */
int pack_parse_period(const char *from, const char *to, int64_t *f, int64_t *t, char *why,
		      size_t whylen) WUR;
bool pack_framework_valid(const char *fw);

#endif
