/*
 * The compliance checks (code) and the evaluation of a control mapping
 * (data). See compliance.h. Every check is a pure function of the facts and
 * its parameters; the wording of each reason is part of the contract (tests
 * and auditors read it), so change it with care.
 */
#include "core/compliance.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"

static void add_reason(json_t *reasons, enum comp_status st, const char *link, const char *fmt,
		       ...) PRINTF(4, 5);
static int64_t days_late(int64_t due, int64_t now);
static void fmt_date(int64_t t, char out[16]);
static int64_t months_before(int64_t t, int months);
static int param_int(const json_t *params, const char *name, int dflt);
static bool param_has(const json_t *params, const char *list, const char *value,
		      const char *const *all);
static enum comp_status worst(enum comp_status a, enum comp_status b);
static const char *plural(int64_t n, const char *one, const char *many);

static const char *const status_names[] = {"met", "at_risk", "not_met"};

const char *compliance_status_name(enum comp_status s)
{
	return (unsigned)s < 3 ? status_names[s] : "not_met";
}

static const char *const qr_names[] = {"plan", "team", "playbooks", "clocks", NULL};
static const char *const qr_labels[] = {"the plan", "the team roster and contact details",
					 "the playbooks", "the clock definitions"};

const char *qr_subject_name(enum qr_subject s)
{
	return (unsigned)s < QR_SUBJECT_COUNT ? qr_names[s] : NULL;
}

const char *qr_subject_label(enum qr_subject s)
{
	return (unsigned)s < QR_SUBJECT_COUNT ? qr_labels[s] : NULL;
}

int qr_subject_parse(const char *s)
{
	for (int i = 0; s && qr_names[i]; i++)
		if (strcmp(qr_names[i], s) == 0)
			return i;
	return -1;
}

int qr_default_cadence_days(enum qr_subject s)
{
	/* The plan, playbooks and clocks yearly; people and their phone numbers
	 * change faster, so the roster quarterly. */
	return s == QR_TEAM ? 90 : 365;
}

int64_t compliance_days_between(int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	return (b - a + COMP_DAY - 1) / COMP_DAY;
}

/* Whole days a due DATE (midnight UTC) is behind: the due day itself is not
 * late, the next day is 1 day late. */
static int64_t days_late(int64_t due, int64_t now)
{
	return now > due ? (now - due) / COMP_DAY : 0;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void fmt_date(int64_t t, char out[16])
{
	int64_t y;
	unsigned m, d;
	int64_t days = t >= 0 ? t / COMP_DAY : -((-t + COMP_DAY - 1) / COMP_DAY);
	time_civil_from_days(days, &y, &m, &d);
	snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}

/* The same time of day `months` calendar months earlier (day clamped to the
 * month's length). */
static int64_t months_before(int64_t t, int months)
{
	int64_t y;
	unsigned m, d;
	int64_t days = t / COMP_DAY, secs = t % COMP_DAY;
	time_civil_from_days(days, &y, &m, &d);
	int64_t idx = y * 12 + (m - 1) - months;
	y = idx / 12;
	m = (unsigned)(idx % 12) + 1;
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned last = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		last = 29;
	if (d > last)
		d = last;
	return time_days_from_civil(y, m, d) * COMP_DAY + secs;
}

static void add_reason(json_t *reasons, enum comp_status st, const char *link, const char *fmt, ...)
{
	char text[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:s, s:s}", "text", text, "status", compliance_status_name(st));
	if (link)
		json_object_set_new(o, "link", json_string(link));
	json_array_append_new(reasons, o);
}

static int param_int(const json_t *params, const char *name, int dflt)
{
	json_t *v = params ? json_object_get(params, name) : NULL;
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

/* Whether `value` is selected by the array parameter `list` (absent = all). */
static bool param_has(const json_t *params, const char *list, const char *value,
		      const char *const *all)
{
	(void)all;
	json_t *a = params ? json_object_get(params, list) : NULL;
	if (!json_is_array(a))
		return true;
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), value) == 0)
			return true;
	return false;
}

static enum comp_status worst(enum comp_status a, enum comp_status b)
{
	return a > b ? a : b;
}

/* prefix + id + suffix: the link formats are fixed strings split at the id. */
static void link_for(char *buf, size_t n, const char *fmt, const char *id)
{
	const char *pct = strstr(fmt, "%s");
	if (!pct) {
		snprintf(buf, n, "%s", fmt);
		return;
	}
	snprintf(buf, n, "%.*s%s%s", (int)(pct - fmt), fmt, id, pct + 2);
}

/* ---------------- the checks ---------------- */

static enum comp_status ck_plan_approved(const struct compliance_facts *f, const json_t *p,
					 json_t *reasons)
{
	if (!f->plan_data || !f->plan_approved) {
		add_reason(reasons, COMP_NOT_MET, "/api/v1/plan", "no approved IR plan");
		return COMP_NOT_MET;
	}
	return COMP_MET;
}

