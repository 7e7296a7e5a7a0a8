/*
 * Contact details: e-mail addresses and phone numbers.
 *
 * E-mail: a pragmatic addr-spec, what real mail systems deliver to, not the
 * whole of RFC 5322: local-part "@" domain, exactly one '@', no quoted local
 * parts, comments or domain literals. The local part is 1..64 characters of
 * letters, digits and !#$%&'*+/=?^_`{|}~.- with no leading, trailing or
 * doubled dot; the domain follows indicator_check_domain() without
 * underscores; the whole address is at most 254 characters (RFC 5321's path
 * limit less the angle brackets). No surrounding white space.
 *
 * Phone: E.164 as stored, "+" then the country code and number, 7 to 15
 * digits, the first not 0, and nothing else (no spaces, dashes or brackets:
 * callers format for display).
 */
#ifndef SIRT_CORE_CONTACT_H
#define SIRT_CORE_CONTACT_H

#include <stdbool.h>
#include "util/err.h"
#include "util/strbuf.h"

#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64

bool email_valid(const char *s);
/* 0 or SIRT_EINVAL with one sentence in *why. */
int contact_email_check(const char *s, struct strbuf *why) WUR;

bool phone_e164_valid(const char *s);
int contact_phone_check(const char *s, struct strbuf *why) WUR;

#endif
