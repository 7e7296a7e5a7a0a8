#include "core/contact.h"

#include <string.h>

#include "core/indicator.h"

static bool atext(char c);

static bool atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

int contact_email_check(const char *s, struct strbuf *why)
{
	if (!s || !*s) {
		sb_puts(why, "e-mail address is empty");
		return SIRT_EINVAL;
	}
	size_t n = strlen(s);
	if (n > EMAIL_MAX) {
		sb_printf(why, "e-mail address is longer than %d characters", EMAIL_MAX);
		return SIRT_EINVAL;
	}
	const char *at = strchr(s, '@');
	if (!at) {
		sb_puts(why, "e-mail address has no '@'");
		return SIRT_EINVAL;
	}
	if (strchr(at + 1, '@')) {
		sb_puts(why, "e-mail address has more than one '@'");
		return SIRT_EINVAL;
	}
	size_t llen = (size_t)(at - s);
	if (llen == 0) {
		sb_puts(why, "e-mail address has nothing before the '@'");
		return SIRT_EINVAL;
	}
	if (llen > EMAIL_LOCAL_MAX) {
		sb_printf(why, "the part before the '@' is longer than %d characters",
			  EMAIL_LOCAL_MAX);
		return SIRT_EINVAL;
	}
	if (s[0] == '.' || s[llen - 1] == '.') {
		sb_puts(why, "the part before the '@' starts or ends with a dot");
		return SIRT_EINVAL;
	}
	for (size_t i = 0; i < llen; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.') {
				sb_puts(why, "the part before the '@' has two dots in a row");
				return SIRT_EINVAL;
			}
			continue;
		}
		if (!atext(s[i])) {
			unsigned char c = (unsigned char)s[i];
			if (c > 0x20 && c < 0x7f)
				sb_printf(why, "the part before the '@' contains '%c'", c);
			else
				sb_printf(why, "the part before the '@' contains a space, control or "
					  "non-ASCII character");
			return SIRT_EINVAL;
		}
	}
	const char *dom = at + 1;
	if (!*dom) {
		sb_puts(why, "e-mail address has nothing after the '@'");
		return SIRT_EINVAL;
	}
	if (indicator_check_domain(dom, strlen(dom), 0, why) < 0)
		return SIRT_EINVAL;
	return 0;
}

bool email_valid(const char *s)
{
	struct strbuf why;
	sb_init(&why, 1024);
	int rc = contact_email_check(s, &why);
	sb_free(&why);
	return rc == 0;
}

int contact_phone_check(const char *s, struct strbuf *why)
{
	if (!s || !*s) {
		sb_puts(why, "phone number is empty");
		return SIRT_EINVAL;
	}
	if (s[0] != '+') {
		sb_puts(why, "phone number must start with '+' and the country code (E.164)");
		return SIRT_EINVAL;
	}
	size_t n = 0;
	for (const char *p = s + 1; *p; p++, n++) {
		if (*p < '0' || *p > '9') {
			sb_puts(why, "phone number may contain only digits after the '+' (no spaces "
				"or punctuation)");
			return SIRT_EINVAL;
		}
	}
	if (n < 7 || n > 15) {
		sb_printf(why, "phone number must have 7 to 15 digits, has %zu", n);
		return SIRT_EINVAL;
	}
	if (s[1] == '0') {
		sb_puts(why, "a country code cannot start with 0");
		return SIRT_EINVAL;
	}
	return 0;
}

bool phone_e164_valid(const char *s)
{
	struct strbuf why;
	sb_init(&why, 1024);
	int rc = contact_phone_check(s, &why);
	sb_free(&why);
	return rc == 0;
}
