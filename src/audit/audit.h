/*
 * The tamper-evident audit trail. Every state-changing action appends an
 * entry in the same transaction as the change. Entries form one hash chain
 * per organisation (org 0 for installation-wide events):
 *
 *   hash = SHA-256(canonical(entry) || prev_hash)
 *
 * where canonical() is the length-prefixed concatenation of seq, ts, org,
 * actor, action, object type, object id, details (compact JSON with sorted
 * keys), request id and client address ("<len>:<bytes>" for each), so no
 * two different entries share an encoding. The first entry's prev_hash is 64
 * zeros. audit_head keeps the newest seq and hash so removing the tail is
 * detected too.
 */
#ifndef SIRT_AUDIT_H
#define SIRT_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/db.h"
#include "util/strbuf.h"

/* Who did it and through which request; strings are borrowed. */
struct audit_ctx {
	const char *actor;       /* "user:alice@example.com", "token:<id>", "cli:root", "system" */
	const char *request_id;  /* may be "" */
	const char *client_addr; /* may be "" */
};

struct audit_entry {
	int64_t org_id;
	int64_t seq;
	int64_t ts;
	const char *actor;
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *details;
	const char *request_id;
	const char *client_addr;
	const char *prev_hash;
};

/* details is borrowed and may be NULL (stored as {}). */
int audit_append(struct db *db, const struct audit_ctx *ctx, int64_t org_id, const char *action,
		 const char *object_type, const char *object_id, json_t *details) WUR;

void audit_entry_hash(const struct audit_entry *e, char out[65]);

struct audit_verify_result {
	bool ok;
	int64_t entries;    /* entries checked */
	int64_t first_bad;  /* seq of the first bad entry, 0 when ok */
	char problem[256];  /* what is wrong with it */
	char head_hash[65]; /* hash of the newest entry */
	int64_t head_seq;
};

/* Iterates rows ordered by seq: the caller feeds each entry in turn. */
struct audit_verifier {
	int64_t expect_seq;
	char prev_hash[65];
	char prev_prev_hash[65]; /* to tell an inserted entry from a changed one */
	struct audit_verify_result res;
};

void audit_verifier_init(struct audit_verifier *v);
/* Returns false once a bad entry has been found (result filled in). */
bool audit_verifier_feed(struct audit_verifier *v, const struct audit_entry *e,
			 const char *stored_hash);
/* Compares with the recorded head; call after the last entry. */
void audit_verifier_finish(struct audit_verifier *v, int64_t head_seq, const char *head_hash);

/* Verifies org_id's chain in the database against its recorded head and
 * against the stored checkpoints of the chain (their hashes; signatures are
 * checked by audit_checkpoint_verify). */
int audit_verify_db(struct db *db, int64_t org_id, struct audit_verify_result *out) WUR;

/* An entry as one JSON object (the export line format, see docs/security.md);
 * hash is the stored hash. */
json_t *audit_entry_json(const struct audit_entry *e, const char *hash);
/* Reads an entry back from that object; strings are borrowed from it.
 * SIRT_EINVAL when a member is missing or of the wrong type. */
int audit_entry_from_json(json_t *o, struct audit_entry *e, const char **hash) WUR;

/*
 * Export: JSON lines. One {"type":"export",...} header, then for each chain
 * (org 0 first, then by organisation id) its entries in chain order as
 * {"type":"entry",...} and its head as {"type":"head","org_id","seq","hash"}.
 * org_id < 0 exports every chain. *count gets the number of entries.
 */
int audit_export(struct db *db, int64_t org_id, FILE *out, int64_t *count) WUR;

#define AUDIT_FILE_CHAINS 64
struct audit_file_result {
	int nchains;
	struct {
		int64_t org_id;
		struct audit_verify_result res;
		bool has_head;
	} chains[AUDIT_FILE_CHAINS];
	char problem[256]; /* a malformed file: line and what is wrong; "" if parsed */
	int64_t bad_line;
};
/* Verifies an export offline. Returns 0 when the file could be read (check
 * each chain's res.ok and problem[]), SIRT_EIO otherwise. */
int audit_verify_file(FILE *in, struct audit_file_result *out) WUR;

#endif
