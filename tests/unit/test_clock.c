#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "util/timeutil.h"

#define H 3600

static int64_t T(const char *iso)
{
	int64_t t;
	if (time_parse_iso8601(iso, &t) != 0)
		fail_msg("bad test time %s", iso);
	return t;
}

static void time_eq(int64_t got, const char *want_iso, int line)
{
	int64_t want = T(want_iso);
	if (got != want) {
		char g[ISO8601_LEN];
		time_format_iso8601(got, g);
		fail_msg("line %d: got %s, want %s", line, g, want_iso);
	}
}
#define TIME_EQ(got, want) time_eq((got), (want), __LINE__)

static const struct clock_calendar utc_cal = {.weekend_mask = (1u << 5) | (1u << 6)};

static struct clock_def *parse_ok(const char *json)
{
	struct strbuf why;
	struct clock_def *d = NULL;
	sb_init(&why, 0);
	if (clock_def_parse(json, strlen(json), &d, &why) != 0)
		fail_msg("definition rejected: %s", sb_str(&why));
	sb_free(&why);
	return d;
}

static void parse_bad(const char *json, const char *want)
{
	struct strbuf why;
	struct clock_def *d = (struct clock_def *)1;
	sb_init(&why, 0);
	int rc = clock_def_parse(json, strlen(json), &d, &why);
	if (rc == 0)
		fail_msg("accepted: %s", json);
	assert_null(d);
	if (!strstr(sb_str(&why), want))
		fail_msg("message '%s' lacks '%s'", sb_str(&why), want);
	sb_free(&why);
}

static struct clock_def *builtin(const char *key)
{
	struct clock_def *d = NULL;
	if (clock_builtin_load(key, &d) != 0)
		fail_msg("no built-in %s", key);
	return d;
}

/* ---- arithmetic ---- */

static void test_hours_and_days(void **state)
{
	TIME_EQ(clock_add(&utc_cal, T("2026-03-01T10:00:00Z"), 72, CLOCK_UNIT_HOURS, false),
		"2026-03-04T10:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-12-31T23:00:00Z"), 2, CLOCK_UNIT_HOURS, false),
		"2027-01-01T01:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-02-20T08:15:00Z"), 60, CLOCK_UNIT_CALENDAR_DAYS, false),
		"2026-04-21T08:15:00Z");
	/* leap year: 2028-02-28 + 1 day is Feb 29 */
	TIME_EQ(clock_add(&utc_cal, T("2028-02-28T12:00:00Z"), 1, CLOCK_UNIT_CALENDAR_DAYS, false),
		"2028-02-29T12:00:00Z");
}