static const char *const plan_parts[] = {"roles", "team_contacts", "communication", "procedures",
					 "reporting", NULL};

static enum comp_status ck_plan_contents(const struct compliance_facts *f, const json_t *p,
					 json_t *reasons)
{
	if (!f->plan_data || !f->plan_approved) {
		add_reason(reasons, COMP_NOT_MET, "/api/v1/plan",
			   "no approved IR plan whose contents could be checked");
		return COMP_NOT_MET;
	}
	const bool have[] = {f->plan_has_roles, f->plan_has_team_contacts, f->plan_has_communication,
			     f->plan_has_procedures, f->plan_has_reporting};
	static const char *const what[] = {
		"roles and responsibilities", "response team with contact details",
		"communication plan (internal and external parties)",
		"procedures by phase and incident type", "reporting requirements"};
	enum comp_status st = COMP_MET;
	for (int i = 0; plan_parts[i]; i++) {
		if (have[i] || !param_has(p, "parts", plan_parts[i], plan_parts))
			continue;
		add_reason(reasons, COMP_NOT_MET, "/api/v1/plan", "the approved plan%s%s has no %s",
			   f->plan_version_label[0] ? " " : "", f->plan_version_label, what[i]);
		st = COMP_NOT_MET;
	}
	return st;
}

static enum comp_status ck_plan_review_current(const struct compliance_facts *f, const json_t *p,
					       json_t *reasons)
{
	int warn = param_int(p, "warn_days", 30);
	/* the later of the approved plan's own review date (approval + its review
	 * interval) and the last completed quality review of the plan + cadence */
	int64_t cadence = (int64_t)f->qr[QR_PLAN].cadence_days * COMP_DAY;
	int64_t due = 0;
	if (f->plan_data && f->plan_next_review_due)
		due = f->plan_next_review_due;
	else if (f->plan_data && f->plan_approved_at)
		due = f->plan_approved_at + cadence;
	if (f->qr[QR_PLAN].last_done_at && f->qr[QR_PLAN].last_done_at + cadence > due)
		due = f->qr[QR_PLAN].last_done_at + cadence;
	const char *link = "/api/v1/quality-reviews?subject=plan";
	if (!due) {
		add_reason(reasons, COMP_NOT_MET, link, "the plan has never been reviewed");
		return COMP_NOT_MET;
	}
	char d[16];
	fmt_date(due, d);
	int64_t late = days_late(due, f->now);
	if (late >= 1) {
		add_reason(reasons, COMP_NOT_MET, link, "plan review overdue by %lld %s (due %s)",
			   (long long)late, plural(late, "day", "days"), d);
		return COMP_NOT_MET;
	}
	if (due - f->now <= (int64_t)warn * COMP_DAY) {
		int64_t n = compliance_days_between(f->now, due);
		if (n == 0)
			add_reason(reasons, COMP_AT_RISK, link, "plan review due today (%s)", d);
		else
			add_reason(reasons, COMP_AT_RISK, link, "plan review due in %lld %s (%s)",
				   (long long)n, plural(n, "day", "days"), d);
		return COMP_AT_RISK;
	}
	return COMP_MET;
}

static enum comp_status ck_team_defined(const struct compliance_facts *f, const json_t *p,
					json_t *reasons)
{
	if (!f->team_data || f->team_members == 0) {
		add_reason(reasons, COMP_NOT_MET, "/api/v1/team", "no response team recorded");
		return COMP_NOT_MET;
	}
	if (f->team_without_contact > 0) {
		int n = f->team_without_contact;
		add_reason(reasons, COMP_NOT_MET, "/api/v1/team", "%d team %s no contact details", n,
			   plural(n, "member has", "members have"));
		return COMP_NOT_MET;
	}
	return COMP_MET;
}

static enum comp_status ck_team_training(const struct compliance_facts *f, const json_t *p,
					 json_t *reasons)
{
	if (!f->team_data || f->team_members == 0) {
		add_reason(reasons, COMP_NOT_MET, "/api/v1/team",
			   "no response team recorded, so no training can be shown");
		return COMP_NOT_MET;
	}
	enum comp_status st = COMP_MET;
	if (f->training_expired > 0) {
		int n = f->training_expired;
		add_reason(reasons, COMP_NOT_MET, "/api/v1/team", "%d team %s training expired", n,
			   plural(n, "member's", "members'"));
		st = COMP_NOT_MET;
	}
	if (f->training_missing > 0) {
		int n = f->training_missing;
		add_reason(reasons, COMP_NOT_MET, "/api/v1/team", "%d team %s no training record", n,
			   plural(n, "member has", "members have"));
		st = COMP_NOT_MET;
	}
	if (f->training_expiring_soon > 0) {
		int n = f->training_expiring_soon;
		add_reason(reasons, COMP_AT_RISK, "/api/v1/team",
			   "%d team %s training expires within 30 days", n,
			   plural(n, "member's", "members'"));
		st = worst(st, COMP_AT_RISK);
	}
	return st;
}

