/*
 * The quality review pages:
 *   GET  /quality-reviews        the schedule per subject (plan, team, playbooks,
 *                                clocks), open reviews overdue first, done ones
 *   POST /quality-reviews        schedule a review
 *   POST /quality-reviews/{id}   record the outcome: reviewer, date, pass or
 *                                changes required (with the change that becomes
 *                                an action item), notes
 *
 * A form that fails renders the page again (422/409) with the errors next to
 * the fields of that review's form and the input kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "app/app.h"
#include "core/contact.h"
#include "http/routes.h"
#include "store/qreview_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/pages_prog.h"
#include "web/web.h"

#define LIST_LIMIT 200

static const char *const subjects[] = {"plan", "team", "playbooks", "clocks", NULL};
static const char *const reasons[] = {"scheduled", "organisational_change", "incident",
				      "exercise", "other", NULL};
static const char *const outcomes[] = {"pass", "changes_required", NULL};

struct q_job {
	bool create;
	int64_t org_id;
	const char *uid;
	const char *by;
	int64_t version;
	json_t *body;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

static bool in_list(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int q_tx(struct db *db, void *arg)
{
	struct q_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	if (j->create)
		return qreview_create(db, &j->ac, j->org_id, j->body, j->by, j->now, &j->res, &j->out);
	return qreview_update(db, &j->ac, j->org_id, j->uid, j->version, j->body, j->by, j->now,
			      &j->res, &j->out);
}

static const char *subject_label(const char *s)
{
	static const char *const labels[] = {"Plan", "Team roster and contacts", "Playbooks",
					     "Clock definitions"};
	for (int i = 0; s && subjects[i]; i++)
		if (!strcmp(subjects[i], s))
			return labels[i];
	return s ? s : "";
}

static json_t *review_view(struct req *r, json_t *q)
{
	json_t *o = json_deep_copy(q);
	json_object_set_new(o, "subject_label",
			    json_string(subject_label(json_string_value(json_object_get(o, "subject")))));
	prog_label(r, o, "reason", NULL);
	prog_label(r, o, "status", NULL);
	prog_label(r, o, "outcome", NULL);
	json_object_set_new(o, "notes_html", prog_markdown(json_string_value(json_object_get(o, "notes"))));
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(o, "action_items"), i, a)
		prog_label(r, a, "status", NULL);
	return o;
}

/*
 * The page; state may carry {create: {form, errors, error}} or
 * {outcome: {id, form, errors, error}} for a form that came back.
 */
