/* The compliance checks (pure functions over the facts), the built-in
 * mapping, mapping validation and evaluation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/compliance.h"
#include "util/timeutil.h"

#define DAY 86400
/* 2026-06-15T12:00:00Z */
#define NOW ((int64_t)1781524800)

static int64_t date(int y, unsigned m, unsigned d)
{
	return time_days_from_civil(y, m, d) * DAY;
}

/* A world where everything is in order. */
static void good(struct compliance_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->now = NOW;
	f->plan_data = f->plan_approved = true;
	f->plan_approved_at = NOW - 100 * DAY;
	f->plan_has_roles = f->plan_has_team_contacts = f->plan_has_communication =
		f->plan_has_procedures = f->plan_has_reporting = true;
	strcpy(f->plan_version_label, "v3");
	f->team_data = true;
	f->team_members = 5;
	f->notify_data = true;
	f->last_exercise_held_at = NOW - 60 * DAY;
	f->last_plan_link_at = NOW - 30 * DAY;
	for (int s = 0; s < QR_SUBJECT_COUNT; s++) {
		f->qr[s].cadence_days = qr_default_cadence_days(s);
		f->qr[s].last_done_at = NOW - 10 * DAY;
	}
	f->newest_record_at = NOW - 5 * DAY;
	f->audit_checked = f->audit_ok = true;
}

/* Runs a check; asserts the status and that reason `i` (if want) contains want. */
static void expect(const char *check, const struct compliance_facts *f, const char *params,
		   enum comp_status st, const char *want)
{
	json_t *p = params ? json_loads(params, 0, NULL) : NULL;
	json_t *reasons = json_array();
	enum comp_status got = compliance_run_check(check, f, p, reasons);
	char *dump = json_dumps(reasons, 0);
	if (got != st)
		fail_msg("%s: status %s, want %s; reasons %s", check, compliance_status_name(got),
			 compliance_status_name(st), dump);
	if (want) {
		bool found = false;
		size_t i;
		json_t *r;
		json_array_foreach(reasons, i, r)
			if (!strcmp(json_string_value(json_object_get(r, "text")), want))
				found = true;
		if (!found)
			fail_msg("%s: no reason '%s' in %s", check, want, dump);
	} else if (st == COMP_MET && json_array_size(reasons) != 0) {
		fail_msg("%s: met but with reasons %s", check, dump);
	}
	free(dump);
	json_decref(reasons);
	json_decref(p);
}

static void test_all_met(void **state)
{
	struct compliance_facts f;
	good(&f);
	for (const struct comp_check *c = compliance_checks(); c->name; c++)
		expect(c->name, &f, NULL, COMP_MET, NULL);
}

static void test_plan(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.plan_approved = false;
	expect("plan_approved", &f, NULL, COMP_NOT_MET, "no approved IR plan");
	expect("plan_contents", &f, NULL, COMP_NOT_MET,
	       "no approved IR plan whose contents could be checked");
	good(&f);
	f.plan_data = false; /* the plan area has not answered */
	expect("plan_approved", &f, NULL, COMP_NOT_MET, "no approved IR plan");
	good(&f);
	f.plan_has_communication = false;
	expect("plan_contents", &f, NULL, COMP_NOT_MET,
	       "the approved plan v3 has no communication plan (internal and external parties)");
	expect("plan_contents", &f, "{\"parts\": [\"procedures\", \"reporting\"]}", COMP_MET, NULL);
	expect("plan_contents", &f, "{\"parts\": [\"communication\"]}", COMP_NOT_MET, NULL);
}

