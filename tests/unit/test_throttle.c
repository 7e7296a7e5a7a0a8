#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/throttle.h"

static void test_free_attempts_then_doubling(void **state)
{
	for (int i = 0; i <= THROTTLE_ACCOUNT_FREE; i++)
		assert_int_equal(throttle_delay(i, THROTTLE_ACCOUNT_FREE), 0);
	assert_int_equal(throttle_delay(THROTTLE_ACCOUNT_FREE + 1, THROTTLE_ACCOUNT_FREE),
			 THROTTLE_BASE);
	assert_int_equal(throttle_delay(THROTTLE_ACCOUNT_FREE + 2, THROTTLE_ACCOUNT_FREE),
			 2 * THROTTLE_BASE);
	assert_int_equal(throttle_delay(THROTTLE_ACCOUNT_FREE + 3, THROTTLE_ACCOUNT_FREE),
			 4 * THROTTLE_BASE);
	int64_t prev = 0;
	for (int i = 1; i < 60; i++) {
		int64_t d = throttle_delay(i, THROTTLE_ADDRESS_FREE);
		assert_true(d >= prev);
		assert_true(d <= THROTTLE_CAP);
		prev = d;
	}
	assert_int_equal(throttle_delay(1000000, 0), THROTTLE_CAP);
	assert_int_equal(throttle_delay(INT64_MAX, 3), THROTTLE_CAP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_attempts_then_doubling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
