/*
 * An RFC 5322 message builder for notification e-mail. Every header value
 * is checked: CR, LF and other control characters are refused (no header
 * injection, whatever a subject or name contains). Non-ASCII subjects and
 * display names become RFC 2047 encoded-words (UTF-8, base64, each word at
 * most 75 characters, never splitting a character, folded onto
 * continuation lines). The body is UTF-8 text/plain in quoted-printable
 * with CRLF line ends; a line starting with "." is encoded so no transport
 * can mistake it for the end of data.
 */
#ifndef SIRT_NOTIFY_MAIL_H
#define SIRT_NOTIFY_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

struct mail_addr {
	const char *name; /* display name, may be NULL or "" */
	const char *addr; /* addr-spec, checked with email_valid() */
};

struct mail_msg {
	struct mail_addr from;
	const struct mail_addr *to;
	size_t nto;
	const char *subject;
	const char *body;      /* UTF-8 text, LF or CRLF line ends */
	int64_t date;          /* epoch seconds, shown in UTC */
	const char *idem_key;  /* makes the Message-ID: a retry carries the same one */
	const char *event;     /* X-Sirt-Event, may be NULL */
};

/* Appends the whole message to out. SIRT_EINVAL with *why on a bad header
 * value or address; SIRT_ETOOBIG if out's ceiling was hit. */
int mail_build(const struct mail_msg *m, struct strbuf *out, const char **why) WUR;
/* "Name <addr>" or "addr" parsed into a (pointers into buf, which is
 * modified). SIRT_EINVAL when malformed. */
int mail_parse_mailbox(char *buf, struct mail_addr *a) WUR;
/* RFC 5322 date: "Tue, 03 Mar 2026 09:05:00 +0000". */
void mail_format_date(int64_t t, char out[40]);
/* Appends an RFC 2047 encoding of s when it needs one, else s itself;
 * used is how many columns the line already has. */
void mail_encode_phrase(struct strbuf *out, const char *s, size_t used, int is_display_name);
void mail_qp_encode(struct strbuf *out, const char *body);

#endif
