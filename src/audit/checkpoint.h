/*
 * Signed checkpoints of the audit trail.
 *
 * A checkpoint is the head of one chain (organisation, sequence number and
 * hash of the newest entry) at a time, signed with Ed25519. The signing key
 * lives in a file outside the database (by default audit-ed25519.key in the
 * data directory; --audit-key / SIRT_AUDIT_KEY), created on first use with
 * mode 0600; anyone holding the public key can check that an exported chain
 * contains the signed head, so rewriting the database (even consistently,
 * with new hashes) is detected against a checkpoint published elsewhere.
 *
 * The signed message is the text
 *   "sirt-audit-checkpoint/1\norg_id=<n>\nseq=<n>\nhash=<64 hex>\nts=<epoch s>\n"
 * Key file: the line "sirt-audit-ed25519-seed" then the 32-byte seed in hex.
 */
#ifndef SIRT_CHECKPOINT_H
#define SIRT_CHECKPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "store/db.h"
#include "util/err.h"

#define CHECKPOINT_FORMAT "sirt-audit-checkpoint/1"

struct audit_key {
	unsigned char sk[64];
	unsigned char pk[32];
};

struct audit_checkpoint {
	int64_t org_id;
	int64_t seq;
	int64_t ts;
	char hash[65];
	char public_key[65]; /* hex */
	char signature[129]; /* hex */
};

/* Loads the key file, creating it (0600) when create is set and it does
 * not exist. Refuses a key file that others may read. */
int audit_key_load(const char *path, bool create, struct audit_key *k, char *err,
		   size_t errlen) WUR;
/* A public key from 64 hex characters or from a file holding them. */
int audit_public_key_parse(const char *text_or_path, unsigned char pk[32], char *err,
			   size_t errlen) WUR;

void audit_checkpoint_sign(struct audit_checkpoint *cp, const struct audit_key *k);
/* Signature valid under pk (and cp->public_key names pk). */
bool audit_checkpoint_verify(const struct audit_checkpoint *cp, const unsigned char pk[32]);
json_t *audit_checkpoint_json(const struct audit_checkpoint *cp, const char *org_name);
int audit_checkpoint_from_json(json_t *o, struct audit_checkpoint *cp) WUR;

/* Signs the current head of org_id's chain and stores the checkpoint (with
 * its audit entry) in the caller's transaction. */
int audit_checkpoint_create(struct db *db, const struct audit_ctx *ac, int64_t org_id,
			    const struct audit_key *k, struct audit_checkpoint *out) WUR;
/* The stored checkpoints of org_id, newest first, as JSON. */
int audit_checkpoint_list(struct db *db, int64_t org_id, int limit, json_t **out) WUR;

#endif
