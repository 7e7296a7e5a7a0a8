#include "util/rand.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

void hex_encode(char *out, const unsigned char *in, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random
 * bits. Ids made one after the other sort together, so a new row's id lands
 * at the right edge of its unique index instead of on a random page of it:
 * at a thousand incidents a second that is the difference between dirtying
 * one index page per group commit and one per incident. */
void rand_uuid(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void rand_hex(char *out, size_t nbytes)
{
	unsigned char b[64];
	while (nbytes > 0) {
		size_t n = nbytes > sizeof(b) ? sizeof(b) : nbytes;
		randombytes_buf(b, n);
		hex_encode(out, b, n);
		out += 2 * n;
		nbytes -= n;
	}
}

void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	hex_encode(out, h, sizeof(h));
}
