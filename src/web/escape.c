#include "web/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void escape_markup(struct strbuf *out, const char *s, size_t n, bool attr);
static size_t utf8_seq(const unsigned char *s, size_t n);
static void percent_encode(struct strbuf *out, const char *s, size_t n);

static const char hexdig[] = "0123456789ABCDEF";
static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid:
 * overlong forms, surrogates and values above U+10FFFF are invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static void escape_markup(struct strbuf *out, const char *s, size_t n, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i = 0;
	while (i < n) {
		unsigned char c = p[i];
		const char *rep = NULL;
		size_t len = 1;
		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\'':
			rep = attr ? "&#39;" : NULL;
			break;
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (c < 0x20 || c == 0x7F) {
				rep = replacement;
			} else if (c >= 0x80) {
				len = utf8_seq(p + i, n - i);
				if (len == 0) {
					rep = replacement;
					len = 1;
				}
			}
		}
		if (rep) {
			sb_append(out, p + start, i - start);
			sb_puts(out, rep);
			start = i + len;
		}
		i += len;
	}
	sb_append(out, p + start, n - start);
}

void escape_html(struct strbuf *out, const char *s, size_t n)
{
	escape_markup(out, s, n, false);
}

void escape_attr(struct strbuf *out, const char *s, size_t n)
{
	escape_markup(out, s, n, true);
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static void percent_encode(struct strbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (unreserved(p[i]))
			continue;
		char enc[3] = { '%', hexdig[p[i] >> 4], hexdig[p[i] & 15] };
		sb_append(out, p + start, i - start);
		sb_append(out, enc, 3);
		start = i + 1;
	}
	sb_append(out, p + start, n - start);
}

void escape_url_path(struct strbuf *out, const char *s, size_t n)
{
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
		sb_puts(out, n == 1 ? "%2E" : "%2E%2E");
		return;
	}
	percent_encode(out, s, n);
}

void escape_url_query(struct strbuf *out, const char *s, size_t n)
{
	percent_encode(out, s, n);
}

int escape_header(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return SIRT_EINVAL;
	}
	sb_append(out, s, n);
	return 0;
}

void escape_json_text(struct strbuf *out, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		size_t len = 1;
		switch (s[i]) {
		case '<':
			rep = "\\u003c";
			break;
		case '>':
			rep = "\\u003e";
			break;
		case '&':
			rep = "\\u0026";
			break;
		case '\xE2':
			if (i + 2 < n && s[i + 1] == '\x80' && (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
				rep = s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
				len = 3;
			}
			break;
		default:
			break;
		}
		if (rep) {
			sb_append(out, s + start, i - start);
			sb_puts(out, rep);
			start = i + len;
			i += len - 1;
		}
	}
	sb_append(out, s + start, n - start);
}

int escape_json_script(struct strbuf *out, const json_t *v)
{
	if (!v) {
		sb_puts(out, "null");
		return 0;
	}
	char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!txt)
		return SIRT_EINVAL;
	escape_json_text(out, txt, strlen(txt));
	free(txt);
	return 0;
}
