#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/lifecycle.h"

static void test_status_names(void **state)
{
	const char *all[] = {"new", "triage", "containment", "eradication",
			     "recovery", "resolved", "closed", "rejected"};
	for (int i = 0; i < 8; i++) {
		assert_true(lifecycle_status_valid(all[i]));
		assert_int_equal(lifecycle_status_parse(all[i]), i);
		assert_string_equal(lifecycle_status_name((enum lifecycle_status)i), all[i]);
	}
	assert_false(lifecycle_status_valid("New"));
	assert_false(lifecycle_status_valid("open"));
	assert_false(lifecycle_status_valid(""));
	assert_false(lifecycle_status_valid(NULL));
	assert_null(lifecycle_status_name(LC_STATUS_COUNT));
	assert_true(lifecycle_status_is_open("recovery"));
	assert_false(lifecycle_status_is_open("resolved"));
	assert_false(lifecycle_status_is_open("rejected"));
}

static void test_allowed_forward(void **state)
{
	assert_true(lifecycle_can_transition("new", "triage"));
	assert_true(lifecycle_can_transition("triage", "containment"));
	assert_true(lifecycle_can_transition("containment", "eradication"));
	assert_true(lifecycle_can_transition("eradication", "recovery"));
	assert_true(lifecycle_can_transition("recovery", "resolved"));
	assert_true(lifecycle_can_transition("resolved", "closed"));
	/* skipping phases */
	assert_true(lifecycle_can_transition("triage", "resolved"));
	assert_true(lifecycle_can_transition("new", "resolved"));
	assert_true(lifecycle_can_transition("new", "containment"));
	assert_true(lifecycle_can_transition("containment", "recovery"));
}

static void test_forbidden(void **state)
{
	assert_false(lifecycle_can_transition("new", "new"));
	assert_false(lifecycle_can_transition("triage", "new"));
	assert_false(lifecycle_can_transition("containment", "triage"));
	assert_false(lifecycle_can_transition("new", "closed"));
	assert_false(lifecycle_can_transition("recovery", "closed"));
	assert_false(lifecycle_can_transition("eradication", "rejected"));
	assert_false(lifecycle_can_transition("recovery", "rejected"));
	assert_false(lifecycle_can_transition("resolved", "rejected"));
	assert_false(lifecycle_can_transition("closed", "resolved"));
	assert_false(lifecycle_can_transition("closed", "eradication"));
	assert_false(lifecycle_can_transition("rejected", "closed"));
	assert_false(lifecycle_can_transition("resolved", "new"));
	assert_false(lifecycle_can_transition("bogus", "triage"));
	assert_false(lifecycle_can_transition("new", NULL));
}

static void test_reject(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	struct lifecycle_transition t = {.from = "triage", .to = "rejected"};
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
	assert_non_null(strstr(sb_str(&why), "false_positive or duplicate"));

	sb_reset(&why);
	t.reject_reason = "mistake";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);

	t.reject_reason = "false_positive";
	assert_int_equal(lifecycle_check_transition(&t, &why), 0);

	sb_reset(&why);
	t.reject_reason = "duplicate";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
	assert_non_null(strstr(sb_str(&why), "duplicate_of"));
	t.duplicate_of = "  ";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
	t.duplicate_of = "INC-2026-0007";
	assert_int_equal(lifecycle_check_transition(&t, &why), 0);

	sb_reset(&why);
	t.from = "recovery";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_ECONFLICT);
	assert_non_null(strstr(sb_str(&why), "cannot be rejected"));
	sb_free(&why);
}

static void test_reopen_needs_reason(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	const char *from[] = {"resolved", "closed", "rejected"};
	for (int i = 0; i < 3; i++) {
		struct lifecycle_transition t = {.from = from[i], .to = "triage"};
		assert_true(lifecycle_is_reopen(from[i], "triage"));
		assert_true(lifecycle_is_reopen(from[i], "containment"));
		assert_false(lifecycle_is_reopen(from[i], "eradication"));
		sb_reset(&why);
		assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
		assert_non_null(strstr(sb_str(&why), "needs a reason"));
		t.reason = "\t \n";
		assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
		t.reason = "attacker came back";
		assert_int_equal(lifecycle_check_transition(&t, &why), 0);
		t.to = "containment";
		assert_int_equal(lifecycle_check_transition(&t, &why), 0);
	}
	assert_false(lifecycle_is_reopen("triage", "containment"));
	sb_free(&why);
}

static void test_step_back(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	assert_true(lifecycle_is_step_back("recovery", "containment"));
	assert_true(lifecycle_is_step_back("eradication", "containment"));
	assert_false(lifecycle_is_step_back("containment", "recovery"));
	struct lifecycle_transition t = {.from = "recovery", .to = "eradication"};
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
	t.reason = "malware persisted";
	assert_int_equal(lifecycle_check_transition(&t, &why), 0);
	sb_free(&why);
}