static void test_months_clamp(void **state)
{
	TIME_EQ(clock_add(&utc_cal, T("2026-01-31T09:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2026-02-28T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2024-01-31T09:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2024-02-29T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2024-02-29T09:00:00Z"), 12, CLOCK_UNIT_MONTHS, false),
		"2025-02-28T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2024-02-29T09:00:00Z"), 48, CLOCK_UNIT_MONTHS, false),
		"2028-02-29T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-03-31T09:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2026-04-30T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-08-31T09:00:00Z"), 6, CLOCK_UNIT_MONTHS, false),
		"2027-02-28T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-12-15T09:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2027-01-15T09:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2026-11-30T09:00:00Z"), 14, CLOCK_UNIT_MONTHS, false),
		"2028-01-30T09:00:00Z");
	/* century rules: 2100 is not a leap year, 2000 was */
	TIME_EQ(clock_add(&utc_cal, T("2100-01-31T00:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2100-02-28T00:00:00Z");
	TIME_EQ(clock_add(&utc_cal, T("2000-01-31T00:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2000-02-29T00:00:00Z");
}

static void test_months_local_date(void **state)
{
	/* 2026-02-01T03:00Z is still Jan 31 in New York (-05:00) */
	struct clock_calendar ny = utc_cal;
	ny.utc_offset = -5 * H;
	TIME_EQ(clock_add(&ny, T("2026-02-01T03:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2026-02-28T22:00:00-05:00");
	/* and in UTC it is Feb 1, so one month is Mar 1 */
	TIME_EQ(clock_add(&utc_cal, T("2026-02-01T03:00:00Z"), 1, CLOCK_UNIT_MONTHS, false),
		"2026-03-01T03:00:00Z");
}

static void test_business_days_weekend(void **state)
{
	/* Friday + 1 business day = Monday, same time of day */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-04T10:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-07T10:00:00Z");
	/* Thursday + 4 = Wednesday */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-03T16:30:00Z"), 4, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-09T16:30:00Z");
	/* the trigger day does not count even on a weekend: Saturday + 1 = Monday */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-05T10:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-07T10:00:00Z");
	/* Sunday + 1 = Monday as well */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-06T23:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-07T23:00:00Z");
	/* end of day */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-04T10:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, true),
		"2026-12-07T23:59:59Z");
	/* a Friday-Saturday weekend */
	struct clock_calendar fs = {.weekend_mask = (1u << 4) | (1u << 5)};
	TIME_EQ(clock_add(&fs, T("2026-12-03T10:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-06T10:00:00Z");
	assert_true(clock_is_business_day(&utc_cal, T("2026-12-04T00:00:00Z") / 86400));
	assert_false(clock_is_business_day(&utc_cal, T("2026-12-05T00:00:00Z") / 86400));
	assert_false(clock_is_business_day(&utc_cal, T("2026-12-06T00:00:00Z") / 86400));
	/* before 1970 the weekday arithmetic still holds: 1969-12-31 was a Wednesday */
	assert_true(clock_is_business_day(&utc_cal, -1));
	assert_false(clock_is_business_day(&utc_cal, -5)); /* Saturday 1969-12-27 */
}

static void test_business_days_holiday(void **state)
{
	int64_t hol[] = {T("2026-12-24T00:00:00Z") / 86400, T("2026-12-25T00:00:00Z") / 86400};
	struct clock_calendar cal = utc_cal;
	cal.holidays = hol;
	cal.nholidays = 2;
	/* Wed 23 + 2: Thu 24 and Fri 25 holidays, weekend, Mon 28 (1), Tue 29 (2) */
	TIME_EQ(clock_add(&cal, T("2026-12-23T09:00:00Z"), 2, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-29T09:00:00Z");
	/* a trigger on the holiday itself: the day does not count */
	TIME_EQ(clock_add(&cal, T("2026-12-24T09:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-28T09:00:00Z");
	/* the same without holidays */
	TIME_EQ(clock_add(&utc_cal, T("2026-12-23T09:00:00Z"), 2, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-25T09:00:00Z");
	/* a calendar with no business days at all does not hang */
	struct clock_calendar none = {.weekend_mask = 0x7f};
	(void)clock_add(&none, 0, 5, CLOCK_UNIT_BUSINESS_DAYS, false);
}

static void test_business_days_local_offset(void **state)
{
	/* 2026-12-05T02:00Z is Friday evening in New York: Friday is the trigger
	 * day, so + 1 business day is Monday, 21:00 local */
	struct clock_calendar ny = utc_cal;
	ny.utc_offset = -5 * H;
	TIME_EQ(clock_add(&ny, T("2026-12-05T02:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, false),
		"2026-12-07T21:00:00-05:00");
	TIME_EQ(clock_add(&ny, T("2026-12-05T02:00:00Z"), 1, CLOCK_UNIT_BUSINESS_DAYS, true),
		"2026-12-07T23:59:59-05:00");
}

/* ---- status ---- */

static void test_stage_status(void **state)
{
	int64_t dl = 1000;
	assert_int_equal(clock_stage_status_at(true, dl, 0, false, 100, 60), CLOCK_STAGE_PENDING);
	assert_int_equal(clock_stage_status_at(true, dl, 0, false, 940, 60), CLOCK_STAGE_DUE_SOON);
	assert_int_equal(clock_stage_status_at(true, dl, 0, false, 939, 60), CLOCK_STAGE_PENDING);
	assert_int_equal(clock_stage_status_at(true, dl, 0, false, 1000, 60), CLOCK_STAGE_DUE_SOON);
	assert_int_equal(clock_stage_status_at(true, dl, 0, false, 1001, 60), CLOCK_STAGE_OVERDUE);
	assert_int_equal(clock_stage_status_at(true, dl, 1000, false, 5000, 60), CLOCK_STAGE_MET);
	assert_int_equal(clock_stage_status_at(true, dl, 1001, false, 5000, 60), CLOCK_STAGE_LATE);
	assert_int_equal(clock_stage_status_at(true, dl, 0, true, 5000, 60),
			 CLOCK_STAGE_NOT_REQUIRED);
	assert_int_equal(clock_stage_status_at(true, dl, 2000, true, 5000, 60),
			 CLOCK_STAGE_NOT_REQUIRED);
	assert_int_equal(clock_stage_status_at(false, 0, 0, false, 5000, 60),
			 CLOCK_STAGE_NOT_STARTED);
	assert_int_equal(clock_stage_status_at(false, 0, 10, false, 5000, 60), CLOCK_STAGE_MET);
	assert_string_equal(clock_stage_status_name(CLOCK_STAGE_OVERDUE), "overdue");
	assert_string_equal(clock_stage_status_name(CLOCK_STAGE_DUE_SOON), "due_soon");
	assert_string_equal(clock_stage_status_name(CLOCK_STAGE_NOT_REQUIRED), "not_required");
	assert_null(clock_stage_status_name((enum clock_stage_status)99));
}

/* ---- regimes ---- */

static void test_dora_classified_30h_after_awareness(void **state)
{
	struct clock_def *d = builtin("dora_art19");
	struct clock_inputs in = {0};
	struct clock_stage_result r[3];
	int64_t aware = T("2026-03-02T08:00:00Z");
	int64_t classified = aware + 30 * H;
	in.trigger_at[CLOCK_TRIG_BECAME_AWARE] = aware;
	in.trigger_at[CLOCK_TRIG_CLASSIFIED_MAJOR] = classified;

	assert_int_equal(d->nstages, 3);
	clock_compute(d, &in, classified, 2 * H, r);
	assert_true(r[0].known);
	TIME_EQ(r[0].deadline, "2026-03-03T08:00:00Z"); /* awareness + 24 h */
	assert_true(r[0].by_no_later_than);
	assert_true(r[0].passed_at_start);
	assert_int_equal(r[0].status, CLOCK_STAGE_OVERDUE);
	assert_int_equal(r[0].time_left, -6 * H);
	/* the later stages count from the (missed) initial deadline until it is sent */
	assert_true(r[1].known);
	assert_true(r[1].provisional);
	TIME_EQ(r[1].deadline, "2026-03-06T08:00:00Z");
	assert_int_equal(r[1].status, CLOCK_STAGE_PENDING);

	/* sent an hour after classification: late; intermediate counts from it */
	int64_t sub[3] = {classified + H, 0, 0};
	in.submitted_at = sub;
	clock_compute(d, &in, classified + 2 * H, 2 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_LATE);
	assert_false(r[1].provisional);
	TIME_EQ(r[1].deadline, "2026-03-06T15:00:00Z");
	assert_true(r[2].provisional);
	TIME_EQ(r[2].deadline, "2026-04-06T15:00:00Z");
	clock_def_free(d);
}

static void test_dora_normal(void **state)
{
	struct clock_def *d = builtin("dora_art19");
	struct clock_inputs in = {0};
	struct clock_stage_result r[3];
	int64_t aware = T("2026-01-30T08:00:00Z");
	in.trigger_at[CLOCK_TRIG_BECAME_AWARE] = aware;

	/* not classified major yet: nothing runs */
	clock_compute(d, &in, aware + H, H, r);
	assert_false(r[0].known);
	assert_int_equal(r[0].status, CLOCK_STAGE_NOT_STARTED);
	assert_int_equal(r[1].status, CLOCK_STAGE_NOT_STARTED);
	assert_int_equal(r[2].status, CLOCK_STAGE_NOT_STARTED);

	/* classified 2 h after awareness: 4 h after classification decides */
	in.trigger_at[CLOCK_TRIG_CLASSIFIED_MAJOR] = aware + 2 * H;
	clock_compute(d, &in, aware + 2 * H, H, r);
	TIME_EQ(r[0].deadline, "2026-01-30T14:00:00Z");
	assert_false(r[0].by_no_later_than);
	assert_false(r[0].passed_at_start);
	assert_int_equal(r[0].status, CLOCK_STAGE_PENDING);
	assert_int_equal(r[0].time_left, 4 * H);
	clock_compute(d, &in, aware + 5 * H + 30 * 60, H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_DUE_SOON);

	/* classified 21 h after awareness: the 24 h limit decides */
	in.trigger_at[CLOCK_TRIG_CLASSIFIED_MAJOR] = aware + 21 * H;
	clock_compute(d, &in, aware + 21 * H, H, r);
	TIME_EQ(r[0].deadline, "2026-01-31T08:00:00Z");
	assert_true(r[0].by_no_later_than);
	assert_false(r[0].passed_at_start);

	/* all three met; the final report is one month after the intermediate,
	 * clamped at the month end */
	int64_t sub[3] = {T("2026-01-31T07:00:00Z"), T("2026-01-31T20:00:00Z"), 0};
	in.submitted_at = sub;
	clock_compute(d, &in, T("2026-02-10T00:00:00Z"), H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_MET);
	assert_int_equal(r[1].status, CLOCK_STAGE_MET);
	TIME_EQ(r[2].deadline, "2026-02-28T20:00:00Z");
	assert_false(r[2].provisional);
	assert_int_equal(r[2].status, CLOCK_STAGE_PENDING);
	clock_def_free(d);
}

static void test_nis2_chain(void **state)
{
	struct clock_def *d = builtin("nis2_art23");
	struct clock_inputs in = {0};
	struct clock_stage_result r[3];
	in.trigger_at[CLOCK_TRIG_BECAME_AWARE] = T("2026-01-30T10:00:00Z");
	assert_int_equal(d->nstages, 3);
	assert_string_equal(d->stages[0].key, "early_warning");
	assert_string_equal(d->stages[2].key, "final_report");

	clock_compute(d, &in, T("2026-01-30T11:00:00Z"), 6 * H, r);
	TIME_EQ(r[0].deadline, "2026-01-31T10:00:00Z");
	TIME_EQ(r[1].deadline, "2026-02-02T10:00:00Z");
	TIME_EQ(r[2].deadline, "2026-03-02T10:00:00Z"); /* provisional: from the deadline */
	assert_true(r[2].provisional);
	assert_int_equal(r[0].status, CLOCK_STAGE_PENDING);
	assert_int_equal(r[0].time_left, 23 * H);

	clock_compute(d, &in, T("2026-01-31T05:00:00Z"), 6 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_DUE_SOON);
	clock_compute(d, &in, T("2026-01-31T10:00:01Z"), 6 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_OVERDUE);

	/* early warning met, notification sent on Jan 31: the final report is
	 * one month later, Feb 28 (no Feb 31) */
	int64_t sub[3] = {T("2026-01-31T09:00:00Z"), T("2026-01-31T12:00:00Z"), 0};
	in.submitted_at = sub;
	clock_compute(d, &in, T("2026-02-01T00:00:00Z"), 6 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_MET);
	assert_int_equal(r[1].status, CLOCK_STAGE_MET);
	TIME_EQ(r[2].deadline, "2026-02-28T12:00:00Z");
	assert_false(r[2].provisional);

	/* the notification sent late moves the final report with it */
	sub[1] = T("2026-02-03T10:00:00Z");
	clock_compute(d, &in, T("2026-03-04T00:00:00Z"), 6 * H, r);
	assert_int_equal(r[1].status, CLOCK_STAGE_LATE);
	TIME_EQ(r[2].deadline, "2026-03-03T10:00:00Z");
	assert_int_equal(r[2].status, CLOCK_STAGE_OVERDUE);
	sub[2] = T("2026-03-03T09:00:00Z");
	clock_compute(d, &in, T("2026-03-04T00:00:00Z"), 6 * H, r);
	assert_int_equal(r[2].status, CLOCK_STAGE_MET);
	clock_def_free(d);
}

static void test_sec_business_days(void **state)
{
	struct clock_def *d = builtin("sec_8k_105");
	struct clock_inputs in = {0};
	struct clock_stage_result r[1];
	assert_int_equal(d->calendar.utc_offset, -5 * H);
	assert_true(d->calendar.nholidays >= 20);

	/* Thursday 15:00 New York: Fri (1), Mon (2), Tue (3), Wed (4), end of day */
	in.trigger_at[CLOCK_TRIG_MATERIALITY_DETERMINED] = T("2026-11-19T15:00:00-05:00");
	clock_compute(d, &in, T("2026-11-19T15:00:00-05:00"), 24 * H, r);
	TIME_EQ(r[0].deadline, "2026-11-25T23:59:59-05:00");

	/* Monday before Thanksgiving: Tue (1), Wed (2), Thu holiday, Fri (3), Mon (4) */
	in.trigger_at[CLOCK_TRIG_MATERIALITY_DETERMINED] = T("2026-11-23T09:00:00-05:00");
	clock_compute(d, &in, T("2026-11-23T09:00:00-05:00"), 24 * H, r);
	TIME_EQ(r[0].deadline, "2026-11-30T23:59:59-05:00");
	assert_int_equal(r[0].status, CLOCK_STAGE_PENDING);
	clock_compute(d, &in, T("2026-11-30T12:00:00-05:00"), 24 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_DUE_SOON);
	clock_compute(d, &in, T("2026-12-01T00:00:00-05:00"), 24 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_OVERDUE);
	clock_def_free(d);
}

static void test_gdpr_hipaa_nydfs(void **state)
{
	struct clock_inputs in = {0};
	struct clock_stage_result r[3];
	in.trigger_at[CLOCK_TRIG_BECAME_AWARE] = T("2026-05-01T22:00:00Z");
	in.trigger_at[CLOCK_TRIG_DISCOVERED] = T("2026-05-01T22:00:00Z");

	struct clock_def *d = builtin("gdpr_art33");
	clock_compute(d, &in, T("2026-05-02T00:00:00Z"), 12 * H, r);
	TIME_EQ(r[0].deadline, "2026-05-04T22:00:00Z");
	assert_false(d->stages[0].without_undue_delay);
	clock_def_free(d);

	d = builtin("gdpr_art34");
	assert_true(d->stages[0].without_undue_delay);
	assert_string_equal(d->stages[0].recipient, "data subjects");
	bool nr[1] = {true};
	in.not_required = nr;
	clock_compute(d, &in, T("2026-06-01T00:00:00Z"), 12 * H, r);
	assert_int_equal(r[0].status, CLOCK_STAGE_NOT_REQUIRED);
	in.not_required = NULL;
	clock_def_free(d);

	d = builtin("hipaa_breach");
	clock_compute(d, &in, T("2026-05-02T00:00:00Z"), 12 * H, r);
	TIME_EQ(r[0].deadline, "2026-06-30T22:00:00Z"); /* 60 calendar days */
	assert_int_equal(d->trigger, CLOCK_TRIG_DISCOVERED);
	clock_def_free(d);

	/* NYDFS: the ransom stages wait for a payment */
	d = builtin("nydfs_500_17");
	clock_compute(d, &in, T("2026-05-02T00:00:00Z"), 12 * H, r);
	TIME_EQ(r[0].deadline, "2026-05-04T22:00:00Z");
	assert_int_equal(r[1].status, CLOCK_STAGE_NOT_STARTED);
	assert_int_equal(r[2].status, CLOCK_STAGE_NOT_STARTED);
	in.trigger_at[CLOCK_TRIG_RANSOM_PAID] = T("2026-05-03T06:00:00Z");
	clock_compute(d, &in, T("2026-05-03T07:00:00Z"), 12 * H, r);
	TIME_EQ(r[1].deadline, "2026-05-04T06:00:00Z");
	assert_int_equal(r[1].status, CLOCK_STAGE_PENDING);
	TIME_EQ(r[2].deadline, "2026-06-02T06:00:00Z");
	clock_def_free(d);
}

static void test_builtins(void **state)
{
	const char *keys[] = {"gdpr_art33", "gdpr_art34", "nis2_art23", "dora_art19",
			      "sec_8k_105", "hipaa_breach", "nydfs_500_17", "circia",
			      "customer_contract"};
	assert_int_equal(clock_builtin_count(), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct clock_def *d = builtin(keys[i]);
		assert_string_equal(d->key, keys[i]);
		assert_true(d->nstages >= 1);
		for (size_t s = 0; s < d->nstages; s++)
			assert_non_null(d->stages[s].recipient);
		clock_def_free(d);
	}
	struct clock_def *d = builtin("circia");
	assert_int_equal(d->status, CLOCK_PROPOSED);
	assert_int_equal(d->stages[1].deadline.trigger, CLOCK_TRIG_RANSOM_PAID);
	assert_int_equal(d->stages[1].deadline.amount, 24);
	clock_def_free(d);
	d = builtin("customer_contract");
	assert_int_equal(d->status, CLOCK_TEMPLATE);
	clock_def_free(d);
	d = builtin("gdpr_art33");
	assert_int_equal(d->status, CLOCK_IN_FORCE);
	assert_int_equal(d->stages[0].deadline.amount, 72);
	assert_int_equal(d->stages[0].deadline.unit, CLOCK_UNIT_HOURS);
	clock_def_free(d);
	assert_int_equal(clock_builtin_load("nope", &d), SIRT_ENOTFOUND);
	assert_null(d);
}

/* ---- parsing ---- */

#define STAGE_OK "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\"," \
		 "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\"}}"
#define DEF(extra, stages) "{\"key\":\"k\",\"name\":\"N\",\"trigger\":\"detected\"" extra \
			   ",\"stages\":[" stages "]}"

static void test_parse_custom_trigger_and_calendar(void **state)
{
	struct clock_def *d = parse_ok(
		"{\"key\":\"acme_dpa\",\"name\":\"ACME DPA\",\"trigger\":\"custom\","
		"\"custom_trigger\":\"customer data confirmed affected\","
		"\"calendar\":{\"weekend\":[\"friday\",\"saturday\"],"
		"\"holidays\":[\"2026-12-25\",\"2026-01-01\"],\"utc_offset\":\"+04:00\"},"
		"\"stages\":[{\"key\":\"notice\",\"name\":\"Notice\",\"recipient\":\"ACME\","
		"\"deadline\":{\"after\":\"trigger\",\"amount\":2,\"unit\":\"business_days\","
		"\"at\":\"end_of_day\"}}]}");
	assert_int_equal(d->trigger, CLOCK_TRIG_CUSTOM);
	assert_string_equal(d->custom_trigger, "customer data confirmed affected");
	assert_int_equal(d->calendar.weekend_mask, (1u << 4) | (1u << 5));
	assert_int_equal(d->calendar.utc_offset, 4 * H);
	assert_int_equal(d->calendar.nholidays, 2);
	assert_true(d->calendar.holidays[0] < d->calendar.holidays[1]); /* sorted */
	assert_true(d->stages[0].deadline.end_of_day);
	struct clock_inputs in = {0};
	struct clock_stage_result r[1];
	/* Wednesday 2026-12-23 10:00 +04:00: Thu 24 (1), Fri-Sat weekend,
	 * Sun 27 (2) -- Dec 25 is a Friday, a weekend day anyway */
	in.trigger_at[CLOCK_TRIG_CUSTOM] = T("2026-12-23T10:00:00+04:00");
	clock_compute(d, &in, in.trigger_at[CLOCK_TRIG_CUSTOM], H, r);
	TIME_EQ(r[0].deadline, "2026-12-27T23:59:59+04:00");
	clock_def_free(d);

	d = parse_ok(DEF("", STAGE_OK));
	assert_int_equal(d->calendar.weekend_mask, (1u << 5) | (1u << 6));
	assert_int_equal(d->calendar.utc_offset, 0);
	assert_int_equal(d->stages[0].deadline.trigger, CLOCK_TRIG_DETECTED);
	clock_def_free(d);
}

static void test_parse_errors(void **state)
{
	parse_bad("{", "invalid JSON at line 1");
	parse_bad("[]", "must be a JSON object");
	parse_bad("{\"key\":\"k\",\"key\":\"k\"}", "invalid JSON");
	parse_bad(DEF(",\"colour\":\"red\"", STAGE_OK), "unknown field 'colour'");
	parse_bad("{\"name\":\"N\",\"trigger\":\"detected\",\"stages\":[" STAGE_OK "]}",
		  "key: is required");
	parse_bad("{\"key\":\"Bad Key\",\"name\":\"N\",\"trigger\":\"detected\",\"stages\":["
		  STAGE_OK "]}", "key: only a-z");
	parse_bad("{\"key\":\"k\",\"name\":\"\",\"trigger\":\"detected\",\"stages\":[" STAGE_OK
		  "]}", "name: must be 1 to 200 bytes");
	parse_bad("{\"key\":\"k\",\"name\":7,\"trigger\":\"detected\",\"stages\":[" STAGE_OK
		  "]}", "name: must be a string");
	parse_bad("{\"key\":\"k\",\"name\":\"N\",\"trigger\":\"noticed\",\"stages\":[" STAGE_OK
		  "]}", "trigger: must be one of");
	parse_bad("{\"key\":\"k\",\"name\":\"N\",\"trigger\":\"custom\",\"stages\":[" STAGE_OK
		  "]}", "custom_trigger: is required");
	parse_bad(DEF(",\"custom_trigger\":\"x\"", STAGE_OK), "custom_trigger: only allowed");
	parse_bad(DEF(",\"status\":\"draft\"", STAGE_OK), "status: must be in_force");
	parse_bad("{\"key\":\"k\",\"name\":\"N\",\"trigger\":\"detected\"}", "stages: is required");
	parse_bad(DEF("", ""), "stages: must be an array of 1 to 16");
	parse_bad(DEF("", "7"), "stages[0]: must be an object");
	parse_bad(DEF("", STAGE_OK ",{\"key\":\"s\",\"name\":\"S2\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\"}}"),
		  "stages[1].key: 's' is used by stages[0] too");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\",\"extra\":1,"
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\"}}"),
		  "stages[0]: unknown field 'extra'");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\"}"),
		  "stages[0].deadline: is required");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"deadline\":{\"after\":\"trigger\","
		      "\"amount\":1,\"unit\":\"hours\"}}"), "stages[0].recipient: is required");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"weeks\"}}"),
		  "stages[0].deadline.unit: must be one of hours, calendar_days, business_days, "
		  "months");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":0,\"unit\":\"hours\"}}"),
		  "stages[0].deadline.amount: must be a whole number from 1 to 87600 for hours");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":121,\"unit\":\"months\"}}"),
		  "from 1 to 120 for months");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1.5,\"unit\":\"hours\"}}"),
		  "amount: must be a whole number");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"unit\":\"hours\"}}"),
		  "stages[0].deadline.amount: is required");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\","
		      "\"at\":\"end_of_day\"}}"), "deadline.at: only allowed with business_days");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"business_days\","
		      "\"at\":\"noon\"}}"), "deadline.at: must be same_time or end_of_day");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"yesterday\",\"amount\":1,\"unit\":\"hours\"}}"),
		  "deadline.after: must be trigger, stage or one of");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\","
		      "\"days\":2}}"), "stages[0].deadline: unknown field 'days'");
	/* a stage may only count from an earlier stage */
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"stage\",\"stage\":\"s\",\"amount\":1,"
		      "\"unit\":\"hours\"}}"), "stages[0].deadline.stage: 's' is not an earlier stage");
	parse_bad(DEF("", STAGE_OK ",{\"key\":\"t\",\"name\":\"T\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"stage\",\"amount\":1,\"unit\":\"hours\"}}"),
		  "stages[1].deadline.stage: is required when after is \"stage\"");
	parse_bad(DEF("", STAGE_OK ",{\"key\":\"t\",\"name\":\"T\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"stage\",\"stage\":\"s\",\"anchor\":\"start\","
		      "\"amount\":1,\"unit\":\"hours\"}}"),
		  "stages[1].deadline.anchor: must be submission or deadline");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"stage\":\"x\",\"amount\":1,"
		      "\"unit\":\"hours\"}}"), "deadline.stage: only allowed when after is");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"without_undue_delay\":\"yes\",\"deadline\":{\"after\":\"trigger\","
		      "\"amount\":1,\"unit\":\"hours\"}}"),
		  "stages[0].without_undue_delay: must be true or false");
	parse_bad(DEF("", "{\"key\":\"s\",\"name\":\"S\",\"recipient\":\"r\","
		      "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\"},"
		      "\"no_later_than\":{\"after\":\"detected\",\"amount\":1}}"),
		  "stages[0].no_later_than.unit: is required");
	/* calendar */
	parse_bad(DEF(",\"calendar\":[]", STAGE_OK), "calendar: must be an object");
	parse_bad(DEF(",\"calendar\":{\"tz\":\"x\"}", STAGE_OK), "calendar: unknown field 'tz'");
	parse_bad(DEF(",\"calendar\":{\"weekend\":[\"Sunday\"]}", STAGE_OK),
		  "calendar.weekend[0]: must be a weekday name");
	parse_bad(DEF(",\"calendar\":{\"weekend\":[\"sunday\",\"sunday\"]}", STAGE_OK),
		  "calendar.weekend[1]: sunday is listed twice");
	parse_bad(DEF(",\"calendar\":{\"weekend\":[\"monday\",\"tuesday\",\"wednesday\","
		      "\"thursday\",\"friday\",\"saturday\",\"sunday\"]}", STAGE_OK),
		  "at most 6 weekday names");
	parse_bad(DEF(",\"calendar\":{\"holidays\":[\"2026-02-30\"]}", STAGE_OK),
		  "calendar.holidays[0]: must be a date YYYY-MM-DD");
	parse_bad(DEF(",\"calendar\":{\"holidays\":[\"2026-12-25\",\"2026-01-01\","
		      "\"2026-12-25\"]}", STAGE_OK), "calendar.holidays: 2026-12-25 is listed twice");
	parse_bad(DEF(",\"calendar\":{\"utc_offset\":\"+1:00\"}", STAGE_OK),
		  "calendar.utc_offset: must be Z or");
	parse_bad(DEF(",\"calendar\":{\"utc_offset\":\"+15:00\"}", STAGE_OK),
		  "calendar.utc_offset: must be Z or");
	/* size cap */
	size_t big = CLOCK_JSON_MAX + 1;
	char *huge = malloc(big + 1);
	memset(huge, ' ', big);
	huge[big] = '\0';
	struct strbuf why;
	struct clock_def *d;
	sb_init(&why, 0);
	assert_int_equal(clock_def_parse(huge, big, &d, &why), SIRT_ETOOBIG);
	sb_free(&why);
	free(huge);
}