static int show_page(struct req *r, json_t *state, int status)
{
	struct db *db = store_reader(r->app->store);
	if (!db) {
		json_decref(state);
		return resp_problem(r, 503, NULL, "the database is unreachable", NULL);
	}
	int64_t now = time_now();
	json_t *sched = NULL, *open = NULL, *done = NULL;
	char *next = NULL;
	struct qreview_filter fo = {.status = "open", .now = now, .limit = LIST_LIMIT};
	struct qreview_filter fd = {.status = "done", .now = now, .limit = LIST_LIMIT};
	int rc = qreview_schedule(db, r->who.org_id, now, &sched);
	if (rc == 0)
		rc = qreview_list(db, r->who.org_id, &fo, &open, &next);
	free(next);
	next = NULL;
	if (rc == 0)
		rc = qreview_list(db, r->who.org_id, &fd, &done, &next);
	free(next);
	if (rc < 0) {
		json_decref(state);
		json_decref(sched);
		json_decref(open);
		json_decref(done);
		return resp_error(r, rc, "reading the quality reviews");
	}
	json_t *m = prog_model(r, "exercises", "Quality reviews");
	json_object_set_new(m, "subjects", json_array());
	for (int i = 0; subjects[i]; i++)
		json_array_append_new(json_object_get(m, "subjects"),
				      json_pack("{s:s, s:s}", "value", subjects[i], "label", subject_label(subjects[i])));
	json_object_set_new(m, "reasons", pages_options(r, NULL, reasons));
	json_object_set_new(m, "outcomes", pages_options(r, NULL, outcomes));
	/* schedule: overdue subjects first */
	json_t *sv = json_array();
	for (int pass = 0; pass < 2; pass++) {
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(sched, "subjects"), i, x) {
			if (json_is_true(json_object_get(x, "overdue")) != (pass == 0))
				continue;
			json_t *o = json_deep_copy(x);
			json_object_set_new(o, "subject_label",
					    json_string(subject_label(json_string_value(json_object_get(x, "subject")))));
			json_array_append_new(sv, o);
		}
	}
	json_object_set_new(m, "schedule", sv);
	/* open reviews: overdue first, then by due date (the store's order) */
	json_t *ov = json_array();
	char today[16];
	prog_today(today);
	json_t *kept = json_object_get(state, "outcome");
	const char *kept_id = json_string_value(json_object_get(kept, "id"));
	for (int pass = 0; pass < 2; pass++) {
		size_t i;
		json_t *x;
		json_array_foreach(open, i, x) {
			if (json_is_true(json_object_get(x, "overdue")) != (pass == 0))
				continue;
			json_t *o = review_view(r, x);
			const char *id = json_string_value(json_object_get(x, "id")) ?: "";
			if (kept_id && !strcmp(kept_id, id)) {
				json_object_update(o, kept);
				json_object_set_new(o, "open", json_true());
			} else {
				json_object_set_new(o, "form", json_pack("{s:s, s:s, s:s, s:s, s:s}", "reviewer",
									 r->who.email ? r->who.email : "",
									 "reviewed_on", today, "outcome", "pass",
									 "change_owner", r->who.email ? r->who.email : "",
									 "change_due", ""));
			}
			json_array_append_new(ov, o);
		}
	}
	json_object_set_new(m, "open", ov);
	json_t *dv = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(done, i, x)
		json_array_append_new(dv, review_view(r, x));
	json_object_set_new(m, "done", dv);
	json_t *create = json_object_get(state, "create");
	if (!create)
		json_object_set_new(m, "create", json_pack("{s:{s:s, s:s, s:s}}", "form", "subject", "plan",
							   "due_date", today, "reason", "scheduled"));
	if (state) {
		json_object_del(state, "outcome");
		json_object_update(m, state);
	}
	json_decref(state);
	json_decref(sched);
	json_decref(open);
	json_decref(done);
	return web_render(r, status, tmpl_qreview_list, m);
}

static int h_list(struct req *r)
{
	return show_page(r, NULL, 200);
}

/* Applies a failed job's result to errors / *error and returns the status. */
static int job_refusal(struct req *r, int rc, struct q_job *j, json_t *errors, const char **error)
{
	json_t *e = prog_errors(j->res.errors);
	json_object_update(errors, e);
	json_decref(e);
	if (rc == SIRT_EPRECOND)
		*error = "Someone changed this review since you opened the page: check it and save again.";
	else if (!j->res.errors && j->res.why[0])
		*error = arena_strdup(&r->arena, j->res.why);
	return rc == SIRT_EPRECOND ? 412 : rc == SIRT_ECONFLICT ? 409 : 422;
}

