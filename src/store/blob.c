/* The blob store: filesystem and PostgreSQL large-object backends (blob.h). */
#include "store/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rand.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CHUNK (1u << 20)

struct blob_store {
	bool db;
	char *root; /* <data-dir>/evidence */
	char *tmp;  /* <data-dir>/evidence/tmp */
};

struct blob_tmp {
	struct blob_store *bs;
	int fd;
	char *name; /* NULL when nameless (O_TMPFILE) */
	crypto_hash_sha256_state h;
	int64_t size;
	bool finished;
	char sha[65];
};

static int mkdirs(const char *path);
static int tmp_file(struct blob_store *bs, int *fd, char **name);
static int fsync_dir(const char *dir);

static int mkdirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return SIRT_EINVAL;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return SIRT_EIO;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return SIRT_EIO;
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return SIRT_EIO;
	int rc = fsync(fd) == 0 ? 0 : SIRT_EIO;
	close(fd);
	return rc;
}

bool blob_sha_valid(const char *sha)
{
	if (!sha || strlen(sha) != 64)
		return false;
	for (const char *p = sha; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int blob_store_open(const char *kind, const char *data_dir, struct blob_store **out, char *err,
		    size_t errlen)
{
	if (strcmp(kind, "fs") != 0 && strcmp(kind, "db") != 0) {
		snprintf(err, errlen, "blob store must be fs or db, not '%s'", kind);
		return SIRT_EINVAL;
	}
	struct blob_store *bs = xcalloc(1, sizeof(*bs));
	bs->db = strcmp(kind, "db") == 0;
	bs->root = xasprintf("%s/evidence", data_dir);
	bs->tmp = xasprintf("%s/evidence/tmp", data_dir);
	if (mkdirs(bs->tmp) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", bs->tmp, strerror(errno));
		blob_store_close(bs);
		return SIRT_EIO;
	}
	*out = bs;
	return 0;
}

void blob_store_close(struct blob_store *bs)
{
	if (!bs)
		return;
	free(bs->root);
	free(bs->tmp);
	free(bs);
}

const char *blob_store_kind(const struct blob_store *bs)
{
	return bs->db ? "db" : "fs";
}

int blob_fs_path(const struct blob_store *bs, const char *sha, char *out, size_t outlen)
{
	if (!blob_sha_valid(sha))
		return SIRT_EINVAL;
	if (snprintf(out, outlen, "%s/%.2s/%s", bs->root, sha, sha) >= (int)outlen)
		return SIRT_EINVAL;
	return 0;
}

/* A nameless file in the temp directory, or a named one where O_TMPFILE is
 * not supported (then *name is set and the caller unlinks it). */
static int tmp_file(struct blob_store *bs, int *fd, char **name)
{
	*name = NULL;
	*fd = open(bs->tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return 0;
	char *tmpl = xasprintf("%s/upload-XXXXXX", bs->tmp);
	*fd = mkostemp(tmpl, O_CLOEXEC);
	if (*fd < 0) {
		free(tmpl);
		return SIRT_EIO;
	}
	*name = tmpl;
	return 0;
}

int blob_tmp_new(struct blob_store *bs, struct blob_tmp **out)
{
	struct blob_tmp *t = xcalloc(1, sizeof(*t));
	t->bs = bs;
	if (tmp_file(bs, &t->fd, &t->name) < 0) {
		free(t);
		return SIRT_EIO;
	}
	crypto_hash_sha256_init(&t->h);
	*out = t;
	return 0;
}

int blob_tmp_write(struct blob_tmp *t, const void *data, size_t len)
{
	if (t->finished)
		return SIRT_EINVAL;
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(t->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SIRT_EIO;
		p += w;
		left -= (size_t)w;
	}
	crypto_hash_sha256_update(&t->h, data, len);
	t->size += (int64_t)len;
	return 0;
}

void blob_tmp_finish(struct blob_tmp *t, char sha[65], int64_t *size)
{
	if (!t->finished) {
		unsigned char d[crypto_hash_sha256_BYTES];
		crypto_hash_sha256_final(&t->h, d);
		hex_encode(t->sha, d, sizeof(d));
		t->finished = true;
	}
	memcpy(sha, t->sha, 65);
	*size = t->size;
}

void blob_tmp_free(struct blob_tmp *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->name) {
		unlink(t->name);
		free(t->name);
	}
	free(t);
}

static int put_fs(struct blob_store *bs, struct blob_tmp *t, bool *created)
{
	char path[4096], dir[4096];
	if (blob_fs_path(bs, t->sha, path, sizeof(path)) < 0)
		return SIRT_EINVAL;
	snprintf(dir, sizeof(dir), "%s/%.2s", bs->root, t->sha);
	if (mkdirs(dir) < 0)
		return SIRT_EIO;
	*created = false;
	if (access(path, F_OK) == 0)
		return 0; /* same content already stored */
	if (fchmod(t->fd, 0400) != 0 || fsync(t->fd) != 0)
		return SIRT_EIO;
	if (!t->name) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
			if (errno == EEXIST)
				return 0;
			return SIRT_EIO;
		}
	} else {
		/* link, not rename: never replace content that appeared meanwhile */
		if (link(t->name, path) != 0) {
			if (errno == EEXIST)
				return 0;
			return SIRT_EIO;
		}
	}
	*created = true;
	return fsync_dir(dir);
}