static enum comp_status ck_exercise_recent(const struct compliance_facts *f, const json_t *p,
					   json_t *reasons)
{
	int months = param_int(p, "months", 12);
	int warn = param_int(p, "warn_days", 30);
	int64_t cutoff = months_before(f->now, months);
	char d[16], e[16];
	if (!f->last_exercise_held_at || f->last_exercise_held_at < cutoff) {
		if (f->last_exercise_held_at) {
			fmt_date(f->last_exercise_held_at, d);
			add_reason(reasons, COMP_NOT_MET, "/api/v1/exercises",
				   "no exercise in the last %d months (the last was held on %s)",
				   months, d);
		} else {
			add_reason(reasons, COMP_NOT_MET, "/api/v1/exercises",
				   "no exercise in the last %d months", months);
		}
		return COMP_NOT_MET;
	}
	/* When the last exercise leaves the window: the same day `months` later. */
	int64_t lo = f->last_exercise_held_at, hi = lo + (int64_t)(months + 1) * 31 * COMP_DAY;
	while (hi - lo > 1) { /* smallest t with months_before(t) > last */
		int64_t mid = lo + (hi - lo) / 2;
		if (months_before(mid, months) > f->last_exercise_held_at)
			hi = mid;
		else
			lo = mid;
	}
	int64_t expiry = hi;
	if (expiry - f->now <= (int64_t)warn * COMP_DAY &&
	    (!f->next_exercise_at || f->next_exercise_at > expiry)) {
		fmt_date(f->last_exercise_held_at, d);
		fmt_date(expiry, e);
		add_reason(reasons, COMP_AT_RISK, "/api/v1/exercises",
			   "the last exercise (%s) leaves the %d-month window on %s and none is"
			   " planned before then",
			   d, months, e);
		return COMP_AT_RISK;
	}
	return COMP_MET;
}

static enum comp_status ck_lessons_into_plan(const struct compliance_facts *f, const json_t *p,
					     json_t *reasons)
{
	int months = param_int(p, "months", 12);
	if (f->last_plan_link_at && f->last_plan_link_at >= months_before(f->now, months))
		return COMP_MET;
	add_reason(reasons, COMP_NOT_MET, "/api/v1/actions",
		   "no lessons learned from an exercise, incident or review led to a plan revision"
		   " in the last %d months",
		   months);
	return COMP_NOT_MET;
}

static enum comp_status ck_org_changes_reviewed(const struct compliance_facts *f, const json_t *p,
						json_t *reasons)
{
	enum comp_status st = COMP_MET;
	int n = f->org_changes_unreviewed, shown = n < COMP_REFS_MAX ? n : COMP_REFS_MAX;
	char link[96], d[16];
	for (int i = 0; i < shown; i++) {
		const struct comp_ref *r = &f->org_change_refs[i];
		link_for(link, sizeof(link), "/api/v1/quality-reviews/%s", r->id);
		fmt_date(r->at, d);
		if (r->at && days_late(r->at, f->now) >= 1) {
			int64_t days = days_late(r->at, f->now);
			add_reason(reasons, COMP_NOT_MET, link,
				   "organisational change \"%s\" has no completed plan review"
				   " (overdue by %lld %s)",
				   r->label, (long long)days, plural(days, "day", "days"));
			st = COMP_NOT_MET;
		} else {
			add_reason(reasons, COMP_AT_RISK, link,
				   "organisational change \"%s\" awaits its plan review (due %s)",
				   r->label, d);
			st = worst(st, COMP_AT_RISK);
		}
	}
	if (n > shown)
		add_reason(reasons, st, "/api/v1/org-changes",
			   "and %d more organisational changes without a completed plan review",
			   n - shown);
	return st;
}

static enum comp_status ck_reviews_for_closed(const struct compliance_facts *f, const json_t *p,
					      json_t *reasons)
{
	enum comp_status st = COMP_MET;
	int n = f->closed_without_review, shown = n < COMP_REFS_MAX ? n : COMP_REFS_MAX;
	char link[96];
	for (int i = 0; i < shown; i++) {
		link_for(link, sizeof(link), "/api/v1/incidents/%s/review", f->no_review_refs[i].id);
		add_reason(reasons, COMP_NOT_MET, link, "%s closed without a published review",
			   f->no_review_refs[i].label);
		st = COMP_NOT_MET;
	}
	if (n > shown)
		add_reason(reasons, COMP_NOT_MET, "/api/v1/incidents?status=closed",
			   "and %d more incidents closed without a published review", n - shown);
	if (f->awaiting_review > 0) {
		int a = f->awaiting_review;
		add_reason(reasons, COMP_AT_RISK, "/api/v1/incidents?status=resolved",
			   "%d resolved %s a published review before closing", a,
			   plural(a, "incident needs", "incidents need"));
		st = worst(st, COMP_AT_RISK);
	}
	return st;
}

