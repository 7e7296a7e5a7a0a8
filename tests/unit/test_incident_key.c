#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/incident_key.h"

static void test_format(void **state)
{
	char buf[INCIDENT_KEY_MAX];
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 2026, 42), 0);
	assert_string_equal(buf, "INC-2026-0042");
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 2026, 1), 0);
	assert_string_equal(buf, "INC-2026-0001");
	assert_int_equal(incident_key_format(buf, sizeof(buf), "SEC-IR", 2027, 12345), 0);
	assert_string_equal(buf, "SEC-IR-2027-12345");
	assert_int_equal(incident_key_format(buf, sizeof(buf), "ABCDEFGHIJKLMNOP", 9999,
					     INCIDENT_KEY_SEQ_MAX), 0);
	assert_string_equal(buf, "ABCDEFGHIJKLMNOP-9999-999999999999");
	char tiny[8];
	assert_int_equal(incident_key_format(tiny, sizeof(tiny), "INC", 2026, 42), SIRT_ETOOBIG);
}

static void test_format_bad(void **state)
{
	char buf[INCIDENT_KEY_MAX];
	assert_int_equal(incident_key_format(buf, sizeof(buf), "inc", 2026, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "", 2026, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "1NC", 2026, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC-", 2026, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "ABCDEFGHIJKLMNOPQ", 2026, 1),
			 SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "IN C", 2026, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 1969, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 10000, 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 2026, 0), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), "INC", 2026,
					     INCIDENT_KEY_SEQ_MAX + 1), SIRT_EINVAL);
	assert_int_equal(incident_key_format(buf, sizeof(buf), NULL, 2026, 1), SIRT_EINVAL);
}

static void test_parse(void **state)
{
	struct incident_key k;
	assert_int_equal(incident_key_parse("INC-2026-0042", NULL, &k), 0);
	assert_string_equal(k.prefix, "INC");
	assert_int_equal(k.year, 2026);
	assert_int_equal(k.seq, 42);
	assert_int_equal(incident_key_parse("inc-2026-0042", "INC", &k), 0);
	assert_string_equal(k.prefix, "INC");
	assert_int_equal(incident_key_parse("SEC-IR-2027-12345", "sec-ir", &k), 0);
	assert_string_equal(k.prefix, "SEC-IR");
	assert_int_equal(k.seq, 12345);
	assert_int_equal(k.year, 2027);
}

static void test_parse_bad(void **state)
{
	struct incident_key k;
	const char *bad[] = {
		"", "INC", "INC-2026", "INC-2026-", "INC-2026-042", "INC-2026-00042",
		"INC-26-0042", "INC-2026-0000", "INC-2026-00a2", "-2026-0042", "1NC-2026-0042",
		"INC_2026_0042", "INC-2026-0042 ", " INC-2026-0042", "INC-1969-0001",
		"INC--2026-0042", "INC-2O26-0042", "INC-2026-1234567890123",
		"ABCDEFGHIJKLMNOPQ-2026-0001",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (incident_key_parse(bad[i], NULL, &k) != SIRT_EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(incident_key_parse(NULL, NULL, &k), SIRT_EINVAL);
	assert_int_equal(incident_key_parse("INC-2026-0042", "SEC", &k), SIRT_EINVAL);
	assert_int_equal(incident_key_parse("INC-2026-0042", "IN", &k), SIRT_EINVAL);
}

static void test_roundtrip(void **state)
{
	char buf[INCIDENT_KEY_MAX];
	struct incident_key k;
	const int64_t seqs[] = {1, 9, 999, 1000, 9999, 10000, 123456789, INCIDENT_KEY_SEQ_MAX};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		assert_int_equal(incident_key_format(buf, sizeof(buf), "ACME", 2030, seqs[i]), 0);
		assert_int_equal(incident_key_parse(buf, "ACME", &k), 0);
		assert_int_equal(k.seq, seqs[i]);
		assert_int_equal(k.year, 2030);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_bad),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