static void test_transition_errors(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	struct lifecycle_transition t = {.from = "triage", .to = "done"};
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_EINVAL);
	assert_string_equal(sb_str(&why), "unknown status 'done'");
	sb_reset(&why);
	t.to = "triage";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_ECONFLICT);
	assert_string_equal(sb_str(&why), "the incident is already triage");
	sb_reset(&why);
	t.to = "closed";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_ECONFLICT);
	assert_non_null(strstr(sb_str(&why), "resolve it first"));
	sb_reset(&why);
	t.from = "containment";
	t.to = "new";
	assert_int_equal(lifecycle_check_transition(&t, &why), SIRT_ECONFLICT);
	assert_string_equal(sb_str(&why), "cannot move an incident from containment to new");
	t.from = "new";
	t.to = "triage";
	assert_int_equal(lifecycle_check_transition(&t, &why), 0);
	sb_free(&why);
}

static void test_stamps_walk(void **state)
{
	struct lifecycle_times t = {0};
	unsigned m = lifecycle_stamps("new", "triage", &t);
	assert_int_equal(m, LC_SET_ACKNOWLEDGED);
	lifecycle_apply_stamps(m, 100, &t);
	assert_int_equal(t.acknowledged_at, 100);

	m = lifecycle_stamps("triage", "containment", &t);
	assert_int_equal(m, 0); /* entering containment does not contain */
	m = lifecycle_stamps("containment", "eradication", &t);
	assert_int_equal(m, LC_SET_CONTAINED);
	lifecycle_apply_stamps(m, 200, &t);
	assert_int_equal(t.contained_at, 200);
	m = lifecycle_stamps("eradication", "recovery", &t);
	assert_int_equal(m, 0);
	m = lifecycle_stamps("recovery", "resolved", &t);
	assert_int_equal(m, LC_SET_RESOLVED);
	lifecycle_apply_stamps(m, 300, &t);
	m = lifecycle_stamps("resolved", "closed", &t);
	assert_int_equal(m, LC_SET_CLOSED);
	lifecycle_apply_stamps(m, 400, &t);
	assert_int_equal(t.closed_at, 400);

	/* reopen clears resolved and closed, keeps the first response times */
	m = lifecycle_stamps("closed", "containment", &t);
	assert_int_equal(m, LC_CLEAR_RESOLVED | LC_CLEAR_CLOSED);
	lifecycle_apply_stamps(m, 500, &t);
	assert_int_equal(t.resolved_at, 0);
	assert_int_equal(t.closed_at, 0);
	assert_int_equal(t.acknowledged_at, 100);
	assert_int_equal(t.contained_at, 200);

	/* second resolution: contained_at stays, resolved_at is the new one */
	m = lifecycle_stamps("containment", "resolved", &t);
	assert_int_equal(m, LC_SET_RESOLVED);
	lifecycle_apply_stamps(m, 600, &t);
	assert_int_equal(t.resolved_at, 600);
	assert_int_equal(t.contained_at, 200);
}

static void test_stamps_quick_fix_and_reject(void **state)
{
	struct lifecycle_times t = {0};
	unsigned m = lifecycle_stamps("new", "resolved", &t);
	assert_int_equal(m, LC_SET_ACKNOWLEDGED | LC_SET_CONTAINED | LC_SET_RESOLVED);

	memset(&t, 0, sizeof(t));
	m = lifecycle_stamps("new", "rejected", &t);
	assert_int_equal(m, LC_SET_ACKNOWLEDGED | LC_SET_CLOSED);

	m = lifecycle_stamps("triage", "rejected", &t);
	assert_int_equal(m, LC_SET_CLOSED);
	/* already acknowledged: not set again */
	t.acknowledged_at = 5;
	m = lifecycle_stamps("new", "triage", &t);
	assert_int_equal(m, 0);
	/* a forbidden move sets nothing */
	assert_int_equal(lifecycle_stamps("new", "closed", &t), 0);
	assert_int_equal(lifecycle_stamps("x", "triage", &t), 0);
	/* reopening a rejected incident clears closed only */
	t.closed_at = 9;
	assert_int_equal(lifecycle_stamps("rejected", "triage", &t), LC_CLEAR_CLOSED);
}

static void test_severity(void **state)
{
	assert_int_equal(severity_rank("critical"), 4);
	assert_int_equal(severity_rank("high"), 3);
	assert_int_equal(severity_rank("medium"), 2);
	assert_int_equal(severity_rank("low"), 1);
	assert_int_equal(severity_rank("Low"), -1);
	assert_int_equal(severity_rank("info"), -1);
	assert_int_equal(severity_rank(NULL), -1);
	assert_true(severity_valid("high"));
	assert_false(severity_valid(""));
	assert_string_equal(severity_name(4), "critical");
	assert_null(severity_name(0));
	assert_null(severity_name(5));
}

