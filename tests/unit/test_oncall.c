#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/oncall.h"
#include "util/timeutil.h"

static int64_t T(const char *iso)
{
	int64_t t;
	if (time_parse_iso8601(iso, &t) < 0)
		fail_msg("bad time %s", iso);
	return t;
}

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);
	if (!v)
		fail_msg("bad JSON %s: %s", s, e.text);
	return v;
}

static void parse_ok(const char *layers, struct oncall_rotation *r)
{
	json_t *v = J(layers), *errors = NULL;
	int rc = oncall_layers_parse(v, "layers", r, &errors);
	if (rc != 0) {
		char *s = json_dumps(errors, 0);
		fail_msg("rejected: %s", s);
	}
	json_decref(v);
}

static void parse_bad(const char *layers, const char *field, const char *msg)
{
	struct oncall_rotation r;
	json_t *v = J(layers), *errors = NULL;
	assert_int_equal(oncall_layers_parse(v, "layers", &r, &errors), SIRT_EINVAL);
	size_t i;
	json_t *e;
	bool found = false;
	json_array_foreach(errors, i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "field")), field) &&
		    strstr(json_string_value(json_object_get(e, "message")), msg))
			found = true;
	}
	if (!found) {
		char *s = json_dumps(errors, 0);
		fail_msg("no error %s: %s in %s", field, msg, s);
	}
	json_decref(errors);
	json_decref(v);
}

static void test_tz(void **state)
{
	struct oncall_tz *tz = NULL;
	assert_int_equal(oncall_tz_load("UTC", &tz), 0);
	assert_null(tz);
	assert_int_equal(oncall_tz_load("../etc/passwd", &tz), SIRT_EINVAL);
	assert_int_equal(oncall_tz_load("Mars/Olympus_Mons", &tz), SIRT_EINVAL);
	assert_false(oncall_tz_name_ok("/etc/passwd"));
	assert_false(oncall_tz_name_ok("Europe/../x"));
	assert_true(oncall_tz_name_ok("America/Argentina/Buenos_Aires"));
	assert_int_equal(oncall_tz_load("Europe/Berlin", &tz), 0);
	assert_non_null(tz);
	assert_int_equal(oncall_tz_offset(tz, T("2026-01-15T12:00:00Z")), 3600);
	assert_int_equal(oncall_tz_offset(tz, T("2026-07-15T12:00:00Z")), 7200);
	/* the switch to summer time: 2026-03-29 01:00 UTC */
	assert_int_equal(oncall_tz_offset(tz, T("2026-03-29T00:59:59Z")), 3600);
	assert_int_equal(oncall_tz_offset(tz, T("2026-03-29T01:00:00Z")), 7200);
	/* far beyond the file's transitions: the POSIX rule in the footer */
	assert_int_equal(oncall_tz_offset(tz, T("2090-07-01T00:00:00Z")), 7200);
	assert_int_equal(oncall_tz_offset(tz, T("2090-12-01T00:00:00Z")), 3600);
	/* local 09:00 on a summer day is 07:00 UTC */
	int64_t wall = T("2026-07-01T09:00:00Z");
	assert_int_equal(oncall_tz_to_utc(tz, wall), T("2026-07-01T07:00:00Z"));
	oncall_tz_free(tz);
	assert_int_equal(oncall_tz_load("America/New_York", &tz), 0);
	assert_int_equal(oncall_tz_offset(tz, T("2026-01-15T12:00:00Z")), -5 * 3600);
	assert_int_equal(oncall_tz_offset(tz, T("2095-07-15T12:00:00Z")), -4 * 3600);
	oncall_tz_free(tz);
	const unsigned char junk[60] = "TZif2 not really";
	assert_int_equal(oncall_tz_parse(junk, sizeof(junk), &tz), SIRT_EINVAL);
}