static enum comp_status refs_list(json_t *reasons, enum comp_status st, int n,
				  const struct comp_ref *refs, const char *linkfmt,
				  const char *sentence, const char *more)
{
	int shown = n < COMP_REFS_MAX ? n : COMP_REFS_MAX;
	char link[96];
	for (int i = 0; i < shown; i++) {
		link_for(link, sizeof(link), linkfmt, refs[i].id);
		add_reason(reasons, st, link, "%s %s", refs[i].label, sentence);
	}
	if (n > shown)
		add_reason(reasons, st, NULL, "and %d more %s", n - shown, more);
	return n > 0 ? st : COMP_MET;
}

static enum comp_status ck_incident_log_complete(const struct compliance_facts *f, const json_t *p,
						 json_t *reasons)
{
	return refs_list(reasons, COMP_AT_RISK, f->without_resolution, f->no_resolution_refs,
			 "/api/v1/incidents/%s", "is resolved without a recorded resolution",
			 "incidents without a recorded resolution");
}

static enum comp_status ck_incidents_acknowledged(const struct compliance_facts *f,
						  const json_t *p, json_t *reasons)
{
	return refs_list(reasons, COMP_AT_RISK, f->unacknowledged, f->unack_refs,
			 "/api/v1/incidents/%s", "not acknowledged within 24 hours",
			 "incidents not acknowledged within 24 hours");
}

static enum comp_status ck_notifications_timely(const struct compliance_facts *f, const json_t *p,
						json_t *reasons)
{
	if (!f->notify_data) {
		add_reason(reasons, COMP_MET, NULL, "no notification records yet");
		return COMP_MET;
	}
	enum comp_status st = refs_list(reasons, COMP_NOT_MET, f->notifications_late, f->late_refs,
					"/api/v1/incidents/%s",
					"notification was late or its deadline passed unsent",
					"late notifications");
	if (f->notifications_due_soon > 0) {
		int n = f->notifications_due_soon;
		add_reason(reasons, COMP_AT_RISK, NULL, "%d notification %s due within 24 hours", n,
			   plural(n, "deadline is", "deadlines are"));
		st = worst(st, COMP_AT_RISK);
	}
	return st;
}

static enum comp_status ck_actions_on_time(const struct compliance_facts *f, const json_t *p,
					   json_t *reasons)
{
	int n = f->actions_overdue;
	if (n == 0)
		return COMP_MET;
	int64_t oldest = days_late(f->overdue_refs[0].at, f->now);
	add_reason(reasons, COMP_AT_RISK, "/api/v1/actions?overdue=true",
		   "%d action %s overdue (oldest by %lld %s)", n, plural(n, "item", "items"),
		   (long long)oldest, plural(oldest, "day", "days"));
	int shown = n < COMP_REFS_MAX ? n : COMP_REFS_MAX;
	char link[96];
	for (int i = 0; i < shown; i++) {
		int64_t d = days_late(f->overdue_refs[i].at, f->now);
		link_for(link, sizeof(link), "/api/v1/actions/%s", f->overdue_refs[i].id);
		add_reason(reasons, COMP_AT_RISK, link, "\"%s\" overdue by %lld %s",
			   f->overdue_refs[i].label, (long long)d, plural(d, "day", "days"));
	}
	return COMP_AT_RISK;
}

static enum comp_status ck_quality_reviews_current(const struct compliance_facts *f,
						   const json_t *p, json_t *reasons)
{
	int warn = param_int(p, "warn_days", 30);
	enum comp_status st = COMP_MET;
	char link[96], d[16];
	for (int s = 0; s < QR_SUBJECT_COUNT; s++) {
		if (!param_has(p, "subjects", qr_names[s], qr_names))
			continue;
		const struct comp_qr_facts *q = &f->qr[s];
		snprintf(link, sizeof(link), "/api/v1/quality-reviews?subject=%s", qr_names[s]);
		int64_t due = q->last_done_at ? q->last_done_at + (int64_t)q->cadence_days * COMP_DAY
					      : 0;
		if (q->open_due && (!due || q->open_due < due))
			due = q->open_due;
		if (!q->last_done_at && (!due || days_late(due, f->now) >= 1)) {
			add_reason(reasons, COMP_NOT_MET, link,
				   "%s %s never had a quality review", qr_labels[s],
				   s == QR_PLAN ? "has" : "have");
			st = COMP_NOT_MET;
			continue;
		}
		fmt_date(due, d);
		if (days_late(due, f->now) >= 1) {
			int64_t n = days_late(due, f->now);
			add_reason(reasons, COMP_NOT_MET, link,
				   "quality review of %s overdue by %lld %s (due %s)", qr_labels[s],
				   (long long)n, plural(n, "day", "days"), d);
			st = COMP_NOT_MET;
		} else if (due - f->now <= (int64_t)warn * COMP_DAY) {
			int64_t n = compliance_days_between(f->now, due);
			if (n == 0)
				add_reason(reasons, COMP_AT_RISK, link,
					   "quality review of %s due today (%s)", qr_labels[s], d);
			else
				add_reason(reasons, COMP_AT_RISK, link,
					   "quality review of %s due in %lld %s (%s)", qr_labels[s],
					   (long long)n, plural(n, "day", "days"), d);
			st = worst(st, COMP_AT_RISK);
		}
	}
	return st;
}

