/*
 * CSV (RFC 4180) reading and writing.
 *
 * Writing: fields are quoted when they contain a comma, quote, CR or LF;
 * rows end with CRLF. With `neutralise`, a cell that a spreadsheet would
 * take for a formula (first character =, +, -, @, TAB or CR) gets a leading
 * apostrophe (OWASP "CSV injection").
 *
 * Reading: from a buffer the caller owns, one record at a time. Accepts LF
 * or CRLF line ends and a UTF-8 byte-order mark; refuses, with the physical
 * line and column: a quote inside an unquoted field, text after a closing
 * quote, a quoted field that is never closed, and bytes that are not UTF-8.
 * Limits: CSV_MAX_FIELDS fields per record, CSV_MAX_FIELD bytes per field.
 */
#ifndef SIRT_CSV_H
#define SIRT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strbuf.h"

#define CSV_MAX_FIELDS 512
#define CSV_MAX_FIELD ((size_t)1 << 20)

/* ---- writing ---- */
void csv_put_cell(struct strbuf *sb, const char *s, bool first, bool neutralise);
void csv_end_row(struct strbuf *sb);
/* True when s would be read as a formula by a spreadsheet. */
bool csv_is_formula(const char *s);

/* ---- reading ---- */
struct csv_reader {
	const char *p, *end;
	int line;          /* physical line of the next byte */
	struct strbuf buf; /* the current record's fields, NUL-separated */
};

struct csv_record {
	int line;          /* physical line where the record starts */
	int nfields;
	const char *field[CSV_MAX_FIELDS]; /* valid until the next csv_read() */
};

void csv_reader_init(struct csv_reader *rd, const char *data, size_t len);
void csv_reader_free(struct csv_reader *rd);
/* 1: a record; 0: end of input; SIRT_EINVAL with a message in err. Blank
 * lines are skipped. */
int csv_read(struct csv_reader *rd, struct csv_record *rec, char *err, size_t errlen) WUR;

#endif
