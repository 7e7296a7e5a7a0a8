/* Post-incident review rules: measures, required sections, content checks,
 * merging and the Markdown rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/review.h"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);
	if (!v)
		fail_msg("bad test JSON: %s", e.text);
	return v;
}

static void test_measures(void **state)
{
	struct review_times t = {.occurred_at = 1000, .detected_at = 1600, .aware_at = 1700,
				 .acknowledged_at = 1900, .contained_at = 4600,
				 .resolved_at = 8800, .notified_at = 5000};
	struct review_measures m;
	review_compute_measures(&t, &m);
	assert_int_equal(m.time_to_detect, 600);
	assert_int_equal(m.time_to_acknowledge, 300);
	assert_int_equal(m.time_to_contain, 3000);
	assert_int_equal(m.time_to_resolve, 7200);
	assert_int_equal(m.time_to_notify, 3300); /* from awareness */
	assert_int_equal(m.duration, 7800);
	/* missing or out-of-order times give -1, never a negative interval */
	struct review_times u = {.detected_at = 1600, .acknowledged_at = 1500};
	review_compute_measures(&u, &m);
	assert_int_equal(m.time_to_acknowledge, -1);
	assert_int_equal(m.time_to_detect, -1);
	assert_int_equal(m.time_to_contain, -1);
	/* notify falls back to detection when awareness is unknown */
	struct review_times v = {.detected_at = 100, .notified_at = 400, .resolved_at = 500};
	review_compute_measures(&v, &m);
	assert_int_equal(m.time_to_notify, 300);
	assert_int_equal(m.duration, 400);
}

static void test_facts_json(void **state)
{
	struct review_times t = {.detected_at = 1767225600, .acknowledged_at = 1767225900};
	json_t *inc = parse("{\"key\": \"INC-2026-0001\"}");
	json_t *f = review_facts_json(&t, inc, 1767229200);
	json_t *times = json_object_get(f, "times");
	assert_string_equal(json_string_value(json_object_get(times, "detected_at")),
			    "2026-01-01T00:00:00Z");
	assert_true(json_is_null(json_object_get(times, "occurred_at")));
	json_t *ms = json_object_get(f, "measures");
	assert_int_equal(json_integer_value(json_object_get(ms, "time_to_acknowledge_seconds")), 300);
	assert_true(json_is_null(json_object_get(ms, "time_to_contain_seconds")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "incident"), "key")),
			    "INC-2026-0001");
	json_decref(f);
	json_decref(inc);
}

static void test_missing_sections(void **state)
{
	json_t *c = parse("{}"), *missing;
	assert_int_equal(review_missing_sections(c, &missing), 11);
	assert_string_equal(json_string_value(json_array_get(missing, 0)), "summary");
	assert_string_equal(json_string_value(json_array_get(missing, 10)), "recommendations");
	json_decref(missing);
	json_decref(c);
	c = parse("{\"summary\": \" \\n \", \"actions_taken\": [{\"text\": \"x\"}],"
		  " \"root_cause\": {\"method\": \"fishbone\", \"root_cause\": \"r\", \"category\":"
		  " \"other\"}, \"impact\": {\"functional\": \"none\", \"information\": \"none\","
		  " \"recoverability\": \"regular\"}, \"went_well\": \"a\", \"went_badly\": \"b\","
		  " \"recommendations\": [\"c\"]}");
	assert_int_equal(review_missing_sections(c, &missing), 1); /* a blank summary is empty */
	assert_string_equal(json_string_value(json_array_get(missing, 0)), "summary");
	json_decref(missing);
	json_object_set_new(c, "summary", json_string("done"));
	assert_int_equal(review_missing_sections(c, &missing), 0);
	json_decref(missing);
	json_decref(c);
}

static bool has_error(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "field")), field))
			return true;
	return false;
}

static void test_content_check(void **state)
{
	json_t *errors = NULL;
	json_t *c = parse("{\"summary\": \"ok\", \"root_cause\": {\"method\": \"five_whys\"},"
			  " \"impact\": {\"people_affected\": 3, \"data_types\": [\"email\"],"
			  " \"currency\": \"EUR\"}, \"recommendations\": [\"x\"],"
			  " \"actions_taken\": [{\"at\": \"2026-01-01T00:00:00Z\", \"text\": \"t\"}],"
			  " \"went_well\": null}");
	assert_int_equal(review_content_check(c, &errors), 0);
	assert_null(errors);
	json_decref(c);
	c = parse("{\"summary\": 5, \"root_cause\": {\"method\": \"guess\", \"x\": 1},"
		  " \"impact\": {\"people_affected\": -2, \"currency\": \"eur\","
		  " \"functional\": \"huge\", \"systems\": [\"\"]}, \"recommendations\": \"x\","
		  " \"actions_taken\": [{\"at\": \"yesterday\"}, 3], \"other\": 1}");
	assert_int_equal(review_content_check(c, &errors), SIRT_EINVAL);
	const char *want[] = {"summary", "root_cause.method", "root_cause.x",
			      "impact.people_affected", "impact.currency", "impact.functional",
			      "impact.systems[0]", "recommendations", "actions_taken[0].at",
			      "actions_taken[0].text", "actions_taken[1]", "other"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_error(errors, want[i])) {
			char *d = json_dumps(errors, 0);
			fail_msg("no error for %s in %s", want[i], d);
		}
	json_decref(errors);
	json_decref(c);
	errors = NULL;
	c = parse("{\"summary\": \"a\\u0001b\"}");
	assert_int_equal(review_content_check(c, &errors), SIRT_EINVAL);
	assert_true(has_error(errors, "summary"));
	json_decref(errors);
	json_decref(c);
}