static enum comp_status ck_evidence_recent(const struct compliance_facts *f, const json_t *p,
					   json_t *reasons)
{
	int months = param_int(p, "months", 3);
	int64_t newest = f->newest_record_at;
	if (f->evidence_data && f->last_evidence_pack_at > newest)
		newest = f->last_evidence_pack_at;
	if (f->plan_data && f->plan_approved_at > newest)
		newest = f->plan_approved_at;
	if (!newest) {
		add_reason(reasons, COMP_NOT_MET, NULL, "no evidence recorded yet");
		return COMP_NOT_MET;
	}
	if (newest < months_before(f->now, months)) {
		char d[16];
		fmt_date(newest, d);
		add_reason(reasons, COMP_AT_RISK, NULL,
			   "evidence older than %d months (the newest record is from %s)", months,
			   d);
		return COMP_AT_RISK;
	}
	return COMP_MET;
}

static enum comp_status ck_audit_trail_intact(const struct compliance_facts *f, const json_t *p,
					      json_t *reasons)
{
	if (!f->audit_checked) {
		add_reason(reasons, COMP_AT_RISK, NULL, "the audit trail was not verified");
		return COMP_AT_RISK;
	}
	if (!f->audit_ok) {
		add_reason(reasons, COMP_NOT_MET, NULL, "the audit trail failed verification: %s",
			   f->audit_problem);
		return COMP_NOT_MET;
	}
	return COMP_MET;
}

static const struct comp_check checks[] = {
	{"plan_approved", ck_plan_approved, "", "an approved (ratified) IR plan exists"},
	{"plan_contents", ck_plan_contents, "parts",
	 "the approved plan has roles, team contacts, communication plan, procedures and"
	 " reporting requirements (parts: a subset)"},
	{"plan_review_current", ck_plan_review_current, "warn_days",
	 "the plan was reviewed within its review cadence"},
	{"team_defined", ck_team_defined, "", "a response team with contact details is recorded"},
	{"team_training_current", ck_team_training, "",
	 "every team member has current incident response training"},
	{"exercise_recent", ck_exercise_recent, "months,warn_days",
	 "an exercise was held in the last N months (default 12)"},
	{"lessons_into_plan", ck_lessons_into_plan, "months",
	 "lessons learned led to a plan revision in the last N months (default 12)"},
	{"org_changes_reviewed", ck_org_changes_reviewed, "",
	 "every significant organisational change had its plan review"},
	{"reviews_for_closed_incidents", ck_reviews_for_closed, "",
	 "every closed incident that needs one has a published post-incident review"},
	{"incident_log_complete", ck_incident_log_complete, "",
	 "resolved and closed incidents record their resolution"},
	{"incidents_acknowledged", ck_incidents_acknowledged, "",
	 "no incident waits more than 24 hours to be acknowledged"},
	{"notifications_timely", ck_notifications_timely, "",
	 "required notifications were sent before their deadlines"},
	{"action_items_on_time", ck_actions_on_time, "", "no action item is overdue"},
	{"quality_reviews_current", ck_quality_reviews_current, "subjects,warn_days",
	 "quality reviews of the plan, team, playbooks and clocks are within their cadence"},
	{"evidence_recent", ck_evidence_recent, "months",
	 "the newest evidence is less than N months old (default 3)"},
	{"audit_trail_intact", ck_audit_trail_intact, "",
	 "the hash-chained audit trail verifies"},
	{NULL, NULL, NULL, NULL},
};

const struct comp_check *compliance_checks(void)
{
	return checks;
}