static void test_plan_review(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.plan_data = false;
	memset(&f.qr[QR_PLAN], 0, sizeof(f.qr[QR_PLAN]));
	f.qr[QR_PLAN].cadence_days = 365;
	expect("plan_review_current", &f, NULL, COMP_NOT_MET, "the plan has never been reviewed");
	/* reviewed on 2025-06-03: due 2026-06-03, 12 days (and 12 hours) late on 06-15 */
	f.qr[QR_PLAN].last_done_at = date(2025, 6, 3);
	expect("plan_review_current", &f, NULL, COMP_NOT_MET,
	       "plan review overdue by 12 days (due 2026-06-03)");
	/* due on the day itself: not late yet, but at risk */
	f.qr[QR_PLAN].last_done_at = date(2025, 6, 15);
	expect("plan_review_current", &f, NULL, COMP_AT_RISK, "plan review due today (2026-06-15)");
	f.qr[QR_PLAN].last_done_at = date(2025, 6, 14);
	expect("plan_review_current", &f, NULL, COMP_NOT_MET,
	       "plan review overdue by 1 day (due 2026-06-14)");
	f.qr[QR_PLAN].last_done_at = date(2025, 6, 25);
	expect("plan_review_current", &f, NULL, COMP_AT_RISK,
	       "plan review due in 10 days (2026-06-25)");
	expect("plan_review_current", &f, "{\"warn_days\": 5}", COMP_MET, NULL);
	/* the plan's own next review date when no quality review is later */
	good(&f);
	f.qr[QR_PLAN].last_done_at = 0;
	f.plan_next_review_due = date(2026, 6, 1);
	expect("plan_review_current", &f, NULL, COMP_NOT_MET,
	       "plan review overdue by 14 days (due 2026-06-01)");
	/* a later quality review of the plan counts as its review */
	f.qr[QR_PLAN].last_done_at = date(2026, 1, 10);
	expect("plan_review_current", &f, NULL, COMP_MET, NULL);
	/* approved without a review date: approval + cadence */
	f.qr[QR_PLAN].last_done_at = 0;
	f.plan_next_review_due = 0;
	f.plan_approved_at = date(2025, 6, 10);
	expect("plan_review_current", &f, NULL, COMP_NOT_MET,
	       "plan review overdue by 5 days (due 2026-06-10)");
}

static void test_team(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.team_data = false;
	expect("team_defined", &f, NULL, COMP_NOT_MET, "no response team recorded");
	expect("team_training_current", &f, NULL, COMP_NOT_MET,
	       "no response team recorded, so no training can be shown");
	good(&f);
	f.team_without_contact = 1;
	expect("team_defined", &f, NULL, COMP_NOT_MET, "1 team member has no contact details");
	good(&f);
	f.training_expired = 2;
	expect("team_training_current", &f, NULL, COMP_NOT_MET, "2 team members' training expired");
	f.training_expired = 1;
	expect("team_training_current", &f, NULL, COMP_NOT_MET, "1 team member's training expired");
	good(&f);
	f.training_missing = 3;
	expect("team_training_current", &f, NULL, COMP_NOT_MET,
	       "3 team members have no training record");
	good(&f);
	f.training_expiring_soon = 1;
	expect("team_training_current", &f, NULL, COMP_AT_RISK,
	       "1 team member's training expires within 30 days");
}

static void test_exercise_recent(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.last_exercise_held_at = 0;
	expect("exercise_recent", &f, NULL, COMP_NOT_MET, "no exercise in the last 12 months");
	f.last_exercise_held_at = date(2025, 6, 1);
	expect("exercise_recent", &f, NULL, COMP_NOT_MET,
	       "no exercise in the last 12 months (the last was held on 2025-06-01)");
	expect("exercise_recent", &f, "{\"months\": 13}", COMP_AT_RISK,
	       "the last exercise (2025-06-01) leaves the 13-month window on 2026-07-01 and none is"
	       " planned before then");
	f.next_exercise_at = date(2026, 6, 20);
	expect("exercise_recent", &f, "{\"months\": 13}", COMP_MET, NULL);
	f.next_exercise_at = date(2026, 7, 20); /* planned, but too late */
	expect("exercise_recent", &f, "{\"months\": 13}", COMP_AT_RISK, NULL);
	/* exactly 12 calendar months ago is still inside */
	f.last_exercise_held_at = NOW - (date(2026, 6, 15) - date(2025, 6, 15));
	f.next_exercise_at = NOW;
	expect("exercise_recent", &f, NULL, COMP_MET, NULL);
	f.last_exercise_held_at -= 1;
	expect("exercise_recent", &f, NULL, COMP_NOT_MET, NULL);
}