static void test_parse_limits(void **state)
{
	/* 16 stages are fine, 17 are not */
	struct strbuf sb;
	sb_init(&sb, 0);
	sb_puts(&sb, "{\"key\":\"k\",\"name\":\"N\",\"trigger\":\"detected\",\"stages\":[");
	for (int i = 0; i < 17; i++)
		sb_printf(&sb, "%s{\"key\":\"s%d\",\"name\":\"S\",\"recipient\":\"r\","
			  "\"deadline\":{\"after\":\"trigger\",\"amount\":1,\"unit\":\"hours\"}}",
			  i ? "," : "", i);
	sb_puts(&sb, "]}");
	parse_bad(sb_str(&sb), "stages: must be an array of 1 to 16");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hours_and_days),
		cmocka_unit_test(test_months_clamp),
		cmocka_unit_test(test_months_local_date),
		cmocka_unit_test(test_business_days_weekend),
		cmocka_unit_test(test_business_days_holiday),
		cmocka_unit_test(test_business_days_local_offset),
		cmocka_unit_test(test_stage_status),
		cmocka_unit_test(test_dora_classified_30h_after_awareness),
		cmocka_unit_test(test_dora_normal),
		cmocka_unit_test(test_nis2_chain),
		cmocka_unit_test(test_sec_business_days),
		cmocka_unit_test(test_gdpr_hipaa_nydfs),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_parse_custom_trigger_and_calendar),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
