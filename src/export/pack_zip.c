/*
 * Writing a pack (see pack.h): members go to a staging directory
 * ".<name>.stage-XXXXXX" next to the target as they are produced, hashed as
 * they are written; pack_out_finish() has libzip stream them from there into
 * ".<name>.partial" next to the target (libzip writes its own temporary
 * file and renames it at zip_close), fsyncs it and renames it over the
 * requested name. Every failure removes the staging directory and the
 * partial zip.
 */
#include "export/pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "util/xalloc.h"

static volatile sig_atomic_t cancelled;

void pack_cancel(void)
{
	cancelled = 1;
}

bool pack_cancelled(void)
{
	return cancelled != 0;
}

struct pack_out {
	char *final_path;
	char *dir;        /* directory of the final path */
	char *stage;      /* staging directory */
	char *partial;    /* temporary zip */
	struct pack_file *files;
	size_t n, cap;
	char why[512];
};

struct pack_member {
	struct pack_out *o;
	char *path;
	char *full;
	FILE *f;
	crypto_hash_sha256_state h;
	int64_t size;
	int err;
};

static void rm_tree(const char *path);
static int mkdirs(const char *base, const char *rel, char *why, size_t whylen);
static void set_io_why(struct pack_out *o, const char *what, const char *path, int e);
static int file_order(const void *a, const void *b);

const char *pack_out_why(const struct pack_out *o)
{
	return o->why;
}

static void set_io_why(struct pack_out *o, const char *what, const char *path, int e)
{
	if (e == ENOSPC || e == EDQUOT || e == EFBIG)
		snprintf(o->why, sizeof(o->why),
			 "the disk is full (%s) while %s %s: no pack was written", strerror(e), what,
			 path);
	else
		snprintf(o->why, sizeof(o->why), "%s %s failed: %s", what, path, strerror(e));
}

int pack_out_open(const char *final_path, struct pack_out **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!final_path || !*final_path) {
		snprintf(err, errlen, "no output file given");
		return SIRT_EINVAL;
	}
	size_t fl = strlen(final_path);
	if (final_path[fl - 1] == '/') {
		snprintf(err, errlen, "%s is a directory; name the .zip file to write", final_path);
		return SIRT_EINVAL;
	}
	struct stat st;
	if (stat(final_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is a directory; name the .zip file to write", final_path);
		return SIRT_EINVAL;
	}
	char *c1 = xstrdup(final_path), *c2 = xstrdup(final_path);
	char *dir = xstrdup(dirname(c1));
	char *base = xstrdup(basename(c2));
	free(c1);
	free(c2);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "the directory %s does not exist", dir);
		free(dir);
		free(base);
		return SIRT_EINVAL;
	}
	struct pack_out *o = xcalloc(1, sizeof(*o));
	o->final_path = xstrdup(final_path);
	o->dir = dir;
	o->stage = xasprintf("%s/.%s.stage-XXXXXX", dir, base);
	o->partial = xasprintf("%s/.%s.partial", dir, base);
	free(base);
	if (!mkdtemp(o->stage)) {
		int e = errno;
		snprintf(err, errlen, "cannot create a staging directory next to %s: %s", final_path,
			 strerror(e));
		free(o->stage);
		o->stage = NULL;
		pack_out_abort(o);
		return SIRT_EIO;
	}
	*out = o;
	return 0;
}

