/*
 * Notification settings and channel secrets at rest.
 *
 * A sealed secret is: 0x01 (format version) || 24-byte nonce ||
 * crypto_secretbox_easy(plaintext). The key file holds the 32-byte key as 64
 * hex digits and a newline; it is created with mode 0600 (O_EXCL, so two
 * nodes starting together cannot both write one) and refused when group or
 * others may read it.
 */
#include "notify/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rand.h"
#include "util/xalloc.h"

#define SEAL_VERSION 1

static int key_load_locked(const char **why);
static int key_read(const char *path, unsigned char key[32], const char **why);
static int key_create(const char *path, unsigned char key[32], const char **why);

static struct notify_settings g_settings;
static bool g_inited;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

int notify_init(const struct config *cfg, const char **why)
{
	int rc = 0;
	pthread_mutex_lock(&g_lock);
	if (g_inited)
		goto out;
	struct notify_settings *s = &g_settings;
	memset(s, 0, sizeof(*s));
	if (cfg->notify_key_file && *cfg->notify_key_file)
		snprintf(s->key_path, sizeof(s->key_path), "%s", cfg->notify_key_file);
	else
		snprintf(s->key_path, sizeof(s->key_path), "%s/notify.key",
			 cfg->data_dir ? cfg->data_dir : "data");
	if (cfg->notify_allow && *cfg->notify_allow) {
		rc = notify_cidr_parse_list(cfg->notify_allow, s->allow, NOTIFY_MAX_ALLOW, &s->nallow,
					    why);
		if (rc < 0)
			goto out;
	}
	s->max_attempts = cfg->notify_max_attempts > 0 ? cfg->notify_max_attempts : 8;
	s->retry_base = cfg->notify_retry_base > 0 ? cfg->notify_retry_base : 30;
	s->retry_max = cfg->notify_retry_max > 0 ? cfg->notify_retry_max : 3600;
	if (s->retry_max < s->retry_base)
		s->retry_max = s->retry_base;
	snprintf(s->base_url, sizeof(s->base_url), "%s", cfg->base_url ? cfg->base_url : "");
	size_t bl = strlen(s->base_url);
	while (bl && s->base_url[bl - 1] == '/')
		s->base_url[--bl] = '\0';
	char host[64] = "sirt", rnd[9];
	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	rand_hex(rnd, 4);
	snprintf(s->node, sizeof(s->node), "%s:%ld:%s", host, (long)getpid(), rnd);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	g_inited = true;
out:
	pthread_mutex_unlock(&g_lock);
	return rc;
}

bool notify_settings_ready(void)
{
	pthread_mutex_lock(&g_lock);
	bool r = g_inited;
	pthread_mutex_unlock(&g_lock);
	return r;
}

const struct notify_settings *notify_settings(void)
{
	if (!g_inited)
		fatal("notify_settings() before notify_init()");
	return &g_settings;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int key_read(const char *path, unsigned char key[32], const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*why = "cannot open the notification key file";
		return errno == ENOENT ? SIRT_ENOTFOUND : SIRT_EIO;
	}
	struct stat st;
	char buf[80];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077))
		n = read(fd, buf, sizeof(buf));
	else
		*why = "the notification key file must be a regular file of mode 0600";
	close(fd);
	if (n < 0)
		return SIRT_EPERM;
	if (n < 64) {
		*why = "the notification key file is not 64 hex digits";
		return SIRT_EINVAL;
	}
	for (int i = 0; i < 32; i++) {
		int h = hexval(buf[2 * i]), l = hexval(buf[2 * i + 1]);
		if (h < 0 || l < 0) {
			*why = "the notification key file is not 64 hex digits";
			sodium_memzero(buf, sizeof(buf));
			return SIRT_EINVAL;
		}
		key[i] = (unsigned char)(h << 4 | l);
	}
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static int key_create(const char *path, unsigned char key[32], const char **why)
{
	/* The directory of a default path may not exist yet. */
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		(void)mkdir(dir, 0700);
		free(dir);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return key_read(path, key, why);
		*why = "cannot create the notification key file";
		return SIRT_EIO;
	}
	randombytes_buf(key, 32);
	char hex[66];
	hex_encode(hex, key, 32);
	hex[64] = '\n';
	hex[65] = '\0';
	int rc = 0;
	if (write(fd, hex, 65) != 65 || fsync(fd) != 0) {
		*why = "cannot write the notification key file";
		rc = SIRT_EIO;
	}
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return rc;
}

static int key_load_locked(const char **why)
{
	if (g_settings.have_key)
		return 0;
	int rc = key_read(g_settings.key_path, g_settings.key, why);
	if (rc == SIRT_ENOTFOUND)
		rc = key_create(g_settings.key_path, g_settings.key, why);
	if (rc == 0)
		g_settings.have_key = true;
	return rc;
}

int notify_seal(const char *plain, size_t len, unsigned char **out, size_t *outlen,
		const char **why)
{
	pthread_mutex_lock(&g_lock);
	int rc = g_inited ? key_load_locked(why) : SIRT_EINVAL;
	pthread_mutex_unlock(&g_lock);
	if (rc < 0)
		return rc;
	size_t n = 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	unsigned char *b = xmalloc(n);
	b[0] = SEAL_VERSION;
	randombytes_buf(b + 1, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(b + 1 + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain,
			      len, b + 1, g_settings.key);
	*out = b;
	*outlen = n;
	return 0;
}

int notify_open(const void *sealed, size_t len, char **out, const char **why)
{
	pthread_mutex_lock(&g_lock);
	int rc = g_inited ? key_load_locked(why) : SIRT_EINVAL;
	pthread_mutex_unlock(&g_lock);
	if (rc < 0)
		return rc;
	const unsigned char *b = sealed;
	size_t head = 1 + crypto_secretbox_NONCEBYTES;
	if (len < head + crypto_secretbox_MACBYTES || b[0] != SEAL_VERSION) {
		*why = "a stored channel secret is damaged";
		return SIRT_EINVAL;
	}
	size_t plen = len - head - crypto_secretbox_MACBYTES;
	char *p = xmalloc(plen + 1);
	if (crypto_secretbox_open_easy((unsigned char *)p, b + head, len - head, b + 1,
				       g_settings.key) != 0) {
		free(p);
		*why = "a stored channel secret cannot be opened: is this the key file it was"
		       " sealed with?";
		return SIRT_EPERM;
	}
	p[plen] = '\0';
	*out = p;
	return 0;
}

void notify_secret_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}
