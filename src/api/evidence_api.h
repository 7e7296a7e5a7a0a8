/*
 * What the evidence API (src/api/evidence.c) shares with the web pages'
 * multipart upload (src/web/pages_evidence.c): the process's blob store and
 * the step that stores a finished upload, so both paths hash, store and
 * record evidence the same way.
 */
#ifndef SIRT_API_EVIDENCE_API_H
#define SIRT_API_EVIDENCE_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "store/blob.h"
#include "store/evidence_store.h"

/* The process's blob store, opened on first use from the configuration;
 * NULL with a 503 response set when it cannot be opened. */
struct blob_store *api_evidence_blobs(struct req *r);
/* Valid UTF-8 of at most max characters, no control characters (tabs and
 * newlines allowed when multiline). */
bool api_evidence_text_ok(const char *s, size_t max, bool multiline);
/*
 * Finishes tmp (its SHA-256 and size), stores the content under its hash and
 * inserts the item with its custody and audit entries (sha256, size and
 * blob_store of *in are filled here). *out gets the item. No response is
 * set: SIRT_EUNAVAIL (blob store unavailable; a 503 is set), SIRT_EINVAL
 * (empty file), SIRT_EIO (storing failed), or a store error. Nothing is left
 * behind on failure.
 */
int api_evidence_commit(struct req *r, struct blob_tmp *tmp, struct evidence_new *in,
			json_t **out) WUR;

#endif