static int mkdirs(const char *base, const char *rel, char *why, size_t whylen)
{
	char *p = xasprintf("%s/%s", base, rel);
	size_t bl = strlen(base) + 1;
	int rc = 0;
	for (char *s = p + bl; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", p, strerror(errno));
			rc = SIRT_EIO;
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

static bool path_ok(const char *path)
{
	if (!*path || path[0] == '/' || strstr(path, "..") || strchr(path, '\\'))
		return false;
	return true;
}

int pack_member_open(struct pack_out *o, const char *path, struct pack_member **m)
{
	*m = NULL;
	if (!path_ok(path)) {
		snprintf(o->why, sizeof(o->why), "bad member name %s", path);
		return SIRT_EINVAL;
	}
	int rc = mkdirs(o->stage, path, o->why, sizeof(o->why));
	if (rc < 0)
		return rc;
	struct pack_member *x = xcalloc(1, sizeof(*x));
	x->o = o;
	x->path = xstrdup(path);
	x->full = xasprintf("%s/%s", o->stage, path);
	x->f = fopen(x->full, "wxe");
	if (!x->f) {
		set_io_why(o, "creating", path, errno);
		free(x->path);
		free(x->full);
		free(x);
		return SIRT_EIO;
	}
	setvbuf(x->f, NULL, _IOFBF, 1 << 16);
	crypto_hash_sha256_init(&x->h);
	*m = x;
	return 0;
}

int pack_member_write(struct pack_member *m, const void *data, size_t len)
{
	if (m->err)
		return m->err;
	if (cancelled) {
		snprintf(m->o->why, sizeof(m->o->why), "interrupted: no pack was written");
		m->err = SIRT_EIO;
		return m->err;
	}
	if (len == 0)
		return 0;
	if (fwrite(data, 1, len, m->f) != len) {
		set_io_why(m->o, "writing", m->path, errno);
		m->err = SIRT_EIO;
		return m->err;
	}
	crypto_hash_sha256_update(&m->h, data, len);
	m->size += (int64_t)len;
	return 0;
}

int pack_member_printf(struct pack_member *m, const char *fmt, ...)
{
	char small[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return SIRT_EINVAL;
	if ((size_t)n < sizeof(small))
		return pack_member_write(m, small, (size_t)n);
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = pack_member_write(m, big, (size_t)n);
	free(big);
	return rc;
}

int pack_member_close(struct pack_member *m)
{
	struct pack_out *o = m->o;
	int rc = m->err;
	if (fflush(m->f) != 0 && !rc) {
		set_io_why(o, "writing", m->path, errno);
		rc = SIRT_EIO;
	}
	if (fclose(m->f) != 0 && !rc) {
		set_io_why(o, "writing", m->path, errno);
		rc = SIRT_EIO;
	}
	if (rc == 0) {
		if (o->n == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 64;
			o->files = xrealloc(o->files, o->cap * sizeof(*o->files));
		}
		struct pack_file *f = &o->files[o->n++];
		unsigned char d[32];
		crypto_hash_sha256_final(&m->h, d);
		pack_hex(d, 32, f->sha256);
		f->path = m->path;
		f->size = m->size;
		m->path = NULL;
	}
	free(m->path);
	free(m->full);
	free(m);
	return rc;
}

int pack_out_put(struct pack_out *o, const char *path, const void *data, size_t len)
{
	struct pack_member *m;
	int rc = pack_member_open(o, path, &m);
	if (rc < 0)
		return rc;
	rc = pack_member_write(m, data, len);
	int rc2 = pack_member_close(m);
	return rc < 0 ? rc : rc2;
}

const struct pack_file *pack_out_files(const struct pack_out *o, size_t *n)
{
	*n = o->n;
	return o->files;
}

bool pack_out_has(const struct pack_out *o, const char *path)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->files[i].path, path))
			return true;
	return false;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

/* The index and the manifest first, then the rest in name order. */
static int file_rank(const char *p)
{
	if (!strcmp(p, "index.html"))
		return 0;
	if (!strcmp(p, PACK_MANIFEST))
		return 1;
	if (!strcmp(p, PACK_SIGNATURE))
		return 2;
	return 3;
}

static int file_order(const void *a, const void *b)
{
	const struct pack_file *x = a, *y = b;
	int rx = file_rank(x->path), ry = file_rank(y->path);
	if (rx != ry)
		return rx - ry;
	return strcmp(x->path, y->path);
}

static bool stored(const char *path)
{
	size_t n = strlen(path);
	return (n > 4 && !strcmp(path + n - 4, ".pdf")) || (n > 4 && !strcmp(path + n - 4, ".zip"));
}

int pack_out_finish(struct pack_out *o, int64_t mtime, int64_t *size, char sha256[65], char *why,
		    size_t whylen)
{
	int rc = SIRT_EIO;
	int zerr = 0;
	unlink(o->partial);
	zip_t *z = zip_open(o->partial, ZIP_CREATE | ZIP_EXCL, &zerr);
	if (!z) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		snprintf(o->why, sizeof(o->why), "cannot create %s: %s", o->partial,
			 zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto fail;
	}
	qsort(o->files, o->n, sizeof(*o->files), file_order);
	for (size_t i = 0; i < o->n; i++) {
		char *full = xasprintf("%s/%s", o->stage, o->files[i].path);
		zip_source_t *src = zip_source_file(z, full, 0, -1);
		free(full);
		zip_int64_t idx = src ? zip_file_add(z, o->files[i].path, src, ZIP_FL_ENC_UTF_8) : -1;
		if (idx < 0) {
			if (src)
				zip_source_free(src);
			snprintf(o->why, sizeof(o->why), "cannot add %s to the zip: %s",
				 o->files[i].path, zip_strerror(z));
			zip_discard(z);
			goto fail;
		}
		zip_set_file_compression(z, (zip_uint64_t)idx,
					 stored(o->files[i].path) ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 6);
		zip_file_set_mtime(z, (zip_uint64_t)idx, (time_t)mtime, 0);
	}
	if (zip_close(z) != 0) {
		zip_error_t *ze = zip_get_error(z);
		int se = zip_error_code_system(ze);
		if (se == ENOSPC || se == EDQUOT || se == EFBIG)
			snprintf(o->why, sizeof(o->why),
				 "the disk is full (%s) while writing the zip: no pack was written",
				 strerror(se));
		else
			snprintf(o->why, sizeof(o->why), "writing the zip failed: %s",
				 zip_error_strerror(ze));
		zip_discard(z);
		goto fail;
	}
	/* durable, then visible under its name */
	int fd = open(o->partial, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_io_why(o, "reopening", o->partial, errno);
		goto fail;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	unsigned char buf[65536];
	ssize_t n;
	int64_t total = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		total += n;
	}
	bool ok = n == 0 && fsync(fd) == 0;
	int e = errno;
	close(fd);
	if (!ok) {
		set_io_why(o, "syncing", o->partial, e);
		goto fail;
	}
	if (rename(o->partial, o->final_path) != 0) {
		set_io_why(o, "renaming the finished pack to", o->final_path, errno);
		goto fail;
	}
	int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (size)
		*size = total;
	if (sha256) {
		unsigned char d[32];
		crypto_hash_sha256_final(&h, d);
		pack_hex(d, 32, sha256);
	}
	rc = 0;
	rm_tree(o->stage);
	free(o->stage);
	o->stage = NULL;
	pack_out_abort(o);
	return rc;
fail:
	if (why && whylen)
		snprintf(why, whylen, "%s", o->why);
	pack_out_abort(o);
	return rc;
}

void pack_out_abort(struct pack_out *o)
{
	if (!o)
		return;
	if (o->stage)
		rm_tree(o->stage);
	if (o->partial) {
		unlink(o->partial);
		/* libzip's own temporary files: <partial>.XXXXXX */
		char *c = xstrdup(o->partial);
		const char *base = basename(c);
		DIR *d = opendir(o->dir);
		if (d) {
			struct dirent *e;
			size_t bl = strlen(base);
			while ((e = readdir(d))) {
				if (!strncmp(e->d_name, base, bl) && e->d_name[bl] == '.') {
					char *p = xasprintf("%s/%s", o->dir, e->d_name);
					unlink(p);
					free(p);
				}
			}
			closedir(d);
		}
		free(c);
	}
	for (size_t i = 0; i < o->n; i++)
		free(o->files[i].path);
	free(o->files);
	free(o->final_path);
	free(o->dir);
	free(o->stage);
	free(o->partial);
	free(o);
}
