/*
 * Streaming multipart/form-data for the page routes that take a file
 * (evidence upload). libmicrohttpd's MHD_PostProcessor parses the body as it
 * arrives through the route's stream hook; this module keeps the small text
 * fields it is told about (capped) and hands the bytes of the one file part
 * straight to the caller's sink as they come, so nothing is held whole in
 * memory. Limits are enforced while streaming: the file (file_max), each
 * kept text field (field_max); a second file part is refused.
 *
 * After the body is complete, multipart_form() writes the kept text fields
 * as application/x-www-form-urlencoded text, which the page handler installs
 * as the request body: req_form(), pages_field() and the CSRF check then
 * read them as for any form.
 *
 * Use: multipart_new() on the first chunk, multipart_feed() for each chunk,
 * multipart_finish() at the end; multipart_free() in the request's cleanup
 * (however the request ends). Not thread-safe; one per request.
 */
#ifndef SIRT_WEB_MULTIPART_H
#define SIRT_WEB_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

struct multipart;

enum multipart_fail {
	MULTIPART_OK = 0,
	MULTIPART_FILE_TOO_BIG,  /* the file part passed file_max */
	MULTIPART_FIELD_TOO_BIG, /* a kept text field passed field_max */
	MULTIPART_MALFORMED,     /* not multipart/form-data, broken or cut-off body, two files */
	MULTIPART_SINK,          /* a callback refused (its own reason) */
};

struct multipart_spec {
	const char *file_field;          /* name of the file part ("file") */
	const char *const *fields;       /* text fields to keep, NULL-terminated */
	size_t field_max;                /* bytes per kept text field */
	uint64_t file_max;               /* bytes of the file part */
	/* The file part starts (filename may be ""); < 0 refuses the body. */
	int (*file_begin)(void *cls, const char *filename, const char *content_type);
	/* The next bytes of the file; < 0 refuses the body. */
	int (*file_data)(void *cls, const char *data, size_t len);
	void *cls;
};

/* connection: the request's struct MHD_Connection (its Content-Type header
 * carries the boundary). SIRT_EINVAL when the body is not multipart/form-data. */
int multipart_new(void *connection, const struct multipart_spec *spec,
		  struct multipart **out) WUR;
/* Parses the next chunk. < 0 once anything failed (see multipart_failure). */
int multipart_feed(struct multipart *mp, const char *data, size_t len) WUR;
/* The body is complete: < 0 when it ended in the middle of a part. */
int multipart_finish(struct multipart *mp) WUR;
enum multipart_fail multipart_failure(const struct multipart *mp);

/* A kept text field (NULL when absent); valid until multipart_free. */
const char *multipart_field(const struct multipart *mp, const char *name);
bool multipart_has_file(const struct multipart *mp);
/* The file part's name as the client sent it ("" when none). */
const char *multipart_file_name(const struct multipart *mp);
const char *multipart_file_type(const struct multipart *mp);
uint64_t multipart_file_size(const struct multipart *mp);
/* The kept text fields as name=value&... (URL-encoded). */
void multipart_form(const struct multipart *mp, struct strbuf *out);
void multipart_free(struct multipart *mp);

#endif
