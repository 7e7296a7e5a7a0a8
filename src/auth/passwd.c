#include "auth/passwd.h"

#include <sodium.h>
#include <string.h>

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

int passwd_hash(const char *password, char out[PASSWD_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, password, strlen(password), OPS, MEM,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SIRT_ETOOBIG; /* out of memory for the hash */
	return 0;
}

bool passwd_verify(const char *hash, const char *password)
{
	if (!hash || !*hash)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool passwd_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, OPS, MEM) != 0;
}

void passwd_generate(char *out, size_t n)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[n] = '\0';
}
