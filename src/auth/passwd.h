/* Argon2id password hashing (libsodium). */
#ifndef SIRT_PASSWD_H
#define SIRT_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define PASSWD_HASH_MAX 128

int passwd_hash(const char *password, char out[PASSWD_HASH_MAX]) WUR;
bool passwd_verify(const char *hash, const char *password);
/* True when the stored hash uses weaker parameters than today's. */
bool passwd_needs_rehash(const char *hash);
/* A random password of n characters (no look-alike characters). */
void passwd_generate(char *out, size_t n);

#endif
