#ifndef SIRT_RAND_H
#define SIRT_RAND_H

#include <stddef.h>

/* Time-ordered v7 UUID text (36 chars + NUL), random bits from libsodium's
 * CSPRNG. */
void rand_uuid(char out[37]);
/* n random bytes as lower-case hex (2n chars + NUL). */
void rand_hex(char *out, size_t nbytes);
/* Lower-case hex of a buffer; out holds 2n+1 bytes. */
void hex_encode(char *out, const unsigned char *in, size_t n);
/* SHA-256 of a buffer as 64 hex chars + NUL. */
void sha256_hex(char out[65], const void *data, size_t len);

#endif
