#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "notify/notify.h"

static bool internal(const char *ip)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1)
		return notify_addr_is_internal(AF_INET, a);
	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	return notify_addr_is_internal(AF_INET6, a);
}

static void test_internal_ranges(void **state)
{
	const char *in[] = {"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
			    "127.0.0.1", "127.255.0.1", "169.254.169.254", "0.0.0.0",
			    "100.64.0.1", "100.127.255.255", "224.0.0.1", "255.255.255.255",
			    "::1", "::", "fc00::1", "fd00:ec2::254", "fe80::1", "ff02::1",
			    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", NULL};
	const char *out[] = {"8.8.8.8", "172.32.0.1", "100.128.0.1", "93.184.216.34",
			     "2606:4700::1111", "::ffff:8.8.8.8", "11.0.0.1", NULL};
	for (const char **p = in; *p; p++)
		if (!internal(*p))
			fail_msg("%s should be internal", *p);
	for (const char **p = out; *p; p++)
		if (internal(*p))
			fail_msg("%s should be public", *p);
}

static void test_allow_list(void **state)
{
	struct notify_settings s = {0};
	const char *why = NULL;
	assert_int_equal(notify_cidr_parse_list("127.0.0.1/32, 10.1.0.0/16 ::1", s.allow,
						NOTIFY_MAX_ALLOW, &s.nallow, &why), 0);
	assert_int_equal(s.nallow, 3);
	unsigned char a[16];
	inet_pton(AF_INET, "127.0.0.1", a);
	assert_null(notify_addr_check(&s, AF_INET, a, true));
	inet_pton(AF_INET, "127.0.0.2", a);
	assert_non_null(notify_addr_check(&s, AF_INET, a, false));
	inet_pton(AF_INET, "10.1.200.3", a);
	assert_null(notify_addr_check(&s, AF_INET, a, false));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
	assert_null(notify_addr_check(&s, AF_INET6, a, false));
	inet_pton(AF_INET, "8.8.8.8", a);
	assert_null(notify_addr_check(&s, AF_INET, a, false));
	assert_non_null(notify_addr_check(&s, AF_INET, a, true)); /* plain http */
	size_t n;
	assert_int_equal(notify_cidr_parse_list("10.0.0.0/33", s.allow, 4, &n, &why), SIRT_EINVAL);
	assert_int_equal(notify_cidr_parse_list("example.com", s.allow, 4, &n, &why), SIRT_EINVAL);
	assert_int_equal(notify_cidr_parse_list("10.0.0.0/x", s.allow, 4, &n, &why), SIRT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal_ranges),
		cmocka_unit_test(test_allow_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
