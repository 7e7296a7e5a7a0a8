/* Unit tests for src/web/pages_tz.c: TZif zones and POSIX TZ rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/timeutil.h"
#include "web/pages_tz.h"

static int64_t at(const char *iso)
{
	int64_t t;
	assert_int_equal(time_parse_iso8601(iso, &t), 0);
	return t;
}

static void expect(const char *zone, const char *iso, const char *want, const char *abbr)
{
	struct tz_local l;
	tz_local(tz_get(zone), at(iso), &l);
	char got[64];
	snprintf(got, sizeof(got), "%04lld-%02u-%02u %02u:%02u", (long long)l.year, l.month, l.day,
		 l.hour, l.minute);
	assert_string_equal(got, want);
	if (abbr)
		assert_string_equal(l.abbr, abbr);
}

static void test_names(void **state)
{
	assert_true(tz_name_valid("Europe/Berlin"));
	assert_true(tz_name_valid("America/Argentina/Buenos_Aires"));
	assert_true(tz_name_valid("Etc/GMT+5"));
	assert_false(tz_name_valid(NULL));
	assert_false(tz_name_valid(""));
	assert_false(tz_name_valid("../etc/passwd"));
	assert_false(tz_name_valid("Europe/../../etc/passwd"));
	assert_false(tz_name_valid("/etc/localtime"));
	assert_false(tz_name_valid("Europe//Berlin"));
	assert_false(tz_name_valid("Europe/Berlin "));
	assert_false(tz_name_valid("Europe/Berlin\n"));
	/* unknown and hostile names are UTC */
	assert_string_equal(tz_name(tz_get("../../etc/passwd")), "UTC");
	assert_string_equal(tz_name(tz_get("No/Such_Zone")), "UTC");
	assert_string_equal(tz_name(tz_get(NULL)), "UTC");
	assert_string_equal(tz_name(tz_get("Europe/Berlin")), "Europe/Berlin");
	assert_ptr_equal(tz_get("Europe/Berlin"), tz_get("Europe/Berlin")); /* cached */
}

static void test_zones(void **state)
{
	expect("UTC", "2026-03-04T17:43:00Z", "2026-03-04 17:43", "UTC");
	expect("Europe/Berlin", "2026-01-15T12:00:00Z", "2026-01-15 13:00", "CET");
	expect("Europe/Berlin", "2026-07-15T12:00:00Z", "2026-07-15 14:00", "CEST");
	/* the switch: 2026-03-29 01:00 UTC */
	expect("Europe/Berlin", "2026-03-29T00:59:59Z", "2026-03-29 01:59", "CET");
	expect("Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29 03:00", "CEST");
	expect("America/New_York", "2026-03-04T17:43:00Z", "2026-03-04 12:43", "EST");
	expect("America/New_York", "2026-01-01T03:00:00Z", "2025-12-31 22:00", "EST");
	expect("Asia/Kolkata", "2026-03-04T17:43:00Z", "2026-03-04 23:13", "IST");
	/* southern hemisphere: daylight time across the new year */
	expect("Australia/Sydney", "2026-01-10T00:00:00Z", "2026-01-10 11:00", "AEDT");
	expect("Australia/Sydney", "2026-07-10T00:00:00Z", "2026-07-10 10:00", "AEST");
	/* numeric abbreviations */
	expect("America/Sao_Paulo", "2026-03-04T12:00:00Z", "2026-03-04 09:00", "-03");
	/* far beyond the table: the footer rule decides */
	expect("Europe/Berlin", "2066-07-15T12:00:00Z", "2066-07-15 14:00", "CEST");
	expect("Europe/Berlin", "2066-12-15T12:00:00Z", "2066-12-15 13:00", "CET");
	expect("Australia/Sydney", "2066-01-10T00:00:00Z", "2066-01-10 11:00", "AEDT");
	expect("America/New_York", "2070-11-20T12:00:00Z", "2070-11-20 07:00", "EST");
	/* before the first transition: local mean time */
	struct tz_local l;
	tz_local(tz_get("Europe/Berlin"), time_days_from_civil(1850, 1, 1) * 86400 + 43200, &l);
	assert_int_equal(l.hour * 60 + l.minute, 12 * 60 + 53);
	assert_string_equal(l.abbr, "LMT");
}

static void test_from_local(void **state)
{
	const struct tz *b = tz_get("Europe/Berlin");
	assert_int_equal(tz_from_local(b, 2026, 1, 15, 13, 0, 0), at("2026-01-15T12:00:00Z"));
	assert_int_equal(tz_from_local(b, 2026, 7, 15, 14, 0, 0), at("2026-07-15T12:00:00Z"));
	/* 02:30 does not exist on 2026-03-29; it lands within the hour */
	int64_t g = tz_from_local(b, 2026, 3, 29, 2, 30, 0);
	assert_true(g >= at("2026-03-29T00:30:00Z") && g <= at("2026-03-29T01:30:00Z"));
	const struct tz *u = tz_get("UTC");
	assert_int_equal(tz_from_local(u, 2026, 3, 4, 17, 43, 0), at("2026-03-04T17:43:00Z"));
	const struct tz *ny = tz_get("America/New_York");
	assert_int_equal(tz_from_local(ny, 2070, 7, 1, 8, 0, 0), at("2070-07-01T12:00:00Z"));
}

static void test_malformed(void **state)
{
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	assert_non_null(f);
	unsigned char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct tz *z = tz_parse("x", buf, n);
	assert_non_null(z);
	tz_free(z);
	/* every truncation is refused or parsed safely; none crashes */
	for (size_t k = 0; k < n; k += 7) {
		z = tz_parse("x", buf, k);
		if (z) {
			struct tz_local l;
			tz_local(z, 1772646180, &l);
			tz_free(z);
		}
	}
	assert_null(tz_parse("x", (const unsigned char *)"TZif", 4));
	assert_null(tz_parse("x", (const unsigned char *)"not a zone file at all, really not one", 40));
	/* a corrupted type index is refused */
	unsigned char bad[8192];
	memcpy(bad, buf, n);
	memset(bad + 44, 0xff, 200);
	z = tz_parse("x", bad, n);
	if (z)
		tz_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_from_local),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
