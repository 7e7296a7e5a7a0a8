/* The roll-up of grouped metric rows into periods. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/incident_metrics.h"
#include "util/timeutil.h"

#define DAY 86400

static int64_t date(int y, unsigned m, unsigned d)
{
	return time_days_from_civil(y, m, d) * DAY;
}

static json_int_t ival(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", k);
	return json_integer_value(v);
}

static void test_month_rollup(void **state)
{
	struct im_agg *a;
	assert_int_equal(im_new(date(2025, 11, 15), date(2026, 2, 1), "month", &a), 0);
	struct im_row r1 = {.year = 2025, .month = 12, .severity = "critical", .category = "malware",
			    .count = 2, .sum = {600, 7200, 14400, 100, 0}, .n = {2, 2, 2, 1, 0}};
	struct im_row r2 = {.year = 2026, .month = 1, .severity = "high", .category = NULL,
			    .count = 3, .rejected = 1, .sum = {900, 0, 0, 0, 0}, .n = {2, 0, 0, 0, 0}};
	struct im_row outside = {.year = 2026, .month = 3, .severity = "low", .count = 9};
	struct im_row bad_sev = {.year = 2026, .month = 1, .severity = "urgent", .count = 9};
	struct im_row notify = {.year = 2026, .month = 1, .severity = "high",
				.sum = {0, 0, 0, 0, 7200}, .n = {0, 0, 0, 0, 2}};
	im_add(a, &r1);
	im_add(a, &r2);
	im_add(a, &outside);
	im_add(a, &bad_sev);
	im_add(a, &notify);
	json_t *o = im_result(a);
	json_t *periods = json_object_get(o, "periods");
	assert_int_equal(json_array_size(periods), 3);
	assert_string_equal(json_string_value(json_array_get(periods, 0)), "2025-11");
	assert_string_equal(json_string_value(json_array_get(periods, 2)), "2026-01");
	json_t *overall = json_object_get(o, "overall");
	assert_int_equal(ival(overall, "count"), 5);
	assert_int_equal(ival(overall, "rejected"), 1);
	assert_int_equal(ival(overall, "mtta_seconds"), (600 + 900 + 2) / 4); /* rounded mean */
	assert_int_equal(ival(overall, "mttc_seconds"), 3600);
	assert_int_equal(ival(overall, "mttn_seconds"), 3600);
	json_t *crit = json_object_get(json_object_get(o, "by_severity"), "critical");
	assert_int_equal(ival(crit, "mttr_seconds"), 7200);
	assert_int_equal(ival(crit, "mttd_seconds"), 100);
	assert_true(json_is_null(json_object_get(crit, "mttn_seconds")));
	json_t *series = json_object_get(o, "series");
	json_t *nov = json_array_get(series, 0);
	assert_int_equal(ival(nov, "count"), 0);
	assert_true(json_is_null(json_object_get(nov, "mtta_seconds")));
	json_t *jan = json_array_get(series, 2);
	assert_int_equal(ival(json_object_get(json_object_get(jan, "by_severity"), "high"), "count"), 3);
	json_t *counts = json_object_get(o, "counts");
	assert_int_equal(ival(json_object_get(counts, "by_category"), "malware"), 2);
	assert_int_equal(ival(json_object_get(counts, "by_category"), "uncategorised"), 3);
	assert_int_equal(json_object_size(json_object_get(counts, "by_category")), 2);
	assert_int_equal(ival(json_object_get(counts, "by_month"), "2025-11"), 0);
	assert_int_equal(ival(json_object_get(counts, "by_month"), "2026-01"), 3);
	assert_int_equal(ival(json_object_get(counts, "by_severity"), "low"), 0);
	json_decref(o);
	im_free(a);
}

static void test_quarter_and_year(void **state)
{
	struct im_agg *a;
	assert_int_equal(im_new(date(2025, 2, 1), date(2026, 1, 1), "quarter", &a), 0);
	struct im_row r = {.year = 2025, .month = 6, .severity = "low", .count = 4};
	struct im_row s = {.year = 2025, .month = 4, .severity = "low", .count = 1};
	im_add(a, &r);
	im_add(a, &s);
	json_t *o = im_result(a);
	json_t *p = json_object_get(o, "periods");
	assert_int_equal(json_array_size(p), 4);
	assert_string_equal(json_string_value(json_array_get(p, 0)), "2025-Q1");
	assert_string_equal(json_string_value(json_array_get(p, 3)), "2025-Q4");
	assert_int_equal(ival(json_array_get(json_object_get(o, "series"), 1), "count"), 5);
	json_decref(o);
	im_free(a);
	assert_int_equal(im_new(date(2020, 1, 1), date(2026, 1, 1), "year", &a), 0);
	o = im_result(a);
	assert_int_equal(json_array_size(json_object_get(o, "periods")), 6);
	json_decref(o);
	im_free(a);
	char label[16];
	im_period_label("quarter", 2026, 12, label);
	assert_string_equal(label, "2026-Q4");
	im_period_label("month", 2026, 3, label);
	assert_string_equal(label, "2026-03");
}

static void test_bad_ranges(void **state)
{
	struct im_agg *a = NULL;
	assert_int_equal(im_new(0, 100, "week", &a), SIRT_EINVAL);
	assert_int_equal(im_new(100, 100, "month", &a), SIRT_EINVAL);
	assert_int_equal(im_new(date(1900, 1, 1), date(2026, 1, 1), "month", &a), SIRT_EINVAL);
	assert_int_equal(im_new(date(1900, 1, 1), date(2026, 1, 1), "year", &a), 0);
	im_free(a);
	im_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_rollup),
		cmocka_unit_test(test_quarter_and_year),
		cmocka_unit_test(test_bad_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
