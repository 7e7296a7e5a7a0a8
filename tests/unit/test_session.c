#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "auth/session.h"

static void test_next_paths(void **state)
{
	const char *ok[] = {"/", "/incidents", "/incidents/INC-2026-0001?tab=log", "/a#b",
			    "/login?next=%2F"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!session_next_ok(ok[i]))
			fail_msg("refused '%s'", ok[i]);
	const char *bad[] = {NULL, "", "incidents", "//evil.example", "/\\evil.example",
			     "https://evil.example/", "/a\\b", "/a\nb", "/a\rb", "/a\x7f",
			     " /x", "javascript:alert(1)"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (session_next_ok(bad[i]))
			fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
	char longp[600];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_false(session_next_ok(longp));
}

static void test_ids_and_csrf(void **state)
{
	assert_true(sodium_init() >= 0);
	char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];
	unsigned char ha[32], hb[32], check[32];
	session_generate(a, ha);
	session_generate(b, hb);
	assert_int_equal(strlen(a), SESSION_ID_LEN);
	assert_true(session_id_looks_valid(a));
	assert_string_not_equal(a, b);
	crypto_hash_sha256(check, (const unsigned char *)a, strlen(a));
	assert_memory_equal(check, ha, 32);
	assert_false(session_id_looks_valid("short"));
	char bad[SESSION_ID_LEN + 1];
	memcpy(bad, a, sizeof(bad));
	bad[3] = '.';
	assert_false(session_id_looks_valid(bad));

	char ca[SESSION_ID_LEN + 1], ca2[SESSION_ID_LEN + 1], cb[SESSION_ID_LEN + 1];
	session_csrf_token(a, ca);
	session_csrf_token(a, ca2);
	session_csrf_token(b, cb);
	assert_string_equal(ca, ca2);
	assert_string_not_equal(ca, cb);
	assert_string_not_equal(ca, a); /* the token is not the session id */
	assert_true(session_token_equal(ca, ca2));
	assert_false(session_token_equal(ca, cb));
	assert_false(session_token_equal(ca, NULL));
	assert_false(session_token_equal("", ""));
	assert_false(session_token_equal(ca, "abc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_paths),
		cmocka_unit_test(test_ids_and_csrf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