const struct comp_check *compliance_check_find(const char *name)
{
	for (const struct comp_check *c = checks; name && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

enum comp_status compliance_run_check(const char *name, const struct compliance_facts *f,
				      const json_t *params, json_t *reasons)
{
	const struct comp_check *c = compliance_check_find(name);
	if (!c) {
		add_reason(reasons, COMP_NOT_MET, NULL, "unknown check %s", name ? name : "(none)");
		return COMP_NOT_MET;
	}
	return c->fn(f, params, reasons);
}

/* ---------------- the mapping ---------------- */

static const char builtin_mapping[] =
	"{\"frameworks\": ["
	"{\"id\": \"m365\", \"name\": \"Microsoft 365 Certification\", \"controls\": ["
	" {\"id\": \"25\", \"title\": \"Security incident response plan\", \"requirements\": ["
	"  {\"check\": \"plan_approved\", \"text\": \"a ratified incident response plan\"},"
	"  {\"check\": \"plan_contents\", \"text\": \"the plan names the team with contacts, the"
	" communication plan and the procedures by incident type\"},"
	"  {\"check\": \"plan_review_current\", \"text\": \"the plan shows how it is maintained\"},"
	"  {\"check\": \"team_defined\"},"
	"  {\"check\": \"evidence_recent\", \"params\": {\"months\": 3}}]},"
	" {\"id\": \"26\", \"title\": \"Incident response team training\", \"requirements\": ["
	"  {\"check\": \"team_defined\"},"
	"  {\"check\": \"team_training_current\", \"text\": \"every team member has had annual,"
	" organisation-specific incident response training\"},"
	"  {\"check\": \"evidence_recent\", \"params\": {\"months\": 3}}]},"
	" {\"id\": \"27\", \"title\": \"Plan review and updates\", \"requirements\": ["
	"  {\"check\": \"plan_review_current\"},"
	"  {\"check\": \"exercise_recent\", \"params\": {\"months\": 12}},"
	"  {\"check\": \"lessons_into_plan\", \"text\": \"the plan is updated after lessons learned"
	" from an exercise or a real incident\"},"
	"  {\"check\": \"org_changes_reviewed\", \"text\": \"the plan is reviewed after significant"
	" organisational change\"},"
	"  {\"check\": \"reviews_for_closed_incidents\"},"
	"  {\"check\": \"evidence_recent\", \"params\": {\"months\": 3}}]}]},"
	"{\"id\": \"soc2\", \"name\": \"SOC 2 (Trust Services Criteria)\", \"controls\": ["
	" {\"id\": \"CC7.3\", \"title\": \"Evaluation of security events\", \"requirements\": ["
	"  {\"check\": \"incidents_acknowledged\"},"
	"  {\"check\": \"incident_log_complete\"},"
	"  {\"check\": \"team_defined\"}]},"
	" {\"id\": \"CC7.4\", \"title\": \"Response to security incidents\", \"requirements\": ["
	"  {\"check\": \"plan_approved\"},"
	"  {\"check\": \"plan_contents\", \"params\": {\"parts\": [\"roles\", \"communication\","
	" \"procedures\"]}},"
	"  {\"check\": \"team_defined\"},"
	"  {\"check\": \"incidents_acknowledged\"},"
	"  {\"check\": \"notifications_timely\"},"
	"  {\"check\": \"exercise_recent\"}]},"
	" {\"id\": \"CC7.5\", \"title\": \"Recovery from security incidents\", \"requirements\": ["
	"  {\"check\": \"reviews_for_closed_incidents\"},"
	"  {\"check\": \"action_items_on_time\"},"
	"  {\"check\": \"lessons_into_plan\"}]}]},"
	"{\"id\": \"iso27001\", \"name\": \"ISO/IEC 27001:2022\", \"controls\": ["
	" {\"id\": \"A.5.24\", \"title\": \"Information security incident management planning and"
	" preparation\", \"requirements\": ["
	"  {\"check\": \"plan_approved\"},"
	"  {\"check\": \"plan_contents\"},"
	"  {\"check\": \"team_defined\"},"
	"  {\"check\": \"team_training_current\"},"
	"  {\"check\": \"quality_reviews_current\"}]},"
	" {\"id\": \"A.5.25\", \"title\": \"Assessment and decision on information security"
	" events\", \"requirements\": ["
	"  {\"check\": \"incidents_acknowledged\"},"
	"  {\"check\": \"incident_log_complete\"}]},"
	" {\"id\": \"A.5.26\", \"title\": \"Response to information security incidents\","
	" \"requirements\": ["
	"  {\"check\": \"plan_contents\", \"params\": {\"parts\": [\"procedures\","
	" \"communication\"]}},"
	"  {\"check\": \"incidents_acknowledged\"},"
	"  {\"check\": \"notifications_timely\"}]},"
	" {\"id\": \"A.5.27\", \"title\": \"Learning from information security incidents\","
	" \"requirements\": ["
	"  {\"check\": \"reviews_for_closed_incidents\"},"
	"  {\"check\": \"action_items_on_time\"},"
	"  {\"check\": \"lessons_into_plan\"}]},"
	" {\"id\": \"A.5.28\", \"title\": \"Collection of evidence\", \"requirements\": ["
	"  {\"check\": \"audit_trail_intact\"},"
	"  {\"check\": \"plan_contents\", \"params\": {\"parts\": [\"procedures\"]}},"
	"  {\"check\": \"evidence_recent\", \"params\": {\"months\": 3}}]},"
	" {\"id\": \"A.6.8\", \"title\": \"Information security event reporting\","
	" \"requirements\": ["
	"  {\"check\": \"plan_contents\", \"params\": {\"parts\": [\"reporting\"]}},"
	"  {\"check\": \"team_defined\"}]}]}"
	"]}";

const char *compliance_builtin_mapping(void)
{
	return builtin_mapping;
}

#define MAP_MAX_FRAMEWORKS 20
#define MAP_MAX_CONTROLS 200
#define MAP_MAX_REQUIREMENTS 30

static void err_at(json_t **errors, const char *path, const char *msg)
{
	if (!*errors)
		*errors = json_array();
	json_array_append_new(*errors, json_pack("{s:s, s:s}", "field", path, "message", msg));
}

static bool id_ok(const json_t *v, size_t max)
{
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool only_keys(const json_t *o, const char *const *allowed, const char *path,
		      json_t **errors)
{
	const char *k;
	json_t *v;
	bool ok = true;
	char p[256];
	json_object_foreach((json_t *)o, k, v) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, k) != 0)
			a++;
		if (!*a) {
			snprintf(p, sizeof(p), "%s.%s", path, k);
			err_at(errors, p, "unknown member");
			ok = false;
		}
	}
	return ok;
}

