/*
 * Streaming export of an organisation's incident log as CSV, JSON lines or
 * VERIS JSON. An iterator walks the incidents in keyset pages of
 * EXPORT_PAGE (ascending id) and renders each page into the caller's
 * buffer, so memory stays the same whatever the number of incidents: the
 * caller writes the buffer out (a file, an HTTP response) and asks for the
 * next page. No transaction is held between pages.
 */
#ifndef SIRT_INCIDENT_EXPORT_H
#define SIRT_INCIDENT_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/strbuf.h"

#define EXPORT_PAGE 500

enum export_format { EXPORT_CSV, EXPORT_JSONL, EXPORT_VERIS };

int export_format_parse(const char *s, enum export_format *out) WUR;
const char *export_content_type(enum export_format f);
const char *export_extension(enum export_format f);

struct export_iter {
	enum export_format fmt;
	int64_t org_id;
	char org_name[256];
	int64_t after_id;
	bool started;
	bool done;
	int64_t count; /* incidents rendered so far */
};

void export_iter_init(struct export_iter *it, enum export_format fmt, int64_t org_id,
		      const char *org_name);
/* Renders the next page into out (the CSV header comes first). Returns the
 * number of incidents rendered, 0 at the end, or a negative error. */
int export_iter_next(struct export_iter *it, struct db *db, struct strbuf *out) WUR;
/* The next page as documents instead (VERIS documents for EXPORT_VERIS,
 * records otherwise): *docs a new array, empty at the end. */
int export_iter_docs(struct export_iter *it, struct db *db, json_t **docs) WUR;

/* Single rows, for tests and other exporters. */
void export_csv_header(struct strbuf *out);
void export_csv_row(struct strbuf *out, json_t *rec);

#endif