static void test_lessons_and_changes(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.last_plan_link_at = 0;
	expect("lessons_into_plan", &f, NULL, COMP_NOT_MET,
	       "no lessons learned from an exercise, incident or review led to a plan revision in"
	       " the last 12 months");
	f.last_plan_link_at = NOW - 200 * DAY;
	expect("lessons_into_plan", &f, NULL, COMP_MET, NULL);
	expect("lessons_into_plan", &f, "{\"months\": 6}", COMP_NOT_MET, NULL);

	good(&f);
	f.org_changes_unreviewed = 2;
	strcpy(f.org_change_refs[0].label, "Acquired Initech");
	strcpy(f.org_change_refs[0].id, "q1");
	f.org_change_refs[0].at = date(2026, 6, 1);
	strcpy(f.org_change_refs[1].label, "New CEO");
	strcpy(f.org_change_refs[1].id, "q2");
	f.org_change_refs[1].at = date(2026, 7, 1);
	expect("org_changes_reviewed", &f, NULL, COMP_NOT_MET,
	       "organisational change \"Acquired Initech\" has no completed plan review (overdue by"
	       " 14 days)");
	expect("org_changes_reviewed", &f, NULL, COMP_NOT_MET,
	       "organisational change \"New CEO\" awaits its plan review (due 2026-07-01)");
	f.org_changes_unreviewed = 1;
	memcpy(&f.org_change_refs[0], &f.org_change_refs[1], sizeof(f.org_change_refs[0]));
	expect("org_changes_reviewed", &f, NULL, COMP_AT_RISK, NULL);
	f.org_changes_unreviewed = 7; /* five shown, the rest counted */
	expect("org_changes_reviewed", &f, NULL, COMP_AT_RISK,
	       "and 2 more organisational changes without a completed plan review");
}

static void test_incidents(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.closed_without_review = 1;
	strcpy(f.no_review_refs[0].label, "INC-2026-0007");
	strcpy(f.no_review_refs[0].id, "u7");
	expect("reviews_for_closed_incidents", &f, NULL, COMP_NOT_MET,
	       "INC-2026-0007 closed without a published review");
	json_t *reasons = json_array();
	compliance_run_check("reviews_for_closed_incidents", &f, NULL, reasons);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reasons, 0), "link")),
			    "/api/v1/incidents/u7/review");
	json_decref(reasons);
	f.closed_without_review = 8;
	expect("reviews_for_closed_incidents", &f, NULL, COMP_NOT_MET,
	       "and 3 more incidents closed without a published review");
	good(&f);
	f.awaiting_review = 1;
	expect("reviews_for_closed_incidents", &f, NULL, COMP_AT_RISK,
	       "1 resolved incident needs a published review before closing");
	good(&f);
	f.without_resolution = 1;
	strcpy(f.no_resolution_refs[0].label, "INC-2026-0002");
	expect("incident_log_complete", &f, NULL, COMP_AT_RISK,
	       "INC-2026-0002 is resolved without a recorded resolution");
	good(&f);
	f.unacknowledged = 1;
	strcpy(f.unack_refs[0].label, "INC-2026-0003");
	expect("incidents_acknowledged", &f, NULL, COMP_AT_RISK,
	       "INC-2026-0003 not acknowledged within 24 hours");
}

static void test_notifications(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.notify_data = false;
	expect("notifications_timely", &f, NULL, COMP_MET, "no notification records yet");
	good(&f);
	f.notifications_late = 1;
	strcpy(f.late_refs[0].label, "INC-2026-0004 GDPR Art. 33");
	expect("notifications_timely", &f, NULL, COMP_NOT_MET,
	       "INC-2026-0004 GDPR Art. 33 notification was late or its deadline passed unsent");
	good(&f);
	f.notifications_due_soon = 2;
	expect("notifications_timely", &f, NULL, COMP_AT_RISK,
	       "2 notification deadlines are due within 24 hours");
}

static void test_actions(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.actions_overdue = 3;
	strcpy(f.overdue_refs[0].label, "Rate-limit login");
	strcpy(f.overdue_refs[0].id, "a1");
	f.overdue_refs[0].at = date(2026, 6, 3);
	strcpy(f.overdue_refs[1].label, "Fix pager");
	f.overdue_refs[1].at = date(2026, 6, 14);
	expect("action_items_on_time", &f, NULL, COMP_AT_RISK,
	       "3 action items overdue (oldest by 12 days)");
	expect("action_items_on_time", &f, NULL, COMP_AT_RISK,
	       "\"Rate-limit login\" overdue by 12 days");
	expect("action_items_on_time", &f, NULL, COMP_AT_RISK, "\"Fix pager\" overdue by 1 day");
}