static bool param_allowed(const struct comp_check *c, const char *name)
{
	size_t n = strlen(name);
	const char *s = c->params;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == n && strncmp(s, name, n) == 0)
			return true;
		s += len + (e ? 1 : 0);
	}
	return false;
}

static void validate_params(const struct comp_check *c, const json_t *params, const char *path,
			    json_t **errors)
{
	char p[300];
	if (!json_is_object(params)) {
		snprintf(p, sizeof(p), "%s.params", path);
		err_at(errors, p, "must be an object");
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)params, k, v) {
		snprintf(p, sizeof(p), "%s.params.%s", path, k);
		if (!param_allowed(c, k)) {
			char m[200];
			snprintf(m, sizeof(m), "check %s takes %s%s", c->name,
				 *c->params ? "only: " : "no parameters", c->params);
			err_at(errors, p, m);
			continue;
		}
		if (!strcmp(k, "months") || !strcmp(k, "warn_days")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > (!strcmp(k, "months") ? 120 : 365))
				err_at(errors, p,
				       !strcmp(k, "months") ? "must be an integer from 1 to 120"
							    : "must be an integer from 1 to 365");
			continue;
		}
		const char *const *all = !strcmp(k, "parts") ? plan_parts : qr_names;
		if (!json_is_array(v) || json_array_size(v) == 0) {
			err_at(errors, p, "must be a non-empty array");
			continue;
		}
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			const char *s = json_string_value(x);
			const char *const *a = all;
			while (s && *a && strcmp(*a, s) != 0)
				a++;
			if (!s || !*a) {
				struct strbuf m;
				sb_init(&m, 400);
				sb_puts(&m, "items must be among: ");
				for (a = all; *a; a++)
					sb_printf(&m, "%s%s", a == all ? "" : ", ", *a);
				err_at(errors, p, sb_str(&m));
				sb_free(&m);
				break;
			}
		}
	}
}

int compliance_mapping_validate(const json_t *doc, json_t **errors)
{
	static const char *const top_keys[] = {"frameworks", NULL};
	static const char *const fw_keys[] = {"id", "name", "controls", NULL};
	static const char *const ctl_keys[] = {"id", "title", "requirements", NULL};
	static const char *const req_keys[] = {"check", "text", "params", NULL};
	*errors = NULL;
	if (!json_is_object(doc)) {
		err_at(errors, "$", "must be an object");
		return SIRT_EINVAL;
	}
	only_keys(doc, top_keys, "$", errors);
	json_t *fws = json_object_get(doc, "frameworks");
	if (!json_is_array(fws) || json_array_size(fws) == 0 ||
	    json_array_size(fws) > MAP_MAX_FRAMEWORKS) {
		err_at(errors, "frameworks", "must be an array of 1 to 20 frameworks");
		return SIRT_EINVAL;
	}
	char p[200], q[260];
	size_t i, j, k;
	json_t *fw, *ctl, *rq;
	json_array_foreach(fws, i, fw) {
		snprintf(p, sizeof(p), "frameworks[%zu]", i);
		if (!json_is_object(fw)) {
			err_at(errors, p, "must be an object");
			continue;
		}
		only_keys(fw, fw_keys, p, errors);
		snprintf(q, sizeof(q), "%s.id", p);
		if (!id_ok(json_object_get(fw, "id"), 40))
			err_at(errors, q, "must be a string of 1 to 40 characters");
		for (size_t o = 0; o < i; o++)
			if (json_equal(json_object_get(json_array_get(fws, o), "id"),
				       json_object_get(fw, "id")))
				err_at(errors, q, "duplicates another framework's id");
		snprintf(q, sizeof(q), "%s.name", p);
		if (!id_ok(json_object_get(fw, "name"), 200))
			err_at(errors, q, "must be a string of 1 to 200 characters");
		json_t *ctls = json_object_get(fw, "controls");
		snprintf(q, sizeof(q), "%s.controls", p);
		if (!json_is_array(ctls) || json_array_size(ctls) == 0 ||
		    json_array_size(ctls) > MAP_MAX_CONTROLS) {
			err_at(errors, q, "must be an array of 1 to 200 controls");
			continue;
		}
		json_array_foreach(ctls, j, ctl) {
			char cp[240];
			snprintf(cp, sizeof(cp), "%s.controls[%zu]", p, j);
			if (!json_is_object(ctl)) {
				err_at(errors, cp, "must be an object");
				continue;
			}
			only_keys(ctl, ctl_keys, cp, errors);
			snprintf(q, sizeof(q), "%s.id", cp);
			if (!id_ok(json_object_get(ctl, "id"), 40))
				err_at(errors, q, "must be a string of 1 to 40 characters");
			for (size_t o = 0; o < j; o++)
				if (json_equal(json_object_get(json_array_get(ctls, o), "id"),
					       json_object_get(ctl, "id")))
					err_at(errors, q, "duplicates another control's id");
			snprintf(q, sizeof(q), "%s.title", cp);
			if (!id_ok(json_object_get(ctl, "title"), 200))
				err_at(errors, q, "must be a string of 1 to 200 characters");
			json_t *rqs = json_object_get(ctl, "requirements");
			snprintf(q, sizeof(q), "%s.requirements", cp);
			if (!json_is_array(rqs) || json_array_size(rqs) == 0 ||
			    json_array_size(rqs) > MAP_MAX_REQUIREMENTS) {
				err_at(errors, q, "must be an array of 1 to 30 requirements");
				continue;
			}
			json_array_foreach(rqs, k, rq) {
				char rp[280], fp[300];
				snprintf(rp, sizeof(rp), "%s.requirements[%zu]", cp, k);
				if (!json_is_object(rq)) {
					err_at(errors, rp, "must be an object");
					continue;
				}
				only_keys(rq, req_keys, rp, errors);
				const char *name = json_string_value(json_object_get(rq, "check"));
				const struct comp_check *c = compliance_check_find(name);
				snprintf(fp, sizeof(fp), "%s.check", rp);
				if (!c) {
					err_at(errors, fp,
					       name ? "is not a known check (GET /api/v1/compliance/checks lists them)"
						    : "is required");
					continue;
				}
				json_t *t = json_object_get(rq, "text");
				snprintf(fp, sizeof(fp), "%s.text", rp);
				if (t && !id_ok(t, 500))
					err_at(errors, fp, "must be a string of 1 to 500 characters");
				json_t *prm = json_object_get(rq, "params");
				if (prm)
					validate_params(c, prm, rp, errors);
			}
		}
	}
	return *errors ? SIRT_EINVAL : 0;
}