static void test_close(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	struct incident_close_facts f = {.status = "recovery", .severity = "high"};
	assert_int_equal(lifecycle_check_close(&f, &why), SIRT_ECONFLICT);
	assert_non_null(strstr(sb_str(&why), "only a resolved incident"));

	sb_reset(&why);
	f.status = "resolved";
	assert_int_equal(lifecycle_check_close(&f, &why), SIRT_EINVAL);
	assert_string_equal(sb_str(&why),
			    "resolution is required; root_cause_category is required");

	sb_reset(&why);
	f.resolution = "patched";
	f.root_cause_category = " ";
	assert_int_equal(lifecycle_check_close(&f, &why), SIRT_EINVAL);
	assert_string_equal(sb_str(&why), "root_cause_category is required");

	sb_reset(&why);
	f.root_cause_category = "unpatched_vulnerability";
	assert_int_equal(lifecycle_check_close(&f, &why), 0); /* default: no review needed */

	struct close_policy p;
	close_policy_default(&p);
	p.review_required_for_severity[3] = true;
	p.review_required_for_severity[4] = true;
	f.policy = &p;
	assert_int_equal(lifecycle_check_close(&f, &why), SIRT_EINVAL);
	assert_string_equal(sb_str(&why), "a high incident needs a published post-incident review");
	f.review_published = true;
	assert_int_equal(lifecycle_check_close(&f, &why), 0);
	f.review_published = false;
	f.severity = "medium";
	assert_int_equal(lifecycle_check_close(&f, &why), 0);

	/* a policy that demands nothing */
	memset(&p, 0, sizeof(p));
	f.resolution = NULL;
	f.root_cause_category = NULL;
	assert_int_equal(lifecycle_check_close(&f, &why), 0);
	sb_free(&why);
}

static void test_times_ok(void **state)
{
	struct strbuf why;
	sb_init(&why, 0);
	const char *field = NULL;
	struct incident_times t = {
		.occurred_at = 1000, .detected_at = 2000, .became_aware_at = 2000,
		.acknowledged_at = 2100, .contained_at = 3000, .resolved_at = 1500 + 2000,
		.closed_at = 4000,
	};
	assert_int_equal(lifecycle_check_times(&t, 5000, &field, &why), 0);
	/* unset fields are skipped */
	struct incident_times u = {.detected_at = 10};
	assert_int_equal(lifecycle_check_times(&u, 5000, &field, &why), 0);
	/* resolved before awareness is allowed */
	struct incident_times v = {.detected_at = 10, .resolved_at = 20, .became_aware_at = 30};
	assert_int_equal(lifecycle_check_times(&v, 5000, &field, &why), 0);
	/* within clock skew */
	struct incident_times w = {.detected_at = 5000 + LIFECYCLE_CLOCK_SKEW};
	assert_int_equal(lifecycle_check_times(&w, 5000, &field, &why), 0);
	sb_free(&why);
}

static void expect_bad(struct incident_times t, int64_t now, const char *want_field,
		       const char *want_msg)
{
	struct strbuf why;
	sb_init(&why, 0);
	const char *field = NULL;
	assert_int_equal(lifecycle_check_times(&t, now, &field, &why), SIRT_EINVAL);
	assert_non_null(field);
	assert_string_equal(field, want_field);
	assert_string_equal(sb_str(&why), want_msg);
	sb_free(&why);
}

static void test_times_bad(void **state)
{
	expect_bad((struct incident_times){.occurred_at = 200, .detected_at = 100}, 1000,
		   "detected_at", "detected_at is before occurred_at");
	expect_bad((struct incident_times){.detected_at = 200, .became_aware_at = 100}, 1000,
		   "became_aware_at", "became_aware_at is before detected_at");
	expect_bad((struct incident_times){.occurred_at = 200, .became_aware_at = 100}, 1000,
		   "became_aware_at", "became_aware_at is before occurred_at");
	expect_bad((struct incident_times){.detected_at = 200, .resolved_at = 100}, 1000,
		   "resolved_at", "resolved_at is before detected_at");
	expect_bad((struct incident_times){.resolved_at = 200, .closed_at = 100}, 1000,
		   "closed_at", "closed_at is before resolved_at");
	expect_bad((struct incident_times){.detected_at = 200, .acknowledged_at = 100}, 1000,
		   "acknowledged_at", "acknowledged_at is before detected_at");
	expect_bad((struct incident_times){.detected_at = 200, .contained_at = 100}, 1000,
		   "contained_at", "contained_at is before detected_at");
	expect_bad((struct incident_times){.detected_at = 1000 + LIFECYCLE_CLOCK_SKEW + 1}, 1000,
		   "detected_at", "detected_at is in the future");
	/* future wins over ordering, first field in order */
	expect_bad((struct incident_times){.occurred_at = 99999, .detected_at = 100}, 1000,
		   "occurred_at", "occurred_at is in the future");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_allowed_forward),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_reopen_needs_reason),
		cmocka_unit_test(test_step_back),
		cmocka_unit_test(test_transition_errors),
		cmocka_unit_test(test_stamps_walk),
		cmocka_unit_test(test_stamps_quick_fix_and_reject),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_times_ok),
		cmocka_unit_test(test_times_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