static int h_create(struct req *r)
{
	json_t *errors = json_object();
	const char *subject = pages_field(r, "subject");
	const char *due = pages_field(r, "due_date");
	const char *reason = pages_field(r, "reason");
	const char *reviewer = pages_field(r, "reviewer");
	int64_t t;
	if (!subject || !in_list(subjects, subject))
		json_object_set_new(errors, "subject", json_string("Choose what is reviewed."));
	if (!due || time_parse_date(due, &t) < 0)
		json_object_set_new(errors, "due_date", json_string("Enter the date it is due (YYYY-MM-DD)."));
	if (reason && !in_list(reasons, reason))
		json_object_set_new(errors, "reason", json_string("Choose a reason."));
	if (reviewer && (strlen(reviewer) > 254 || !text_is_single_line(reviewer)))
		json_object_set_new(errors, "reviewer", json_string("At most 254 characters, on one line."));
	const char *error = NULL;
	int status = 422;
	if (json_object_size(errors) == 0) {
		json_t *body = json_pack("{s:s, s:s}", "subject", subject, "due_date", due);
		if (reason)
			json_object_set_new(body, "reason", json_string(reason));
		if (reviewer)
			json_object_set_new(body, "reviewer", json_string(reviewer));
		struct q_job j = {.create = true, .org_id = r->who.org_id, .by = r->who.email,
				  .body = body, .ac = req_audit_ctx(r), .now = time_now()};
		int rc = store_tx(r->app->store, q_tx, &j);
		json_decref(body);
		json_decref(j.out);
		if (rc == 0) {
			op_free(&j.res);
			json_decref(errors);
			return prog_done(r, "/quality-reviews", NULL, "Quality review scheduled.");
		}
		if (rc != SIRT_EINVAL && rc != SIRT_ECONFLICT) {
			op_free(&j.res);
			json_decref(errors);
			return resp_error(r, rc, "scheduling the quality review");
		}
		status = job_refusal(r, rc, &j, errors, &error);
		op_free(&j.res);
	}
	json_t *state = json_pack("{s:{s:{s:s, s:s, s:s, s:s}, s:o, s:b}}", "create", "form", "subject",
				  prog_raw(r, "subject"), "due_date", prog_raw(r, "due_date"), "reason",
				  prog_raw(r, "reason"), "reviewer", prog_raw(r, "reviewer"), "errors",
				  errors, "open", 1);
	if (error)
		json_object_set_new(json_object_get(state, "create"), "error", json_string(error));
	return show_page(r, state, status);
}

