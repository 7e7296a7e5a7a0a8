#include "notify/mail.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/contact.h"
#include "core/utf8.h"
#include "util/rand.h"
#include "util/timeutil.h"

#define WORD_RAW_MAX 45 /* 45 bytes -> 60 base64 chars -> a 72-char encoded-word */
#define LINE_SOFT 76

static bool header_value_ok(const char *s);
static bool is_ascii_printable(const char *s);
static void encode_words(struct strbuf *out, const char *s);
static void put_address(struct strbuf *out, const struct mail_addr *a, size_t used);

/* No control characters at all (CR, LF, NUL, TAB, DEL...) and valid UTF-8. */
static bool header_value_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return utf8_valid(s, strlen(s), NULL);
}

static bool is_ascii_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* Length of the UTF-8 sequence starting with byte c (input already valid). */
static size_t seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	return 4;
}

static void encode_words(struct strbuf *out, const char *s)
{
	size_t n = strlen(s), i = 0;
	bool first = true;
	while (i < n) {
		size_t take = 0;
		while (i + take < n) {
			size_t l = seq_len((unsigned char)s[i + take]);
			if (take + l > WORD_RAW_MAX)
				break;
			take += l;
		}
		char b64[sodium_base64_ENCODED_LEN(WORD_RAW_MAX, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, take,
				  sodium_base64_VARIANT_ORIGINAL);
		if (!first)
			sb_puts(out, "\r\n ");
		sb_printf(out, "=?UTF-8?B?%s?=", b64);
		first = false;
		i += take;
	}
}

void mail_encode_phrase(struct strbuf *out, const char *s, size_t used, int is_display_name)
{
	bool plain = is_ascii_printable(s) && !strstr(s, "=?") && used + strlen(s) <= 900;
	if (plain && !is_display_name) {
		sb_puts(out, s);
		return;
	}
	if (plain) {
		/* a quoted-string: only " and \ need escaping */
		sb_putc(out, '"');
		for (const char *p = s; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_putc(out, '\\');
			sb_putc(out, *p);
		}
		sb_putc(out, '"');
		return;
	}
	encode_words(out, s);
}

static void put_address(struct strbuf *out, const struct mail_addr *a, size_t used)
{
	if (a->name && *a->name) {
		mail_encode_phrase(out, a->name, used, 1);
		sb_printf(out, " <%s>", a->addr);
	} else {
		sb_puts(out, a->addr);
	}
}

void mail_format_date(int64_t t, char out[40])
{
	static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char *const mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int64_t y;
	unsigned m, d;
	time_civil_from_days(days, &y, &m, &d);
	int w = (int)(((days % 7) + 7) % 7);
	snprintf(out, 40, "%s, %02u %s %04d %02d:%02d:%02d +0000", wd[w], d, mn[m - 1], (int)y,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

void mail_qp_encode(struct strbuf *out, const char *body)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t col = 0;
	const unsigned char *p = (const unsigned char *)body;
	while (*p) {
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p == '\n') {
			sb_puts(out, "\r\n");
			col = 0;
			p++;
			continue;
		}
		unsigned char c = *p;
		bool at_eol = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
		bool literal = (c >= 33 && c <= 126 && c != '=') ||
			       ((c == ' ' || c == '\t') && !at_eol);
		if (c == '.' && col == 0)
			literal = false; /* never a lone "." line, whatever the transport */
		size_t need = literal ? 1 : 3;
		if (col + need > LINE_SOFT - 1) {
			sb_puts(out, "=\r\n");
			col = 0;
			if (c == '.')
				literal = false, need = 3;
		}
		if (literal) {
			sb_putc(out, (char)c);
		} else {
			char e[3] = {'=', hx[c >> 4], hx[c & 15]};
			sb_append(out, e, 3);
		}
		col += need;
		p++;
	}
	if (col)
		sb_puts(out, "\r\n");
}

int mail_parse_mailbox(char *buf, struct mail_addr *a)
{
	a->name = NULL;
	a->addr = buf;
	char *lt = strchr(buf, '<');
	if (lt) {
		char *gt = strchr(lt, '>');
		if (!gt || gt[1] != '\0')
			return SIRT_EINVAL;
		*gt = '\0';
		a->addr = lt + 1;
		char *e = lt;
		while (e > buf && e[-1] == ' ')
			e--;
		*e = '\0';
		char *nm = buf;
		size_t nl = strlen(nm);
		if (nl >= 2 && nm[0] == '"' && nm[nl - 1] == '"') {
			nm[nl - 1] = '\0';
			nm++;
		}
		a->name = nm;
	}
	if (!email_valid(a->addr) || (a->name && !header_value_ok(a->name)))
		return SIRT_EINVAL;
	return 0;
}

int mail_build(const struct mail_msg *m, struct strbuf *out, const char **why)
{
	if (!email_valid(m->from.addr)) {
		*why = "the sender address is not valid";
		return SIRT_EINVAL;
	}
	if (m->nto == 0) {
		*why = "there is no recipient";
		return SIRT_EINVAL;
	}
	if ((m->from.name && !header_value_ok(m->from.name)) || !header_value_ok(m->subject) ||
	    !header_value_ok(m->idem_key) || (m->event && !header_value_ok(m->event))) {
		*why = "a header value contains a line break or another control character";
		return SIRT_EINVAL;
	}
	for (size_t i = 0; i < m->nto; i++) {
		if (!email_valid(m->to[i].addr) ||
		    (m->to[i].name && !header_value_ok(m->to[i].name))) {
			*why = "a recipient address is not valid";
			return SIRT_EINVAL;
		}
	}
	if (!utf8_valid(m->body, strlen(m->body), NULL)) {
		*why = "the body is not valid UTF-8";
		return SIRT_EINVAL;
	}
	char date[40];
	mail_format_date(m->date, date);
	sb_printf(out, "Date: %s\r\n", date);
	sb_puts(out, "From: ");
	put_address(out, &m->from, 6);
	sb_puts(out, "\r\nTo: ");
	for (size_t i = 0; i < m->nto; i++) {
		if (i)
			sb_puts(out, ",\r\n ");
		put_address(out, &m->to[i], 4);
	}
	sb_puts(out, "\r\nSubject: ");
	mail_encode_phrase(out, m->subject, 9, 0);
	/* The same idempotency key gives the same Message-ID, so a retried
	 * delivery is recognisably the same message. */
	char h[65];
	sha256_hex(h, m->idem_key, strlen(m->idem_key));
	const char *dom = strrchr(m->from.addr, '@') + 1;
	sb_printf(out, "\r\nMessage-ID: <%.32s.sirt@%s>\r\n", h, dom);
	sb_puts(out, "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n"
		     "Auto-Submitted: auto-generated\r\n");
	sb_printf(out, "X-Sirt-Idempotency-Key: %s\r\n", m->idem_key);
	if (m->event)
		sb_printf(out, "X-Sirt-Event: %s\r\n", m->event);
	sb_puts(out, "\r\n");
	mail_qp_encode(out, m->body);
	if (sb_status(out) < 0) {
		*why = "the message is too large";
		return SIRT_ETOOBIG;
	}
	return 0;
}
