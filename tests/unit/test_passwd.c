#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "auth/passwd.h"

static void test_hash_verify_rehash(void **state)
{
	char h[PASSWD_HASH_MAX];
	assert_int_equal(passwd_hash("a long enough password", h), 0);
	assert_non_null(strstr(h, "$argon2id$"));
	assert_true(passwd_verify(h, "a long enough password"));
	assert_false(passwd_verify(h, "a long enough passworD"));
	assert_false(passwd_verify(NULL, "x"));
	assert_false(passwd_verify("", "x"));
	assert_false(passwd_needs_rehash(h));
	/* a hash made with other (weaker) parameters must be re-hashed */
	char weak[crypto_pwhash_STRBYTES];
	assert_int_equal(crypto_pwhash_str_alg(weak, "pw", 2, 1, 8u << 20,
					       crypto_pwhash_ALG_ARGON2ID13), 0);
	assert_true(passwd_verify(weak, "pw"));
	assert_true(passwd_needs_rehash(weak));
	char g1[21], g2[21];
	passwd_generate(g1, 20);
	passwd_generate(g2, 20);
	assert_int_equal(strlen(g1), 20);
	assert_string_not_equal(g1, g2);
	assert_null(strpbrk(g1, "l1O0I"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify_rehash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