static int put_db(struct db *db, struct blob_tmp *t, bool *created)
{
	*created = false;
	int64_t oid;
	int rc = db_query_int(db, &oid, "SELECT oid FROM blob_objects WHERE sha256 = $1", 1,
			      DBV(DB_TEXT(t->sha)));
	if (rc == 0)
		return 0;
	if (rc != SIRT_ENOTFOUND)
		return rc;
	char *buf = xmalloc(CHUNK);
	int64_t off = 0;
	rc = db_query_int(db, &oid, "SELECT CAST(lo_create(0) AS BIGINT)", 0, NULL);
	while (rc == 0 && off < t->size) {
		ssize_t n = pread(t->fd, buf, CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = SIRT_EIO;
			break;
		}
		rc = db_exec(db, "SELECT lo_put(CAST($1 AS OID), $2, $3)", 3,
			     DBV(DB_INT(oid), DB_INT(off), DB_BLOB(buf, (size_t)n)));
		off += n;
	}
	free(buf);
	if (rc < 0)
		return rc;
	rc = db_exec(db, "INSERT INTO blob_objects(sha256, oid, size, created_at) VALUES ($1, $2, $3, $4)",
		     4, DBV(DB_TEXT(t->sha), DB_INT(oid), DB_INT(t->size), DB_INT(time_now())));
	if (rc == 0)
		*created = true;
	return rc;
}

int blob_put(struct blob_store *bs, struct db *db, struct blob_tmp *t, bool *created)
{
	if (!t->finished)
		return SIRT_EINVAL;
	if (bs->db) {
		if (!db || !db_is_postgres(db))
			return SIRT_EINVAL;
		return put_db(db, t, created);
	}
	return put_fs(bs, t, created);
}

void blob_unput(struct blob_store *bs, const char *sha)
{
	char path[4096];
	if (bs->db || blob_fs_path(bs, sha, path, sizeof(path)) < 0)
		return;
	if (chmod(path, 0600) == 0)
		unlink(path);
}

/* Reads fd from 0 to its end, hashing; leaves it at offset 0. */
static int hash_fd(int fd, char sha[65], int64_t *size)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char *buf = xmalloc(CHUNK);
	int64_t total = 0;
	int rc = 0;
	if (lseek(fd, 0, SEEK_SET) != 0)
		rc = SIRT_EIO;
	for (;;) {
		if (rc < 0)
			break;
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SIRT_EIO;
			break;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&h, (unsigned char *)buf, (size_t)n);
		total += n;
	}
	free(buf);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
		rc = SIRT_EIO;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	hex_encode(sha, d, sizeof(d));
	*size = total;
	return rc;
}

/* Copies a large object into a nameless temp file. */
static int copy_lo(struct blob_store *bs, struct db *db, const char *sha, int *out)
{
	int64_t oid;
	int rc = db_query_int(db, &oid, "SELECT oid FROM blob_objects WHERE sha256 = $1", 1,
			      DBV(DB_TEXT(sha)));
	if (rc < 0)
		return rc;
	int fd;
	char *name;
	if (tmp_file(bs, &fd, &name) < 0)
		return SIRT_EIO;
	if (name) { /* no O_TMPFILE: unlink now, the descriptor stays valid */
		unlink(name);
		free(name);
	}
	for (int64_t off = 0;; ) {
		struct db_res *r;
		rc = db_query(db, &r, "SELECT lo_get(CAST($1 AS OID), $2, $3)", 3,
			      DBV(DB_INT(oid), DB_INT(off), DB_INT(CHUNK)));
		if (rc < 0)
			break;
		size_t n = 0;
		const void *p = db_next(r) ? db_blob(r, 0, &n) : NULL;
		if (p && n && write(fd, p, n) != (ssize_t)n)
			rc = SIRT_EIO;
		db_res_free(r);
		if (rc < 0 || n < CHUNK)
			break;
		off += (int64_t)n;
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

int blob_open(struct blob_store *bs, struct db *db, const char *kind, const char *sha, int *fd,
	      int64_t *size, bool *ok, char observed[65])
{
	*fd = -1;
	*ok = false;
	observed[0] = '\0';
	if (!blob_sha_valid(sha))
		return SIRT_EINVAL;
	int f;
	if (strcmp(kind, "db") == 0) {
		if (!db || !db_is_postgres(db))
			return SIRT_ENOTFOUND;
		int rc = copy_lo(bs, db, sha, &f);
		if (rc < 0)
			return rc;
	} else {
		char path[4096];
		if (blob_fs_path(bs, sha, path, sizeof(path)) < 0)
			return SIRT_EINVAL;
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return errno == ENOENT ? SIRT_ENOTFOUND : SIRT_EIO;
	}
	int rc = hash_fd(f, observed, size);
	if (rc < 0) {
		close(f);
		return rc;
	}
	*ok = sodium_memcmp(observed, sha, 64) == 0;
	*fd = f;
	return 0;
}