static void test_weekly_rotation_and_handoff(void **state)
{
	struct oncall_rotation r;
	parse_ok("[{\"members\": [\"alice\", \"bob\", \"carol\"], \"start\": \"2026-01-05\","
		 " \"handoff\": \"09:00\", \"shift_hours\": 168}]", &r);
	struct oncall_tz *tz;
	assert_int_equal(oncall_tz_load("Europe/Berlin", &tz), 0);
	r.tz = tz;
	struct oncall_answer a;
	/* Monday 2026-01-05 09:00 Berlin = 08:00 UTC: alice starts */
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-05T07:59:59Z"), &a), 0);
	assert_string_equal(a.member, "carol"); /* the cycle runs backwards before the start */
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-05T08:00:00Z"), &a), 0);
	assert_string_equal(a.member, "alice");
	assert_int_equal(a.from, T("2026-01-05T08:00:00Z"));
	assert_int_equal(a.until, T("2026-01-12T08:00:00Z"));
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-12T07:59:59Z"), &a), 0);
	assert_string_equal(a.member, "alice");
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-12T08:00:00Z"), &a), 0);
	assert_string_equal(a.member, "bob");
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-19T08:00:00Z"), &a), 0);
	assert_string_equal(a.member, "carol");
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-26T08:00:00Z"), &a), 0);
	assert_string_equal(a.member, "alice");
	/* across the DST change the hand-off stays at 09:00 local (07:00 UTC) */
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-03-30T06:59:00Z"), &a), 0);
	const char *before = a.member;
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-03-30T07:00:00Z"), &a), 0);
	assert_string_not_equal(a.member, before);
	assert_int_equal(a.from, T("2026-03-30T07:00:00Z"));
	oncall_tz_free(tz);
}

static void test_overrides(void **state)
{
	struct oncall_rotation r;
	parse_ok("[{\"members\": [\"alice\", \"bob\"], \"start\": \"2026-01-05\","
		 " \"handoff\": \"09:00\", \"shift_hours\": 24}]", &r);
	struct oncall_override o[2] = {
		{"dave", T("2026-01-05T12:00:00Z"), T("2026-01-05T18:00:00Z")},
		{"erin", T("2026-01-06T00:00:00Z"), T("2026-01-06T06:00:00Z")},
	};
	struct oncall_answer a;
	assert_int_equal(oncall_who(&r, o, 2, T("2026-01-05T11:59:59Z"), &a), 0);
	assert_string_equal(a.member, "alice");
	assert_int_equal(oncall_who(&r, o, 2, T("2026-01-05T12:00:00Z"), &a), 0);
	assert_string_equal(a.member, "dave");
	assert_int_equal(a.override_index, 0);
	assert_int_equal(oncall_who(&r, o, 2, T("2026-01-05T18:00:00Z"), &a), 0);
	assert_string_equal(a.member, "alice");
	assert_int_equal(oncall_who(&r, o, 2, T("2026-01-06T09:00:00Z"), &a), 0);
	assert_string_equal(a.member, "bob");
	size_t x, y;
	assert_int_equal(oncall_overrides_check(o, 2, &x, &y), 0);
	o[1].start = T("2026-01-05T17:59:59Z");
	assert_int_equal(oncall_overrides_check(o, 2, &x, &y), SIRT_ECONFLICT);
	assert_int_equal(x, 0);
	assert_int_equal(y, 1);
	o[1].start = T("2026-01-05T18:00:00Z"); /* touching is not overlapping */
	assert_int_equal(oncall_overrides_check(o, 2, &x, &y), 0);
}