static void test_quality_reviews(void **state)
{
	struct compliance_facts f;
	good(&f);
	memset(&f.qr[QR_PLAYBOOKS], 0, sizeof(f.qr[0]));
	f.qr[QR_PLAYBOOKS].cadence_days = 365;
	expect("quality_reviews_current", &f, NULL, COMP_NOT_MET,
	       "the playbooks have never had a quality review");
	expect("quality_reviews_current", &f, "{\"subjects\": [\"plan\", \"team\"]}", COMP_MET, NULL);
	/* never reviewed but one is scheduled and not yet due */
	f.qr[QR_PLAYBOOKS].open_due = date(2026, 8, 1);
	expect("quality_reviews_current", &f, NULL, COMP_MET, NULL);
	good(&f);
	f.qr[QR_TEAM].last_done_at = date(2026, 3, 1); /* + 90 days = 2026-05-30 */
	expect("quality_reviews_current", &f, NULL, COMP_NOT_MET,
	       "quality review of the team roster and contact details overdue by 16 days (due"
	       " 2026-05-30)");
	good(&f);
	f.qr[QR_CLOCKS].last_done_at = date(2025, 7, 1);
	expect("quality_reviews_current", &f, NULL, COMP_AT_RISK,
	       "quality review of the clock definitions due in 16 days (2026-07-01)");
	/* an open review due earlier than the cadence wins */
	good(&f);
	f.qr[QR_PLAN].open_due = date(2026, 6, 10);
	expect("quality_reviews_current", &f, NULL, COMP_NOT_MET,
	       "quality review of the plan overdue by 5 days (due 2026-06-10)");
}

static void test_evidence_and_audit(void **state)
{
	struct compliance_facts f;
	good(&f);
	f.plan_data = false;
	f.newest_record_at = 0;
	expect("evidence_recent", &f, NULL, COMP_NOT_MET, "no evidence recorded yet");
	f.newest_record_at = date(2026, 3, 1);
	expect("evidence_recent", &f, NULL, COMP_AT_RISK,
	       "evidence older than 3 months (the newest record is from 2026-03-01)");
	f.evidence_data = true;
	f.last_evidence_pack_at = date(2026, 6, 1);
	expect("evidence_recent", &f, NULL, COMP_MET, NULL);
	good(&f);
	f.audit_checked = false;
	expect("audit_trail_intact", &f, NULL, COMP_AT_RISK, "the audit trail was not verified");
	f.audit_checked = true;
	f.audit_ok = false;
	strcpy(f.audit_problem, "entry 7: hash mismatch");
	expect("audit_trail_intact", &f, NULL, COMP_NOT_MET,
	       "the audit trail failed verification: entry 7: hash mismatch");
	expect("no_such_check", &f, NULL, COMP_NOT_MET, "unknown check no_such_check");
}

static void test_builtin_mapping(void **state)
{
	json_error_t e;
	json_t *doc = json_loads(compliance_builtin_mapping(), JSON_REJECT_DUPLICATES, &e);
	if (!doc)
		fail_msg("built-in mapping is not JSON: %s at %d", e.text, e.position);
	json_t *errors;
	if (compliance_mapping_validate(doc, &errors) != 0) {
		char *d = json_dumps(errors, 0);
		fail_msg("built-in mapping invalid: %s", d);
	}
	const char *want[] = {"m365:25", "m365:26", "m365:27", "soc2:CC7.3", "soc2:CC7.4",
			      "soc2:CC7.5", "iso27001:A.5.24", "iso27001:A.5.25", "iso27001:A.5.26",
			      "iso27001:A.5.27", "iso27001:A.5.28", "iso27001:A.6.8"};
	size_t n = 0, i, j;
	json_t *fw, *c;
	json_array_foreach(json_object_get(doc, "frameworks"), i, fw)
		json_array_foreach(json_object_get(fw, "controls"), j, c) {
			char id[64];
			snprintf(id, sizeof(id), "%s:%s", json_string_value(json_object_get(fw, "id")),
				 json_string_value(json_object_get(c, "id")));
			assert_true(n < 12);
			assert_string_equal(id, want[n]);
			n++;
		}
	assert_int_equal(n, 12);
	/* everything in order: every control met */
	struct compliance_facts f;
	good(&f);
	json_t *out = compliance_evaluate(doc, &f, NULL);
	json_t *sum = json_object_get(out, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "met")), 12);
	json_decref(out);
	/* one fact wrong: the right controls drop, with the reason once each */
	f.training_expired = 2;
	out = compliance_evaluate(doc, &f, "m365");
	json_t *fws = json_object_get(out, "frameworks");
	assert_int_equal(json_array_size(fws), 1);
	json_t *ctls = json_object_get(json_array_get(fws, 0), "controls");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ctls, 0), "status")),
			    "met");
	json_t *c26 = json_array_get(ctls, 1);
	assert_string_equal(json_string_value(json_object_get(c26, "status")), "not_met");
	json_t *reasons = json_object_get(c26, "reasons");
	assert_int_equal(json_array_size(reasons), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(reasons, 0), "text")),
			    "2 team members' training expired");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fws, 0), "status")),
			    "not_met");
	json_decref(out);
	json_decref(doc);
}