static int h_outcome(struct req *r)
{
	const char *uid = req_param(r, "id");
	json_t *errors = json_object();
	const char *reviewer = pages_field(r, "reviewer");
	const char *on = pages_field(r, "reviewed_on");
	const char *outcome = pages_field(r, "outcome");
	const char *notes = prog_textarea(r, "notes");
	const char *ctitle = pages_field(r, "change_title");
	const char *cowner = pages_field(r, "change_owner");
	const char *cdue = pages_field(r, "change_due");
	int64_t t;
	if (!reviewer)
		json_object_set_new(errors, "reviewer", json_string("Who reviewed it?"));
	else if (strlen(reviewer) > 254 || !text_is_single_line(reviewer))
		json_object_set_new(errors, "reviewer", json_string("At most 254 characters, on one line."));
	if (!on || time_parse_date(on, &t) < 0)
		json_object_set_new(errors, "reviewed_on", json_string("Enter the date of the review (YYYY-MM-DD)."));
	if (!outcome || !in_list(outcomes, outcome))
		json_object_set_new(errors, "outcome", json_string("Choose the outcome."));
	if (notes && strlen(notes) > 20000)
		json_object_set_new(errors, "notes", json_string("At most 20,000 characters."));
	json_t *patch = json_pack("{s:s}", "status", "done");
	if (reviewer)
		json_object_set_new(patch, "reviewer", json_string(reviewer));
	if (on)
		json_object_set_new(patch, "reviewed_on", json_string(on));
	if (outcome)
		json_object_set_new(patch, "outcome", json_string(outcome));
	if (notes)
		json_object_set_new(patch, "notes", json_string(notes));
	if (outcome && !strcmp(outcome, "changes_required")) {
		if (!ctitle)
			json_object_set_new(errors, "change_title", json_string("Name the change required: it becomes an action item."));
		else if (strlen(ctitle) > 300 || !text_is_single_line(ctitle))
			json_object_set_new(errors, "change_title", json_string("At most 300 characters, on one line."));
		if (!cowner)
			json_object_set_new(errors, "change_owner", json_string("Every change needs an owner."));
		else if (strlen(cowner) > 254 || (strchr(cowner, '@') && !email_valid(cowner)))
			json_object_set_new(errors, "change_owner", json_string("A user's e-mail or a team member's name."));
		if (!cdue || time_parse_date(cdue, &t) < 0)
			json_object_set_new(errors, "change_due", json_string("Enter the date it is due (YYYY-MM-DD)."));
		if (ctitle && cowner && cdue)
			json_object_set_new(patch, "changes", json_pack("[{s:s, s:s, s:s}]", "title", ctitle,
									"owner", cowner, "due_date", cdue));
	}
	const char *vs = pages_field(r, "version");
	const char *error = NULL;
	int status = 422;
	if (json_object_size(errors) == 0) {
		struct q_job j = {.org_id = r->who.org_id, .uid = uid, .by = r->who.email,
				  .version = vs ? strtoll(vs, NULL, 10) : 0, .body = patch,
				  .ac = req_audit_ctx(r), .now = time_now()};
		int rc = store_tx(r->app->store, q_tx, &j);
		json_decref(j.out);
		if (rc == 0 || rc == SIRT_ENOTFOUND) {
			op_free(&j.res);
			json_decref(errors);
			json_decref(patch);
			if (rc == SIRT_ENOTFOUND)
				return resp_problem(r, 404, NULL, "no such quality review", NULL);
			return prog_done(r, "/quality-reviews", NULL, "Outcome recorded.");
		}
		if (rc != SIRT_EINVAL && rc != SIRT_ECONFLICT && rc != SIRT_EPRECOND) {
			op_free(&j.res);
			json_decref(errors);
			json_decref(patch);
			return resp_error(r, rc, "recording the outcome");
		}
		status = job_refusal(r, rc, &j, errors, &error);
		/* change errors come back as changes[0].field */
		static const char *const cf[][2] = {{"changes[0].title", "change_title"},
						    {"changes[0].owner", "change_owner"},
						    {"changes[0].due_date", "change_due"},
						    {"changes", "change_title"}};
		for (size_t k = 0; k < sizeof(cf) / sizeof(cf[0]); k++) {
			json_t *msg = json_object_get(errors, cf[k][0]);
			if (msg && !json_object_get(errors, cf[k][1]))
				json_object_set(errors, cf[k][1], msg);
		}
		op_free(&j.res);
	}
	json_decref(patch);
	/* the review must exist in this organisation, or this is a 404 */
	struct db *db = store_reader(r->app->store);
	json_t *q = NULL;
	int rc = db ? qreview_get(db, r->who.org_id, uid, time_now(), &q) : SIRT_EUNAVAIL;
	json_decref(q);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(errors);
		return resp_problem(r, 404, NULL, "no such quality review", NULL);
	}
	json_t *state = json_pack("{s:{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:o}}", "outcome",
				  "id", uid, "form", "reviewer", prog_raw(r, "reviewer"),
				  "reviewed_on", prog_raw(r, "reviewed_on"), "outcome",
				  prog_raw(r, "outcome"), "notes", prog_raw(r, "notes"),
				  "change_title", prog_raw(r, "change_title"), "change_owner",
				  prog_raw(r, "change_owner"), "change_due", prog_raw(r, "change_due"),
				  "errors", errors);
	if (error)
		json_object_set_new(json_object_get(state, "outcome"), "error", json_string(error));
	return show_page(r, state, status);
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_qreviews_routes[] = {
	{"GET", "/quality-reviews", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "Quality reviews page: schedule, open (overdue first), done", "web", NULL, ROUTE_HTML},
	{"POST", "/quality-reviews", PERM_MANAGE, FORM, h_create, NULL,
	 "Schedule a quality review (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/quality-reviews/{id}", PERM_MANAGE, FORM, h_outcome, NULL,
	 "Record a quality review's outcome (form)", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_qreviews);
