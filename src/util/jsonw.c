#include "util/jsonw.h"

#include <string.h>

#include "util/timeutil.h"

void jw_string(struct strbuf *sb, const char *s)
{
	if (!s) {
		sb_append(sb, "null", 4);
		return;
	}
	sb_putc(sb, '"');
	const char *run = s; /* bytes that need no escaping are copied in runs */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_append(sb, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': sb_append(sb, "\\\"", 2); break;
		case '\\': sb_append(sb, "\\\\", 2); break;
		case '\b': sb_append(sb, "\\b", 2); break;
		case '\f': sb_append(sb, "\\f", 2); break;
		case '\n': sb_append(sb, "\\n", 2); break;
		case '\r': sb_append(sb, "\\r", 2); break;
		case '\t': sb_append(sb, "\\t", 2); break;
		default: sb_printf(sb, "\\u%04X", c); break;
		}
	}
	sb_append(sb, run, (size_t)(s - run));
	sb_putc(sb, '"');
}

void jw_key(struct strbuf *sb, const char *key, bool first)
{
	if (!first)
		sb_putc(sb, ',');
	sb_putc(sb, '"');
	sb_puts(sb, key);
	sb_append(sb, "\":", 2);
}

void jw_int(struct strbuf *sb, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sb_append(sb, p, (size_t)(buf + sizeof(buf) - p));
}

void jw_time(struct strbuf *sb, int64_t t, bool unset)
{
	if (unset) {
		sb_append(sb, "null", 4);
		return;
	}
	char buf[ISO8601_LEN];
	time_format_iso8601(t, buf);
	sb_putc(sb, '"');
	sb_puts(sb, buf);
	sb_putc(sb, '"');
}