static void bad_mapping(const char *text, const char *field, const char *msg_part)
{
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	json_t *errors;
	if (compliance_mapping_validate(doc, &errors) != SIRT_EINVAL)
		fail_msg("accepted %s", text);
	bool found = false;
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "field")), field) &&
		    strstr(json_string_value(json_object_get(e, "message")), msg_part))
			found = true;
	if (!found) {
		char *d = json_dumps(errors, 0);
		fail_msg("%s: no error %s '%s' in %s", text, field, msg_part, d);
	}
	json_decref(errors);
	json_decref(doc);
}

static void test_mapping_validation(void **state)
{
	bad_mapping("[]", "$", "must be an object");
	bad_mapping("{\"frameworks\": []}", "frameworks", "1 to 20");
	bad_mapping("{\"frameworks\": [], \"x\": 1}", "$.x", "unknown member");
	bad_mapping("{\"frameworks\": [{\"id\": \"\", \"name\": \"n\", \"controls\": []}]}",
		    "frameworks[0].id", "1 to 40");
	bad_mapping("{\"frameworks\": [{\"id\": \"a\", \"name\": \"n\", \"controls\": [{\"id\":"
		    " \"c\", \"title\": \"t\", \"requirements\": [{\"check\": \"nope\"}]}]}]}",
		    "frameworks[0].controls[0].requirements[0].check", "not a known check");
	bad_mapping("{\"frameworks\": [{\"id\": \"a\", \"name\": \"n\", \"controls\": [{\"id\":"
		    " \"c\", \"title\": \"t\", \"requirements\": [{\"check\": \"plan_approved\","
		    " \"params\": {\"months\": 3}}]}]}]}",
		    "frameworks[0].controls[0].requirements[0].params.months", "takes no parameters");
	bad_mapping("{\"frameworks\": [{\"id\": \"a\", \"name\": \"n\", \"controls\": [{\"id\":"
		    " \"c\", \"title\": \"t\", \"requirements\": [{\"check\": \"exercise_recent\","
		    " \"params\": {\"months\": 500}}]}]}]}",
		    "frameworks[0].controls[0].requirements[0].params.months", "1 to 120");
	bad_mapping("{\"frameworks\": [{\"id\": \"a\", \"name\": \"n\", \"controls\": [{\"id\":"
		    " \"c\", \"title\": \"t\", \"requirements\": [{\"check\": \"quality_reviews_current\","
		    " \"params\": {\"subjects\": [\"budget\"]}}]}]}]}",
		    "frameworks[0].controls[0].requirements[0].params.subjects", "plan, team");
	bad_mapping("{\"frameworks\": [{\"id\": \"a\", \"name\": \"n\", \"controls\": [{\"id\":"
		    " \"c\", \"title\": \"t\", \"requirements\": [{\"check\": \"plan_approved\"}]},"
		    " {\"id\": \"c\", \"title\": \"t2\", \"requirements\": [{\"check\":"
		    " \"plan_approved\"}]}]}]}",
		    "frameworks[0].controls[1].id", "duplicates");
}

static void test_names_and_days(void **state)
{
	assert_int_equal(qr_subject_parse("team"), QR_TEAM);
	assert_int_equal(qr_subject_parse("budget"), -1);
	assert_string_equal(qr_subject_name(QR_CLOCKS), "clocks");
	assert_int_equal(qr_default_cadence_days(QR_TEAM), 90);
	assert_int_equal(compliance_days_between(0, 1), 1);
	assert_int_equal(compliance_days_between(0, DAY), 1);
	assert_int_equal(compliance_days_between(0, DAY + 1), 2);
	assert_int_equal(compliance_days_between(5, 5), 0);
	assert_string_equal(compliance_status_name(COMP_AT_RISK), "at_risk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_met),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_review),
		cmocka_unit_test(test_team),
		cmocka_unit_test(test_exercise_recent),
		cmocka_unit_test(test_lessons_and_changes),
		cmocka_unit_test(test_incidents),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_quality_reviews),
		cmocka_unit_test(test_evidence_and_audit),
		cmocka_unit_test(test_builtin_mapping),
		cmocka_unit_test(test_mapping_validation),
		cmocka_unit_test(test_names_and_days),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
