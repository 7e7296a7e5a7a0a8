#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/contact.h"

static void bad_email(const char *s, const char *want)
{
	struct strbuf why;
	sb_init(&why, 0);
	if (contact_email_check(s, &why) != SIRT_EINVAL)
		fail_msg("accepted '%s'", s ? s : "(null)");
	if (!strstr(sb_str(&why), want))
		fail_msg("'%s': message '%s' lacks '%s'", s ? s : "(null)", sb_str(&why), want);
	assert_false(email_valid(s));
	sb_free(&why);
}

static void test_email_ok(void **state)
{
	const char *good[] = {
		"alice@example.com", "Alice.Smith@Example.COM", "a@b.co", "o'brien@example.ie",
		"x+tag@sub.example.org", "first.last-1@xn--bcher-kva.example",
		"!#$%&'*+/=?^_`{|}~-@example.com", "user@123.example.com",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!email_valid(good[i]))
			fail_msg("rejected '%s'", good[i]);
	char local64[80];
	memset(local64, 'l', 64);
	memcpy(local64 + 64, "@example.com", 13);
	assert_true(email_valid(local64));
}

static void test_email_bad(void **state)
{
	bad_email(NULL, "empty");
	bad_email("", "empty");
	bad_email("alice.example.com", "no '@'");
	bad_email("a@b@example.com", "more than one '@'");
	bad_email("@example.com", "nothing before the '@'");
	bad_email("alice@", "nothing after the '@'");
	bad_email(".alice@example.com", "starts or ends with a dot");
	bad_email("alice.@example.com", "starts or ends with a dot");
	bad_email("al..ice@example.com", "two dots in a row");
	bad_email("al ice@example.com", "space, control or non-ASCII");
	bad_email("\"alice\"@example.com", "contains '\"'");
	bad_email("al(ice)@example.com", "contains '('");
	bad_email("j\xc3\xb6rg@example.com", "non-ASCII");
	bad_email("alice@localhost", "at least two labels");
	bad_email("alice@[192.0.2.1]", "invalid character '['");
	bad_email("alice@exa_mple.com", "invalid character '_'");
	bad_email("alice@example.com.", "empty label");
	bad_email("alice@-example.com", "hyphen");
	bad_email(" alice@example.com", "space");
	char local65[80];
	memset(local65, 'l', 65);
	memcpy(local65 + 65, "@example.com", 13);
	bad_email(local65, "longer than 64");
	char big[300];
	memcpy(big, "a@", 2);
	size_t p = 2;
	while (p < 250) {
		memcpy(big + p, "abcdefgh.", 9);
		p += 9;
	}
	memcpy(big + p, "com", 4);
	bad_email(big, "longer than 254");
}

static void bad_phone(const char *s, const char *want)
{
	struct strbuf why;
	sb_init(&why, 0);
	if (contact_phone_check(s, &why) != SIRT_EINVAL)
		fail_msg("accepted '%s'", s ? s : "(null)");
	if (!strstr(sb_str(&why), want))
		fail_msg("'%s': message '%s' lacks '%s'", s ? s : "(null)", sb_str(&why), want);
	assert_false(phone_e164_valid(s));
	sb_free(&why);
}

static void test_phone(void **state)
{
	assert_true(phone_e164_valid("+14155552671"));
	assert_true(phone_e164_valid("+442071838750"));
	assert_true(phone_e164_valid("+2901234"));        /* 7 digits */
	assert_true(phone_e164_valid("+123456789012345")); /* 15 digits */
	bad_phone(NULL, "empty");
	bad_phone("", "empty");
	bad_phone("14155552671", "must start with '+'");
	bad_phone("+1 415 555 2671", "only digits");
	bad_phone("+1-415-555-2671", "only digits");
	bad_phone("+1(415)5552671", "only digits");
	bad_phone("+290123", "7 to 15 digits, has 6");
	bad_phone("+1234567890123456", "7 to 15 digits, has 16");
	bad_phone("+", "has 0");
	bad_phone("+0441234567", "cannot start with 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_ok),
		cmocka_unit_test(test_email_bad),
		cmocka_unit_test(test_phone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
