/*
 * Static assets (CSS, JavaScript, icons) compiled into the binary by
 * scripts/embed-static.sh, so sirt serves everything itself and works
 * air-gapped. The table is read-only and lives for the whole process.
 */
#ifndef SIRT_WEB_STATIC_H
#define SIRT_WEB_STATIC_H

#include <stddef.h>

struct static_asset {
	const char *path;          /* URL path, "/static/app.css" */
	const char *content_type;  /* Content-Type header value */
	const unsigned char *data; /* len bytes, followed by a NUL not counted */
	size_t len;
	const char *etag;          /* strong ETag with its quotes: "\"<sha256 hex>\"" */
};

extern const struct static_asset static_assets[];
extern const size_t static_assets_count;

/* The asset at URL path `path` (e.g. "/static/app.css"; no query string),
 * or NULL. */
const struct static_asset *static_find(const char *path);

#endif
