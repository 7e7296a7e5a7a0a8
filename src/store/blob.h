/*
 * The blob store: evidence files kept by the SHA-256 of their content.
 *
 * Two backends behind one interface:
 *   fs  files under <data-dir>/evidence/<2 hex>/<64 hex>, mode 0400 (default)
 *   db  PostgreSQL large objects, one per distinct content, listed in the
 *       blob_objects table, so several sirt nodes share them
 *
 * An upload goes to a temporary file first (struct blob_tmp), hashed as it
 * arrives, so nothing is ever held whole in memory and nothing is stored
 * under a name until the whole body is in and its hash is known. A temp file
 * is nameless where the file system allows (O_TMPFILE): if the process dies
 * or the upload breaks off, it simply disappears.
 *
 * Reading goes through blob_open(): it returns a file descriptor positioned
 * at offset 0 AND recomputes the hash of exactly those bytes, so a caller
 * serves what was verified (for db the content is first copied into a
 * nameless temp file).
 *
 * Ownership: blob_store_open/_close; blob_tmp_new/_free. Thread-safe: the
 * store holds only paths; every call works on its own descriptors and the
 * caller's db connection.
 */
#ifndef SIRT_BLOB_H
#define SIRT_BLOB_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

struct blob_store;
struct blob_tmp;

/* kind: "fs" or "db". Creates the directories under data_dir (also used by
 * db for temporary files). */
int blob_store_open(const char *kind, const char *data_dir, struct blob_store **out, char *err,
		    size_t errlen) WUR;
void blob_store_close(struct blob_store *bs);
/* "fs" or "db": where new content goes. */
const char *blob_store_kind(const struct blob_store *bs);
/* Path of the file holding sha under the fs backend (for tests and docs). */
int blob_fs_path(const struct blob_store *bs, const char *sha, char *out, size_t outlen) WUR;

/* ---- uploads ---- */
int blob_tmp_new(struct blob_store *bs, struct blob_tmp **out) WUR;
int blob_tmp_write(struct blob_tmp *t, const void *data, size_t len) WUR;
/* Completes the hash; later writes are refused. */
void blob_tmp_finish(struct blob_tmp *t, char sha[65], int64_t *size);
/* Closes and removes the temporary file (delete-tmp); NULL is fine. */
void blob_tmp_free(struct blob_tmp *t);

/*
 * Stores a finished temp file under its hash with the store's kind.
 * fs: links the file into place (fsync'd); *created says whether the content
 *     was new, so a caller whose transaction then fails can blob_unput() it.
 * db: writes a large object on db and records it in blob_objects; call it
 *     inside the caller's transaction, which then keeps both or neither.
 * Content already present is not stored again.
 */
int blob_put(struct blob_store *bs, struct db *db, struct blob_tmp *t, bool *created) WUR;
/* Removes fs content that blob_put just created (a failed transaction). */
void blob_unput(struct blob_store *bs, const char *sha);

/*
 * Opens the content sha stored with `kind` ("fs" or "db") and verifies it:
 * *fd is readable from offset 0 (caller closes it), *size its length, *ok
 * false when its bytes no longer hash to sha (observed gets the hash they
 * have). SIRT_ENOTFOUND when missing.
 */
int blob_open(struct blob_store *bs, struct db *db, const char *kind, const char *sha, int *fd,
	      int64_t *size, bool *ok, char observed[65]) WUR;

bool blob_sha_valid(const char *sha);

#endif
