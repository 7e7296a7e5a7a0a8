#include "export/csv.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

bool csv_is_formula(const char *s)
{
	return s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r');
}

void csv_put_cell(struct strbuf *sb, const char *s, bool first, bool neutralise)
{
	if (!first)
		sb_putc(sb, ',');
	if (!s)
		return;
	bool lead = neutralise && csv_is_formula(s);
	bool quote = false;
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n') {
			quote = true;
			break;
		}
	if (quote)
		sb_putc(sb, '"');
	if (lead)
		sb_putc(sb, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_putc(sb, '"');
		sb_putc(sb, *p);
	}
	if (quote)
		sb_putc(sb, '"');
}

void csv_end_row(struct strbuf *sb)
{
	sb_puts(sb, "\r\n");
}

void csv_reader_init(struct csv_reader *rd, const char *data, size_t len)
{
	rd->p = data;
	rd->end = data + len;
	rd->line = 1;
	if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
	    (unsigned char)data[2] == 0xBF)
		rd->p += 3;
	sb_init(&rd->buf, CSV_MAX_FIELDS * CSV_MAX_FIELD);
}

void csv_reader_free(struct csv_reader *rd)
{
	sb_free(&rd->buf);
}

/* Column (1-based, in bytes) of p on its physical line. */
static int column_of(const char *start, const char *p)
{
	const char *q = p;
	while (q > start && q[-1] != '\n')
		q--;
	return (int)(p - q) + 1;
}

static int check_utf8(const char *start, const char *s, size_t n, int line, char *err,
		      size_t errlen)
{
	if (utf8_valid(s, n, NULL))
		return 0;
	/* find the first bad byte to name it */
	size_t i = 0;
	while (i < n) {
		size_t k = 1;
		while (k <= 4 && i + k <= n && !utf8_valid(s + i, k, NULL))
			k++;
		if (k > 4 || i + k > n)
			break;
		i += k;
	}
	int l = line;
	for (const char *q = s; q < s + i; q++)
		if (*q == '\n')
			l++;
	snprintf(err, errlen,
		 "line %d, column %d: byte 0x%02X is not UTF-8; save the file as UTF-8"
		 " (it looks like %s)",
		 l, column_of(start, s + i), (unsigned char)s[i],
		 (unsigned char)s[i] >= 0x80 ? "Latin-1 or Windows-1252" : "binary data");
	return SIRT_EINVAL;
}

int csv_read(struct csv_reader *rd, struct csv_record *rec, char *err, size_t errlen)
{
	const char *start = rd->p;
	/* skip blank lines */
	while (rd->p < rd->end && (*rd->p == '\n' || (*rd->p == '\r' && rd->p + 1 < rd->end &&
						      rd->p[1] == '\n'))) {
		rd->p += *rd->p == '\r' ? 2 : 1;
		rd->line++;
	}
	if (rd->p >= rd->end)
		return 0;
	start = rd->p;
	rec->line = rd->line;
	rec->nfields = 0;
	sb_reset(&rd->buf);
	size_t offs[CSV_MAX_FIELDS];
	const char *p = rd->p;
	for (;;) {
		if (rec->nfields == CSV_MAX_FIELDS) {
			snprintf(err, errlen, "line %d: more than %d fields", rd->line, CSV_MAX_FIELDS);
			return SIRT_EINVAL;
		}
		offs[rec->nfields] = rd->buf.len;
		size_t flen = 0;
		const char *fstart = p, *fend;
		int fline = rd->line;
		if (p < rd->end && *p == '"') {
			int qline = rd->line;
			const char *qpos = p;
			p++;
			fstart = p;
			for (;;) {
				if (p >= rd->end) {
					snprintf(err, errlen,
						 "line %d, column %d: the quoted field opened here is never"
						 " closed (broken quoting)",
						 qline, column_of(start, qpos));
					return SIRT_EINVAL;
				}
				if (*p == '"') {
					if (p + 1 < rd->end && p[1] == '"') {
						sb_putc(&rd->buf, '"');
						p += 2;
						flen++;
						continue;
					}
					fend = p;
					p++;
					break;
				}
				if (*p == '\n')
					rd->line++;
				sb_putc(&rd->buf, *p++);
				flen++;
			}
			if (p < rd->end && *p != ',' && *p != '\n' &&
			    !(*p == '\r' && (p + 1 == rd->end || p[1] == '\n'))) {
				snprintf(err, errlen,
					 "line %d, column %d: text after the closing quote of a field"
					 " (broken quoting: a quote inside a quoted field must be doubled)",
					 rd->line, column_of(start, p));
				return SIRT_EINVAL;
			}
		} else {
			while (p < rd->end && *p != ',' && *p != '\n' &&
			       !(*p == '\r' && (p + 1 == rd->end || p[1] == '\n'))) {
				if (*p == '"') {
					snprintf(err, errlen,
						 "line %d, column %d: a quote inside an unquoted field"
						 " (broken quoting: quote the whole field and double the"
						 " quote)",
						 rd->line, column_of(start, p));
					return SIRT_EINVAL;
				}
				sb_putc(&rd->buf, *p++);
				flen++;
			}
			fend = p;
		}
		if (flen > CSV_MAX_FIELD) {
			snprintf(err, errlen, "line %d: a field is longer than %zu bytes", fline,
				 CSV_MAX_FIELD);
			return SIRT_EINVAL;
		}
		if (check_utf8(start, fstart, (size_t)(fend - fstart), fline, err, errlen) < 0)
			return SIRT_EINVAL;
		sb_putc(&rd->buf, '\0');
		rec->nfields++;
		if (p < rd->end && *p == ',') {
			p++;
			continue;
		}
		if (p < rd->end && *p == '\r')
			p++;
		if (p < rd->end && *p == '\n') {
			p++;
			rd->line++;
		}
		break;
	}
	if (sb_status(&rd->buf) < 0) {
		snprintf(err, errlen, "line %d: the record is too large", rec->line);
		return SIRT_EINVAL;
	}
	for (int i = 0; i < rec->nfields; i++)
		rec->field[i] = rd->buf.buf + offs[i];
	rd->p = p;
	return 1;
}
