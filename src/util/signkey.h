/*
 * Ed25519 signing keys kept in files outside the database (the audit trail's
 * checkpoints, the evidence pack's manifest). The file holds a magic line
 * naming its use and the 32-byte seed in hex; it is created on first use
 * with mode 0600, and refused when other users could read it.
 */
#ifndef SIRT_SIGNKEY_H
#define SIRT_SIGNKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct sign_key {
	unsigned char sk[64];
	unsigned char pk[32];
};

/* what: "audit key", "evidence signing key" — used in messages. */
int sign_key_load(const char *path, const char *magic, const char *what, bool create,
		  struct sign_key *k, char *err, size_t errlen) WUR;
/* A public key from 64 hex characters or from a file holding them on a line. */
int sign_public_key_parse(const char *text_or_path, unsigned char pk[32], char *err,
			  size_t errlen) WUR;

#endif
