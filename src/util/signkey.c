#include "util/signkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rand.h"

static int write_new_key(const char *path, const char *magic, const char *what, char *err,
			 size_t errlen)
{
	unsigned char seed[32];
	char hex[65];
	randombytes_buf(seed, sizeof(seed));
	hex_encode(hex, seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sodium_memzero(hex, sizeof(hex));
		if (errno == EEXIST)
			return 0; /* created meanwhile by another process */
		snprintf(err, errlen, "cannot create the %s %s: %s", what, path, strerror(errno));
		return SIRT_EIO;
	}
	char text[160];
	int n = snprintf(text, sizeof(text), "%s\n%s\n", magic, hex);
	sodium_memzero(hex, sizeof(hex));
	bool ok = n > 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	sodium_memzero(text, sizeof(text));
	int e = errno;
	if (close(fd) != 0)
		ok = false;
	if (!ok) {
		unlink(path);
		snprintf(err, errlen, "cannot write the %s %s: %s", what, path, strerror(e));
		return SIRT_EIO;
	}
	return 0;
}

int sign_key_load(const char *path, const char *magic, const char *what, bool create,
		  struct sign_key *k, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !create) {
			snprintf(err, errlen, "cannot read the %s %s: %s", what, path,
				 strerror(errno));
			return SIRT_EIO;
		}
		int rc = write_new_key(path, magic, what, err, errlen);
		if (rc < 0)
			return rc;
		if (stat(path, &st) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return SIRT_EIO;
		}
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "the %s %s may be read by other users (mode %03o): chmod 600 it",
			 what, path, (unsigned)(st.st_mode & 0777));
		return SIRT_EPERM;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "cannot read the %s %s: %s", what, path, strerror(errno));
		return SIRT_EIO;
	}
	char l1[96] = "", l2[160] = "";
	bool ok = fgets(l1, sizeof(l1), f) && fgets(l2, sizeof(l2), f);
	fclose(f);
	unsigned char seed[32];
	size_t bin = 0, ml = strlen(magic);
	ok = ok && strncmp(l1, magic, ml) == 0 && l1[ml] == '\n' && l1[ml + 1] == '\0' &&
	     sodium_hex2bin(seed, sizeof(seed), l2, strlen(l2), "\n", &bin, NULL) == 0 &&
	     bin == sizeof(seed);
	sodium_memzero(l2, sizeof(l2));
	if (!ok) {
		snprintf(err, errlen, "%s is not a sirt %s file", path, what);
		return SIRT_EINVAL;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

int sign_public_key_parse(const char *arg, unsigned char pk[32], char *err, size_t errlen)
{
	size_t bin = 0;
	if (strlen(arg) == 64 && sodium_hex2bin(pk, 32, arg, 64, NULL, &bin, NULL) == 0 && bin == 32)
		return 0;
	FILE *f = fopen(arg, "re");
	if (!f) {
		snprintf(err, errlen, "--public-key: neither 64 hex characters nor a readable file");
		return SIRT_EINVAL;
	}
	char line[256];
	int rc = SIRT_EINVAL;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 64 && sodium_hex2bin(pk, 32, line, 64, NULL, &bin, NULL) == 0 && bin == 32) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	if (rc < 0)
		snprintf(err, errlen, "--public-key: %s holds no public key (64 hex characters on a line)",
			 arg);
	return rc;
}
