#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/password.h"

static void good(const char *pw, const char *email)
{
	struct strbuf why;
	sb_init(&why, 0);
	if (password_check(pw, email, &why) != 0)
		fail_msg("rejected '%s': %s", pw, sb_str(&why));
	sb_free(&why);
}

static void bad(const char *pw, const char *email, const char *want)
{
	struct strbuf why;
	sb_init(&why, 0);
	if (password_check(pw, email, &why) != SIRT_EINVAL)
		fail_msg("accepted '%s'", pw ? pw : "(null)");
	if (!strstr(sb_str(&why), want))
		fail_msg("'%s': message '%s' lacks '%s'", pw ? pw : "(null)", sb_str(&why), want);
	sb_free(&why);
}

static void test_length(void **state)
{
	bad(NULL, NULL, "password is required");
	bad("", NULL, "password is required");
	bad("tr0ub4dor&3", NULL, "at least 12 characters long (it has 11)");
	good("tr0ub4dor&3x", NULL);
	/* 11 code points in 22 bytes: too short although 22 bytes */
	bad("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa0", NULL, "(it has 11)");
	good("\xc3\xa9t\xc3\xa9 \xc3\xa0 la plage!", NULL);
	/* 4-byte characters count once each */
	bad("\xf0\x9f\x94\x92\xf0\x9f\x94\x91\xf0\x9f\x94\x92\xf0\x9f\x94\x91" "ab", NULL, "(it has 6)");
	char max[PASSWORD_MAX_BYTES + 2];
	for (size_t i = 0; i < sizeof(max) - 1; i++)
		max[i] = (char)('a' + i % 26);
	max[PASSWORD_MAX_BYTES] = '\0';
	good(max, NULL);
	max[PASSWORD_MAX_BYTES] = 'x';
	max[PASSWORD_MAX_BYTES + 1] = '\0';
	bad(max, NULL, "longer than 1024 bytes");
}

static void test_utf8(void **state)
{
	bad("abcdefghijkl\xff", NULL, "not valid UTF-8");
	bad("abcdefghijkl\xc0\xaf", NULL, "not valid UTF-8");     /* overlong '/' */
	bad("abcdefghijkl\xed\xa0\x80", NULL, "not valid UTF-8"); /* surrogate */
	bad("abcdefghijkl\xe2\x82", NULL, "not valid UTF-8");     /* truncated */
}

static void test_repeated(void **state)
{
	bad("zzzzzzzzzzzzzzzz", NULL, "one character repeated");
}

static void test_email(void **state)
{
	bad("Alice.Smith@example.com", "alice.smith@example.com", "must not be the e-mail address");
	bad("xxALICE.SMITHyy42", "alice.smith@example.com", "must not contain the name");
	bad("alice.smith1!", "alice.smith@example.com", "must not contain the name");
	good("correct pony staple", "alice.smith@example.com");
	/* short local parts are not searched for */
	good("joyful umbrella 7", "jo@example.com");
	bad("my name is evan and", "evan@example.com", "must not contain the name");
	good("my name is evan and", NULL);
	good("my name is evan and", "");
}

static void test_common(void **state)
{
	assert_true(password_common_count() >= 190);
	assert_true(password_is_common("123456789012"));
	assert_true(password_is_common("Password1234"));
	assert_true(password_is_common("QWERTYUIOPAS"));
	assert_true(password_is_common("P@ssw0rd1234"));
	assert_false(password_is_common("password123")); /* too short to be listed */
	assert_false(password_is_common(NULL));
	bad("password1234", NULL, "most commonly used");
	bad("Qwerty123456", NULL, "most commonly used");
	bad("iloveyou1234", NULL, "most commonly used");
	bad("CorrectHorseBatteryStaple", NULL, "most commonly used");
	good("correcthorsebatterystaplex", NULL);
}

static void test_list_is_sane(void **state)
{
	/* every listed entry is long enough to matter, lower case, and unique */
	unsigned n = password_common_count();
	for (unsigned i = 0; i < n; i++) {
		const char *e = password_common_entry(i);
		assert_non_null(e);
		if (strlen(e) < PASSWORD_MIN_CHARS)
			fail_msg("'%s' is shorter than the minimum", e);
		for (const char *p = e; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				fail_msg("'%s' is not lower case", e);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(e, password_common_entry(j)) == 0)
				fail_msg("'%s' is listed twice", e);
		assert_true(password_is_common(e));
	}
	assert_null(password_common_entry(n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_common),
		cmocka_unit_test(test_list_is_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