static void test_merge(void **state)
{
	json_t *c = parse("{\"summary\": \"a\", \"root_cause\": {\"method\": \"other\","
			  " \"root_cause\": \"r\"}, \"went_well\": \"w\"}");
	json_t *p = parse("{\"root_cause\": {\"method\": \"fishbone\", \"root_cause\": null},"
			  " \"went_well\": null, \"recommendations\": [\"x\"]}");
	review_content_merge(c, p);
	json_t *rc = json_object_get(c, "root_cause");
	assert_string_equal(json_string_value(json_object_get(rc, "method")), "fishbone");
	assert_null(json_object_get(rc, "root_cause"));
	assert_null(json_object_get(c, "went_well"));
	assert_string_equal(json_string_value(json_object_get(c, "summary")), "a");
	assert_int_equal(json_array_size(json_object_get(c, "recommendations")), 1);
	json_decref(p);
	json_decref(c);
}

static void test_markdown(void **state)
{
	json_t *rv = parse(
		"{\"incident\": {\"key\": \"INC-2026-0007\", \"title\": \"*bold* [x](javascript:y)\","
		" \"severity\": \"high\", \"status\": \"closed\"}, \"revision\": 2,"
		" \"status\": \"published\", \"published_at\": \"2026-02-01T10:00:00Z\","
		" \"author\": \"a@example.com\", \"summary\": \"We **fixed** it.\","
		" \"facts\": {\"times\": {\"detected_at\": \"2026-01-01T00:00:00Z\"},"
		"  \"measures\": {\"time_to_contain_seconds\": 7500, \"time_to_detect_seconds\": null}},"
		" \"actions_taken\": [{\"at\": \"2026-01-01T00:10:00Z\", \"actor\": \"bob\","
		"  \"text\": \"Blocked the IP\"}],"
		" \"root_cause\": {\"method\": \"five_whys\", \"root_cause\": \"No MFA.\","
		"  \"contributing_factors\": [\"a\", \"b\"], \"category\": \"credential_compromise\"},"
		" \"impact\": {\"people_affected\": 12, \"estimated_cost\": 900, \"currency\": \"EUR\","
		"  \"functional\": \"low\"},"
		" \"went_well\": \"\", \"went_badly\": \"Slow paging.\","
		" \"recommendations\": [\"Enforce MFA\"],"
		" \"signoffs\": [{\"reviewer\": \"r@example.com\", \"name\": \"Rita\","
		"  \"signed_at\": \"2026-02-01T09:00:00Z\", \"comment\": \"ok\"}]}");
	struct strbuf sb;
	sb_init(&sb, 0);
	review_render_markdown(rv, &sb);
	assert_int_equal(sb_status(&sb), 0);
	const char *md = sb_str(&sb);
	const char *want[] = {
		"# Post-incident review: INC-2026-0007 — \\*bold\\* \\[x\\](javascript:y)\n",
		"Revision 2, published on 2026-02-01T10:00:00Z.",
		"- **Time to contain:** 2 h 05 min\n", "- **Time to detect:** –\n",
		"We **fixed** it.", "- **2026-01-01T00:10:00Z** bob: Blocked the IP\n",
		"- **Method:** five\\_whys\n", "- **Contributing factors:** a, b\n",
		"- **People affected:** 12\n", "- **Estimated cost:** 900 EUR\n",
		"## What went well\n\n_Not recorded._", "1. Enforce MFA\n",
		"- Rita (r@example.com), 2026-02-01T09:00:00Z: ok\n"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(md, want[i]))
			fail_msg("missing '%s' in:\n%s", want[i], md);
	sb_free(&sb);
	json_decref(rv);
}

static void test_duration(void **state)
{
	char b[48];
	review_format_duration(-1, b, sizeof(b));
	assert_string_equal(b, "–");
	review_format_duration(45, b, sizeof(b));
	assert_string_equal(b, "45 s");
	review_format_duration(600, b, sizeof(b));
	assert_string_equal(b, "10 min");
	review_format_duration(3600 + 300, b, sizeof(b));
	assert_string_equal(b, "1 h 05 min");
	review_format_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b));
	assert_string_equal(b, "3 d 4 h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_measures),
		cmocka_unit_test(test_facts_json),
		cmocka_unit_test(test_missing_sections),
		cmocka_unit_test(test_content_check),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