static void test_layers_and_coverage(void **state)
{
	struct oncall_rotation r;
	char why[200];
	/* business hours only: nights and weekends uncovered */
	parse_ok("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"08:00\","
		 " \"shift_hours\": 24, \"restrict\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
		 " \"from\": \"08:00\", \"to\": \"18:00\"}}]", &r);
	assert_int_equal(oncall_check_coverage(&r, why, sizeof(why)), SIRT_EINVAL);
	assert_non_null(strstr(why, "Monday 18:00 to Tuesday 08:00"));
	/* add a night layer wrapping midnight on every day, and weekends by day */
	parse_ok("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"08:00\","
		 " \"shift_hours\": 24, \"restrict\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],"
		 " \"from\": \"08:00\", \"to\": \"18:00\"}},"
		 " {\"name\": \"nights\", \"members\": [\"n1\", \"n2\"], \"start\": \"2026-01-05\","
		 " \"handoff\": \"18:00\", \"shift_hours\": 24, \"restrict\": {\"from\": \"18:00\", \"to\": \"08:00\"}},"
		 " {\"name\": \"weekend\", \"members\": [\"w\"], \"start\": \"2026-01-03\","
		 " \"handoff\": \"08:00\", \"shift_hours\": 24, \"restrict\": {\"days\": [\"sat\", \"sun\"],"
		 " \"from\": \"08:00\", \"to\": \"18:00\"}}]", &r);
	assert_int_equal(oncall_check_coverage(&r, why, sizeof(why)), 0);
	struct oncall_answer a;
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-07T10:00:00Z"), &a), 0); /* Wednesday */
	assert_string_equal(a.member, "a");
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-07T20:00:00Z"), &a), 0);
	assert_int_equal(a.layer, 1);
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-10T12:00:00Z"), &a), 0); /* Saturday */
	assert_string_equal(a.member, "w");
	/* remove Sunday from the weekend layer: a gap on Sunday daytime */
	parse_ok("[{\"members\": [\"n\"], \"start\": \"2026-01-05\", \"handoff\": \"18:00\","
		 " \"shift_hours\": 24, \"restrict\": {\"from\": \"18:00\", \"to\": \"08:00\"}},"
		 " {\"members\": [\"d\"], \"start\": \"2026-01-05\", \"handoff\": \"08:00\","
		 " \"shift_hours\": 24, \"restrict\": {\"days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\"],"
		 " \"from\": \"08:00\", \"to\": \"18:00\"}}]", &r);
	assert_int_equal(oncall_check_coverage(&r, why, sizeof(why)), SIRT_EINVAL);
	assert_non_null(strstr(why, "Sunday 08:00 to Sunday 18:00"));
	assert_int_equal(oncall_who(&r, NULL, 0, T("2026-01-11T12:00:00Z"), &a), SIRT_ENOTFOUND);
}

static void test_parse_errors(void **state)
{
	parse_bad("[]", "layers", "1 to 8 layers");
	parse_bad("[{\"members\": [], \"start\": \"2026-01-05\", \"handoff\": \"09:00\", \"shift_hours\": 24}]",
		  "layers[0].members", "1 to 50");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-13-05\", \"handoff\": \"09:00\", \"shift_hours\": 24}]",
		  "layers[0].start", "YYYY-MM-DD");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"9:00\", \"shift_hours\": 24}]",
		  "layers[0].handoff", "HH:MM");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"09:00\", \"shift_hours\": 0}]",
		  "layers[0].shift_hours", "1 to 672");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"09:00\", \"shift_hours\": 24, \"colour\": 1}]",
		  "layers[0].colour", "unknown field");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"09:00\", \"shift_hours\": 24,"
		  " \"restrict\": {\"days\": [\"mon\", \"mon\"], \"from\": \"08:00\", \"to\": \"08:00\"}}]",
		  "layers[0].restrict.days[1]", "twice");
	parse_bad("[{\"members\": [\"a\"], \"start\": \"2026-01-05\", \"handoff\": \"09:00\", \"shift_hours\": 24,"
		  " \"restrict\": {\"from\": \"08:00\", \"to\": \"08:00\"}}]",
		  "layers[0].restrict.to", "differ");
	assert_int_equal(oncall_parse_hhmm("24:00"), 1440);
	assert_int_equal(oncall_parse_hhmm("24:01"), -1);
	assert_int_equal(oncall_parse_hhmm("12:60"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tz),
		cmocka_unit_test(test_weekly_rotation_and_handoff),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_layers_and_coverage),
		cmocka_unit_test(test_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