json_t *compliance_evaluate(const json_t *mapping, const struct compliance_facts *f,
			    const char *framework)
{
	int counts[3] = {0, 0, 0};
	json_t *out_fws = json_array();
	size_t i, j, k;
	json_t *fw, *ctl, *rq;
	json_array_foreach(json_object_get(mapping, "frameworks"), i, fw) {
		const char *fid = json_string_value(json_object_get(fw, "id"));
		if (framework && (!fid || strcmp(fid, framework) != 0))
			continue;
		enum comp_status fst = COMP_MET;
		json_t *out_ctls = json_array();
		json_array_foreach(json_object_get(fw, "controls"), j, ctl) {
			enum comp_status cst = COMP_MET;
			json_t *creasons = json_array(), *reqs = json_array();
			json_array_foreach(json_object_get(ctl, "requirements"), k, rq) {
				const char *name = json_string_value(json_object_get(rq, "check"));
				json_t *rr = json_array();
				enum comp_status st =
					compliance_run_check(name, f, json_object_get(rq, "params"), rr);
				cst = worst(cst, st);
				size_t x;
				json_t *reason;
				json_array_foreach(rr, x, reason) {
					const char *rs = json_string_value(json_object_get(reason, "status"));
					if (rs && strcmp(rs, "met") == 0)
						continue; /* notes stay with the requirement */
					/* the same sentence from two requirements once */
					bool dup = false;
					size_t y;
					json_t *seen;
					json_array_foreach(creasons, y, seen)
						if (json_equal(json_object_get(seen, "text"),
							       json_object_get(reason, "text")))
							dup = true;
					if (!dup)
						json_array_append(creasons, reason);
				}
				const struct comp_check *c = compliance_check_find(name);
				json_t *text = json_object_get(rq, "text");
				json_array_append_new(
					reqs, json_pack("{s:s?, s:s?, s:s, s:o}", "check", name, "text",
							text ? json_string_value(text) : c ? c->doc : NULL,
							"status", compliance_status_name(st), "reasons", rr));
			}
			counts[cst]++;
			fst = worst(fst, cst);
			json_array_append_new(
				out_ctls,
				json_pack("{s:O?, s:O?, s:s, s:o, s:o}", "id", json_object_get(ctl, "id"),
					  "title", json_object_get(ctl, "title"), "status",
					  compliance_status_name(cst), "reasons", creasons,
					  "requirements", reqs));
		}
		json_array_append_new(out_fws,
				      json_pack("{s:O?, s:O?, s:s, s:o}", "id", json_object_get(fw, "id"),
						"name", json_object_get(fw, "name"), "status",
						compliance_status_name(fst), "controls", out_ctls));
	}
	return json_pack("{s:{s:i, s:i, s:i}, s:o}", "summary", "met", counts[0], "at_risk",
			 counts[1], "not_met", counts[2], "frameworks", out_fws);
}
