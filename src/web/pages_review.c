/*
 * The post-incident review (incident report) of one incident:
 *   GET  /incidents/{key}/review              the newest revision (?revision=N an older
 *                                             one), its sign-offs, revisions, action items;
 *                                             the edit form while it is a draft or in
 *                                             review (PERM_READ; editing needs PERM_MANAGE)
 *   POST /incidents/{key}/review              start revision 1, or the next one after a
 *                                             published revision
 *   POST /incidents/{key}/review/edit         save every section of the draft (version)
 *   POST /incidents/{key}/review/submit       draft -> in review (required sections)
 *   POST /incidents/{key}/review/signoff      comment: sign off as the signed-in user
 *   POST /incidents/{key}/review/publish      in review -> published (sign-offs checked)
 *   POST /incidents/{key}/review/actions      an action item from a recommendation
 * The writes need PERM_MANAGE, as in the JSON API (src/api/reviews.c).
 *
 * The report of a revision that is in review or published is shown as the
 * API's Markdown rendering (review_render_markdown) turned into HTML by
 * cmark with its safe defaults (raw HTML and javascript: links dropped):
 * that is the only HTML the template takes unescaped ({{raw report_html}}).
 *
 * Editing: the form carries every section; "actions taken" are checkboxes
 * over the candidates sirt knows (lifecycle times, timeline entries, audit
 * entries) plus the entries already chosen, and a text area for new ones.
 * A field the content check refuses is shown next to its input, with every
 * value as it was typed.
 */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"

#include "app/app.h"
#include "core/review.h"
#include "http/routes.h"
#include "store/action_store.h"
#include "store/review_store.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/pages_kit.h"
#include "web/web.h"

enum rv_op { OP_CREATE, OP_UPDATE, OP_SUBMIT, OP_SIGNOFF, OP_PUBLISH, OP_ACTION };

struct rv_job {
	enum rv_op op;
	int64_t org_id;
	const char *ref;
	int64_t version;
	const json_t *content;
	const char *comment;
	struct review_actor who;
	struct action_new action;
	struct audit_ctx ac;
	int64_t now;
	struct op_result res;
	json_t *out;
};

struct rv_view {
	json_t *form;    /* the edit form as typed (borrowed) */
	json_t *errors;  /* {field: message} (borrowed) */
	const char *error;
	json_t *action_form, *action_errors;
};

static int rv_tx(struct db *db, void *arg);
static int render(struct req *r, int status, const struct rv_view *v);

/* The text fields of the form and the content paths they edit. */
static const char *const text_fields[] = {"summary", "went_well", "went_badly", NULL};
static const char *const impact_ints[] = {"people_affected",  "customers_affected",
					  "records_affected", "duration_minutes",
					  "downtime_minutes", "estimated_cost", NULL};
static const char *const impact_texts[] = {"currency", "regulatory", "contractual", "notes",
					   NULL};
static const char *const impact_lists[] = {"data_types", "systems", NULL};

static int rv_tx(struct db *db, void *arg)
{
	struct rv_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	op_reset(&j->res);
	switch (j->op) {
	case OP_CREATE:
		return review_create(db, &j->ac, j->org_id, j->ref, &j->who, j->content, j->now,
				     &j->res, &j->out);
	case OP_UPDATE:
		return review_update(db, &j->ac, j->org_id, j->ref, j->version, j->content, j->now,
				     &j->res, &j->out);
	case OP_SUBMIT:
		return review_submit(db, &j->ac, j->org_id, j->ref, j->now, &j->res, &j->out);
	case OP_SIGNOFF:
		return review_signoff(db, &j->ac, j->org_id, j->ref, &j->who, j->comment, j->now,
				      &j->res, &j->out);
	case OP_PUBLISH:
		return review_publish(db, &j->ac, j->org_id, j->ref, j->now, &j->res, &j->out);
	case OP_ACTION:
		return action_create(db, &j->ac, &j->action, j->now, &j->res, &j->out);
	}
	return SIRT_EINVAL;
}

/* "impact.people_affected" or "actions_taken[2].text" -> "impact_people_affected". */
static char *field_key(struct req *r, const char *path)
{
	char *k = arena_strdup(&r->arena, path ? path : "form");
	k[strcspn(k, "[")] = '\0';
	for (char *p = k; *p; p++)
		if (*p == '.')
			*p = '_';
	return k;
}

/* One sentence for a refusal: the reason, or the field errors joined. */
static const char *why_of(struct req *r, int rc, const struct op_result *res)
{
	if (res->why[0])
		return arena_strdup(&r->arena, res->why);
	if (res->errors && json_array_size(res->errors)) {
		struct strbuf sb;
		sb_init(&sb, 4096);
		size_t i;
		json_t *e;
		json_array_foreach(res->errors, i, e)
			sb_printf(&sb, "%s%s: %s", i ? "; " : "",
				  json_string_value(json_object_get(e, "field")),
				  json_string_value(json_object_get(e, "message")));
		const char *s = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "refused");
		sb_free(&sb);
		return s;
	}
	return rc == SIRT_EPRECOND ? "The review was changed by someone else meanwhile."
				   : "The change was refused.";
}

static const char *lines_of(struct req *r, json_t *arr, const char *sep)
{
	struct strbuf sb;
	sb_init(&sb, 1 << 20);
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x)
		if (json_is_string(x))
			sb_printf(&sb, "%s%s", i ? sep : "", json_string_value(x));
	const char *s = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "");
	sb_free(&sb);
	return s;
}

/* The edit form's values from a revision's content. */
static json_t *form_from(struct req *r, json_t *rv)
{
	json_t *f = json_object();
	for (const char *const *k = text_fields; *k; k++)
		json_object_set(f, *k, json_object_get(rv, *k) ? json_object_get(rv, *k)
							       : json_string(""));
	json_t *rc = json_object_get(rv, "root_cause");
	static const char *const rcs[] = {"method", "root_cause", "category", NULL};
	char key[64];
	for (const char *const *k = rcs; *k; k++) {
		json_t *v = json_object_get(rc, *k);
		snprintf(key, sizeof(key), "root_cause_%s", *k);
		json_object_set_new(f, key, json_string(json_is_string(v) ? json_string_value(v) : ""));
	}
	json_object_set_new(f, "root_cause_contributing_factors",
			    json_string(lines_of(r, json_object_get(rc, "contributing_factors"), "\n")));
	json_t *im = json_object_get(rv, "impact");
	for (const char *const *k = impact_ints; *k; k++) {
		json_t *v = json_object_get(im, *k);
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(f, key, json_is_integer(v)
						    ? json_sprintf("%lld", (long long)json_integer_value(v))
						    : json_string(""));
	}
	static const char *const enums[] = {"functional", "information", "recoverability", NULL};
	for (const char *const *k = enums; *k; k++) {
		json_t *v = json_object_get(im, *k);
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(f, key, json_string(json_is_string(v) ? json_string_value(v) : ""));
	}
	for (const char *const *k = impact_texts; *k; k++) {
		json_t *v = json_object_get(im, *k);
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(f, key, json_string(json_is_string(v) ? json_string_value(v) : ""));
	}
	for (const char *const *k = impact_lists; *k; k++) {
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(f, key, json_string(lines_of(r, json_object_get(im, *k), ", ")));
	}
	json_object_set_new(f, "recommendations",
			    json_string(lines_of(r, json_object_get(rv, "recommendations"), "\n")));
	json_object_set_new(f, "actions_new", json_string(""));
	json_object_set(f, "version", json_object_get(rv, "version"));
	return f;
}

/*
 * The "actions taken" choices: every candidate (value = its source), then
 * the chosen entries that are not candidates (value = "keep:<index>").
 * chosen: the values ticked (NULL: as in the revision).
 */
static json_t *action_choices(struct req *r, json_t *rv, json_t *chosen)
{
	json_t *out = json_array();
	json_t *taken = json_object_get(rv, "actions_taken");
	json_t *cands = json_object_get(rv, "candidates");
	json_t *sources = json_object();
	size_t i;
	json_t *x;
	json_array_foreach(taken, i, x) {
		const char *s = json_string_value(json_object_get(x, "source"));
		if (s && strcmp(s, "manual") != 0)
			json_object_set_new(sources, s, json_true());
	}
	json_t *tick = json_object();
	json_array_foreach(chosen, i, x)
		json_object_set_new(tick, json_string_value(x), json_true());
	json_t *seen = json_object();
	json_array_foreach(cands, i, x) {
		const char *s = json_string_value(json_object_get(x, "source"));
		if (!s || json_object_get(seen, s))
			continue;
		json_object_set_new(seen, s, json_true());
		bool on = chosen ? json_object_get(tick, s) != NULL : json_object_get(sources, s) != NULL;
		json_array_append_new(out, json_pack("{s:s, s:O, s:O, s:o, s:b}", "value", s, "text",
						     json_object_get(x, "text"), "actor",
						     json_object_get(x, "actor"), "at",
						     kit_time_iso(r, json_object_get(x, "at")), "checked", on));
	}
	json_array_foreach(taken, i, x) {
		const char *s = json_string_value(json_object_get(x, "source"));
		if (s && json_object_get(seen, s))
			continue;
		char *val = arena_printf(&r->arena, "keep:%zu", i);
		bool on = chosen ? json_object_get(tick, val) != NULL : true;
		json_t *c = json_pack("{s:s, s:O, s:O, s:o, s:b, s:b}", "value", val, "text",
				      json_object_get(x, "text"), "actor", json_object_get(x, "actor"),
				      "at", kit_time_iso(r, json_object_get(x, "at")), "checked", on,
				      "manual", true);
		if (c)
			json_array_append_new(out, c);
	}
	json_decref(sources);
	json_decref(tick);
	json_decref(seen);
	return out;
}

static const char *msg_of(json_t *e)
{
	const char *m = json_string_value(json_object_get(e, "message"));
	return m ? m : "is not valid";
}

static json_t *labelled(struct req *r, const char *const *list)
{
	return kit_options(r, list);
}

static int render(struct req *r, int status, const struct rv_view *v)
{
	const char *key = req_param(r, "key");
	const char *rev = req_query(r, "revision");
	long revision = 0;
	if (rev && *rev) {
		char *end;
		revision = strtol(rev, &end, 10);
		if (*end || revision < 1 || revision > 100000)
			return resp_problem(r, 404, NULL, "no such revision", NULL);
	}
	struct db *db = store_reader(r->app->store);
	if (!db)
		return resp_error(r, SIRT_EUNAVAIL, NULL);
	struct rs_incident inc;
	int rc = rs_incident_find(db, r->who.org_id, key, &inc);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident", NULL);
	if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading the incident");
	json_t *rv = NULL, *revs = NULL;
	int64_t now = time_now();
	rc = review_get(db, r->who.org_id, inc.key, (int)revision, now, &rv);
	if (rc == SIRT_ENOTFOUND && revision)
		return resp_problem(r, 404, NULL, "no such revision", NULL);
	if (rc == SIRT_ENOTFOUND)
		rv = NULL;
	else if (rc < 0)
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "reading the review");
	if (rv && (rc = review_revisions(db, r->who.org_id, inc.key, &revs)) < 0) {
		json_decref(rv);
		return resp_error(r, db_is_broken(db) ? SIRT_EUNAVAIL : rc, "listing revisions");
	}
	bool missing_required = false;
	if (review_required_and_missing(db, r->who.org_id, inc.id, &missing_required) < 0)
		missing_required = false;

	char title[300];
	snprintf(title, sizeof(title), "Review of %s", inc.key);
	json_t *m = kit_model(r, "incidents", title);
	json_t *ij = rs_incident_json(&inc);
	json_object_set_new(ij, "severity_label", json_string(kit_label(r, inc.severity)));
	json_object_set_new(ij, "status_label", json_string(kit_label(r, inc.status)));
	json_object_set_new(m, "incident", ij);
	bool can_manage = pages_can(r, PERM_MANAGE);
	json_object_set_new(m, "can_manage", json_boolean(can_manage));
	json_object_set_new(m, "review_required", json_boolean(missing_required));
	if (v && v->error)
		json_object_set_new(m, "error", json_string(v->error));
	if (!rv) {
		json_object_set_new(m, "review", json_null());
		return web_render(r, status, tmpl_review_page, m);
	}
	const char *st = json_string_value(json_object_get(rv, "status"));
	bool editable = st && (!strcmp(st, "draft") || !strcmp(st, "in_review"));
	int latest = 0;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(revs, "items"), i, x) {
		int n = (int)json_integer_value(json_object_get(x, "revision"));
		if (n > latest)
			latest = n;
		static const char *const rt[] = {"created_at", "submitted_at", "published_at",
						 "superseded_at", NULL};
		kit_times(r, x, rt);
		json_object_set_new(x, "status_label", json_string(kit_label(r, json_string_value(
									    json_object_get(x, "status")))));
		json_object_set_new(x, "shown", json_boolean(n == json_integer_value(json_object_get(rv, "revision"))));
	}
	bool is_latest = json_integer_value(json_object_get(rv, "revision")) == latest;
	json_object_set_new(m, "is_latest", json_boolean(is_latest));
	json_object_set_new(m, "editable", json_boolean(editable && is_latest && can_manage));
	json_object_set_new(m, "can_start_next",
			    json_boolean(can_manage && is_latest && st && !strcmp(st, "published")));
	json_object_set_new(m, "in_review", json_boolean(st && !strcmp(st, "in_review")));
	json_object_set_new(m, "status_label", json_string(kit_label(r, st)));
	/* signed off by me already? */
	bool signed_by_me = false;
	json_array_foreach(json_object_get(rv, "signoffs"), i, x) {
		const char *who = json_string_value(json_object_get(x, "reviewer"));
		if (who && r->who.email && !strcmp(who, r->who.email))
			signed_by_me = true;
		static const char *const so[] = {"signed_at", NULL};
		kit_times(r, x, so);
	}
	json_object_set_new(m, "signed_by_me", json_boolean(signed_by_me));
	json_object_set_new(m, "signoffs_needed",
			    json_integer(json_integer_value(json_object_get(rv, "required_signoffs")) -
					 (json_int_t)json_array_size(json_object_get(rv, "signoffs"))));
	/* facts */
	json_t *facts = json_object_get(rv, "facts");
	json_t *times = json_object_get(facts, "times");
	static const struct {
		const char *key, *label;
	} tl[] = {{"occurred_at", "Occurred"},         {"detected_at", "Detected"},
		  {"aware_at", "Became aware"},        {"acknowledged_at", "Acknowledged"},
		  {"contained_at", "Contained"},       {"resolved_at", "Resolved"},
		  {"closed_at", "Closed"},             {"notified_at", "First notification"}};
	json_t *tlist = json_array();
	for (size_t k = 0; k < sizeof(tl) / sizeof(tl[0]); k++)
		json_array_append_new(tlist, json_pack("{s:s, s:o}", "label", tl[k].label, "t",
						       kit_time_iso(r, json_object_get(times, tl[k].key))));
	json_object_set_new(m, "fact_times", tlist);
	json_t *meas = json_object_get(facts, "measures");
	static const struct {
		const char *key, *label;
	} ml[] = {{"time_to_detect_seconds", "Time to detect"},
		  {"time_to_acknowledge_seconds", "Time to acknowledge"},
		  {"time_to_contain_seconds", "Time to contain"},
		  {"time_to_resolve_seconds", "Time to resolve"},
		  {"time_to_notify_seconds", "Time to notify"},
		  {"duration_seconds", "Duration"}};
	json_t *mlist = json_array();
	for (size_t k = 0; k < sizeof(ml) / sizeof(ml[0]); k++) {
		json_t *s = json_object_get(meas, ml[k].key);
		char d[40] = "";
		if (json_is_integer(s))
			review_format_duration(json_integer_value(s), d, sizeof(d));
		json_array_append_new(mlist, json_pack("{s:s, s:s}", "label", ml[k].label, "value", d));
	}
	json_object_set_new(m, "fact_measures", mlist);
	/* missing sections as a set, for markers next to the fields */
	json_t *miss = json_object();
	json_array_foreach(json_object_get(rv, "missing_sections"), i, x)
		json_object_set_new(miss, field_key(r, json_string_value(x)), json_true());
	json_object_set_new(m, "missing", miss);
	/* the report */
	if (st && strcmp(st, "draft") != 0) {
		struct strbuf md;
		sb_init(&md, SB_DEFAULT_MAX);
		review_render_markdown(rv, &md);
		if (sb_status(&md) == 0) {
			char *html = cmark_markdown_to_html(sb_str(&md), md.len, CMARK_OPT_DEFAULT);
			json_t *h = html ? json_string(html) : NULL;
			free(html);
			if (h)
				json_object_set_new(m, "report_html", h);
		}
		sb_free(&md);
	}
	/* the edit form */
	json_t *form = v && v->form ? json_incref(v->form) : form_from(r, rv);
	json_t *chosen = v && v->form ? json_object_get(v->form, "actions_chosen") : NULL;
	json_object_set_new(m, "actions", action_choices(r, rv, chosen));
	json_object_set_new(m, "form", form);
	json_object_set_new(m, "errors", v && v->errors ? json_incref(v->errors) : json_object());
	json_object_set_new(m, "methods", labelled(r, review_methods));
	json_object_set_new(m, "categories", labelled(r, review_root_cause_categories));
	json_object_set_new(m, "functional", labelled(r, review_impact_functional));
	json_object_set_new(m, "information", labelled(r, review_impact_information));
	json_object_set_new(m, "recoverability", labelled(r, review_impact_recoverability));
	json_object_set_new(m, "action_form", v && v->action_form ? json_incref(v->action_form)
								    : json_object());
	json_object_set_new(m, "action_errors",
			    v && v->action_errors ? json_incref(v->action_errors) : json_object());
	json_array_foreach(json_object_get(rv, "action_items"), i, x)
		json_object_set_new(x, "status_label", json_string(kit_label(r, json_string_value(
									    json_object_get(x, "status")))));
	static const char *const rvt[] = {"created_at", "updated_at", "submitted_at",
					  "published_at", "superseded_at", NULL};
	kit_times(r, rv, rvt);
	json_object_del(rv, "candidates");
	json_object_set_new(m, "review", rv);
	json_object_set_new(m, "revisions", revs ? json_incref(json_object_get(revs, "items"))
						 : json_array());
	json_decref(revs);
	return web_render(r, status, tmpl_review_page, m);
}

static int h_get(struct req *r)
{
	return render(r, 200, NULL);
}

static const char *self_url(struct req *r)
{
	struct strbuf sb;
	sb_init(&sb, 512);
	sb_puts(&sb, "/incidents/");
	const char *k = req_param(r, "key");
	escape_url_path(&sb, k, strlen(k));
	sb_puts(&sb, "/review");
	const char *s = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "/incidents");
	sb_free(&sb);
	return s;
}

static int run(struct req *r, struct rv_job *j, const char *ok)
{
	j->org_id = r->who.org_id;
	j->ref = req_param(r, "key");
	j->ac = req_audit_ctx(r);
	j->now = time_now();
	j->who.email = r->who.email ? r->who.email : "";
	j->who.name = kit_who(r);
	int rc = store_tx(r->app->store, rv_tx, j);
	json_decref(j->out);
	j->out = NULL;
	if (rc == SIRT_ENOTFOUND && !j->res.why[0]) {
		op_free(&j->res);
		return resp_problem(r, 404, NULL, "no such incident or review", NULL);
	}
	if (rc < 0 && rc != SIRT_EINVAL && rc != SIRT_ECONFLICT && rc != SIRT_EPRECOND &&
	    rc != SIRT_EPERM && rc != SIRT_ENOTFOUND) {
		op_free(&j->res);
		return resp_error(r, rc, "changing the review");
	}
	if (rc < 0) {
		const char *why = why_of(r, rc, &j->res);
		op_free(&j->res);
		return kit_done(r, "error", why, self_url(r));
	}
	op_free(&j->res);
	return kit_done(r, "ok", ok, self_url(r));
}

static int h_start(struct req *r)
{
	struct rv_job j = {.op = OP_CREATE};
	return run(r, &j, "The review is started: fill in each section, then submit it.");
}

static int h_submit(struct req *r)
{
	struct rv_job j = {.op = OP_SUBMIT};
	return run(r, &j, "Submitted for review: reviewers can now sign it off.");
}

static int h_publish(struct req *r)
{
	struct rv_job j = {.op = OP_PUBLISH};
	return run(r, &j, "Published: this revision of the report is now fixed.");
}

static int h_signoff(struct req *r)
{
	const char *c = kit_field(r, "comment");
	if (c && strlen(c) > 2000)
		return kit_done(r, "error", "A sign-off comment is at most 2000 characters.",
				self_url(r));
	struct rv_job j = {.op = OP_SIGNOFF, .comment = c ? c : ""};
	return run(r, &j, "Signed off.");
}

/* ---- saving the draft ---- */

static json_t *list_of(const char *s, bool commas)
{
	json_t *a = json_array();
	while (s && *s) {
		size_t n = strcspn(s, commas ? ",\n" : "\n");
		const char *b = s, *e = s + n;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > b) {
			json_t *v = json_stringn(b, (size_t)(e - b));
			if (v)
				json_array_append_new(a, v);
		}
		s += n;
		if (*s)
			s++;
	}
	return a;
}

static json_t *text_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static int h_edit(struct req *r)
{
	json_t *form = json_object(), *errors = json_object();
	json_t *patch = json_object();
	/* form values, kept as typed */
	static const char *const names[] = {
		"summary", "went_well", "went_badly", "root_cause_method", "root_cause_root_cause",
		"root_cause_contributing_factors", "root_cause_category", "impact_people_affected",
		"impact_customers_affected", "impact_records_affected", "impact_duration_minutes",
		"impact_downtime_minutes", "impact_estimated_cost", "impact_currency",
		"impact_data_types", "impact_systems", "impact_regulatory", "impact_contractual",
		"impact_notes", "impact_functional", "impact_information", "impact_recoverability",
		"recommendations", "actions_new", "version", NULL};
	for (const char *const *k = names; *k; k++) {
		const char *v = kit_text(r, *k);
		json_object_set_new(form, *k, json_string(v ? v : ""));
	}
#define F(name) json_string_value(json_object_get(form, name))
	for (const char *const *k = text_fields; *k; k++)
		json_object_set_new(patch, *k, json_string(F(*k)));
	json_t *rc = json_object();
	json_object_set_new(rc, "method", text_or_null(F("root_cause_method")));
	json_object_set_new(rc, "root_cause", text_or_null(F("root_cause_root_cause")));
	json_object_set_new(rc, "category", text_or_null(F("root_cause_category")));
	json_object_set_new(rc, "contributing_factors",
			    list_of(F("root_cause_contributing_factors"), false));
	json_object_set_new(patch, "root_cause", rc);
	json_t *im = json_object();
	char key[64];
	for (const char *const *k = impact_ints; *k; k++) {
		snprintf(key, sizeof(key), "impact_%s", *k);
		const char *s = F(key);
		while (*s == ' ')
			s++;
		if (!*s) {
			json_object_set_new(im, *k, json_null());
			continue;
		}
		char *end;
		long long n = strtoll(s, &end, 10);
		while (*end == ' ')
			end++;
		if (*end || n < 0)
			json_object_set_new(errors, key, json_string("Enter a whole number, 0 or more."));
		else
			json_object_set_new(im, *k, json_integer(n));
	}
	static const char *const enums[] = {"functional", "information", "recoverability", NULL};
	for (const char *const *k = enums; *k; k++) {
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(im, *k, text_or_null(F(key)));
	}
	for (const char *const *k = impact_texts; *k; k++) {
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(im, *k, text_or_null(F(key)));
	}
	for (const char *const *k = impact_lists; *k; k++) {
		snprintf(key, sizeof(key), "impact_%s", *k);
		json_object_set_new(im, *k, list_of(F(key), true));
	}
	json_object_set_new(patch, "impact", im);
	json_object_set_new(patch, "recommendations", list_of(F("recommendations"), false));
	char *end;
	int64_t version = strtoll(F("version"), &end, 10);
	/* actions taken: ticked candidates and kept entries, then new lines */
	json_t *chosen = kit_field_all(r, "act");
	json_object_set(form, "actions_chosen", chosen);
	struct db *db = store_reader(r->app->store);
	json_t *rv = NULL;
	int st = db ? review_get(db, r->who.org_id, req_param(r, "key"), 0, time_now(), &rv)
		    : SIRT_EUNAVAIL;
	if (st < 0) {
		json_decref(form);
		json_decref(errors);
		json_decref(patch);
		json_decref(chosen);
		if (st == SIRT_ENOTFOUND)
			return resp_problem(r, 404, NULL, "no such incident or review", NULL);
		return resp_error(r, st, "reading the review");
	}
	json_t *taken = json_array();
	json_t *cands = json_object_get(rv, "candidates");
	json_t *old = json_object_get(rv, "actions_taken");
	size_t i, k2;
	json_t *x, *c;
	json_array_foreach(chosen, i, x) {
		const char *val = json_string_value(x);
		if (!strncmp(val, "keep:", 5)) {
			long idx = strtol(val + 5, &end, 10);
			json_t *e = *end ? NULL : json_array_get(old, (size_t)idx);
			if (e)
				json_array_append(taken, e);
			continue;
		}
		json_array_foreach(cands, k2, c) {
			const char *s = json_string_value(json_object_get(c, "source"));
			if (s && !strcmp(s, val)) {
				json_array_append(taken, c);
				break;
			}
		}
	}
	json_t *added = list_of(F("actions_new"), false);
	json_array_foreach(added, i, x)
		json_array_append_new(taken, json_pack("{s:n, s:s, s:O, s:s}", "at", "actor",
						       r->who.email ? r->who.email : "", "text", x,
						       "source", "manual"));
	json_decref(added);
	json_decref(chosen);
	json_object_set_new(patch, "actions_taken", taken);
#undef F
	json_t *cerr = NULL;
	if (review_content_check(patch, &cerr) < 0) {
		json_array_foreach(cerr, i, x) {
			const char *k = field_key(r, json_string_value(json_object_get(x, "field")));
			if (!json_object_get(errors, k))
				json_object_set_new(errors, k, json_string(msg_of(x)));
		}
		json_decref(cerr);
	}
	if (json_object_size(errors)) {
		struct rv_view v = {.form = form, .errors = errors,
				    .error = "Some sections need correcting: see the messages below."};
		int rc2 = render(r, 422, &v);
		json_decref(rv);
		json_decref(form);
		json_decref(errors);
		json_decref(patch);
		return rc2;
	}
	json_decref(rv);
	struct rv_job j = {.op = OP_UPDATE, .content = patch, .version = version > 0 ? version : 0,
			   .org_id = r->who.org_id, .ref = req_param(r, "key"),
			   .ac = req_audit_ctx(r), .now = time_now()};
	j.who.email = r->who.email ? r->who.email : "";
	j.who.name = kit_who(r);
	int rc3 = store_tx(r->app->store, rv_tx, &j);
	json_decref(j.out);
	json_decref(patch);
	if (rc3 == SIRT_EINVAL || rc3 == SIRT_ECONFLICT || rc3 == SIRT_EPRECOND) {
		json_array_foreach(j.res.errors, i, x)
			json_object_set_new(errors,
					    field_key(r, json_string_value(json_object_get(x, "field"))),
					    json_string(msg_of(x)));
		const char *why = rc3 == SIRT_EPRECOND
					  ? "Someone else saved this review meanwhile: your text is kept"
					    " below; reload the page to see theirs before saving again."
					  : why_of(r, rc3, &j.res);
		op_free(&j.res);
		struct rv_view v = {.form = form, .errors = errors, .error = why};
		int rc2 = render(r, rc3 == SIRT_EINVAL ? 422 : 409, &v);
		json_decref(form);
		json_decref(errors);
		return rc2;
	}
	op_free(&j.res);
	json_decref(form);
	json_decref(errors);
	if (rc3 == SIRT_ENOTFOUND)
		return resp_problem(r, 404, NULL, "no such incident or review", NULL);
	if (rc3 < 0)
		return resp_error(r, rc3, "saving the review");
	return kit_done(r, "ok", "Draft saved.", self_url(r));
}

/* ---- action items ---- */

static int h_action(struct req *r)
{
	const char *title = kit_field(r, "title");
	const char *owner = kit_field(r, "owner");
	const char *due = kit_field(r, "due_date");
	json_t *form = json_pack("{s:s, s:s, s:s}", "title", title ? title : "", "owner",
				 owner ? owner : "", "due_date", due ? due : "");
	json_t *errors = json_object();
	if (!title || strlen(title) > 300)
		json_object_set_new(errors, "title", json_string("Say what must be done (at most 300 characters)."));
	if (!owner || strlen(owner) > 254)
		json_object_set_new(errors, "owner", json_string("Name an owner: a user's e-mail or a team member's name."));
	int64_t d = 0;
	if (!due || strlen(due) != 10 || time_parse_date(due, &d) < 0)
		json_object_set_new(errors, "due_date", json_string("Give a due date (YYYY-MM-DD)."));
	if (!json_object_size(errors)) {
		struct rv_job j = {.op = OP_ACTION, .org_id = r->who.org_id, .ac = req_audit_ctx(r),
				   .now = time_now()};
		j.action.org_id = r->who.org_id;
		j.action.source_type = "review";
		j.action.source_ref = req_param(r, "key");
		j.action.title = title;
		j.action.owner = owner;
		j.action.due_date = d;
		j.action.created_by = r->who.email;
		int rc = store_tx(r->app->store, rv_tx, &j);
		json_decref(j.out);
		if (rc == 0) {
			op_free(&j.res);
			json_decref(form);
			json_decref(errors);
			return kit_done(r, "ok", "Action item added.",
					arena_printf(&r->arena, "%s#actions", self_url(r)));
		}
		if (rc != SIRT_EINVAL && rc != SIRT_ENOTFOUND && rc != SIRT_ECONFLICT) {
			op_free(&j.res);
			json_decref(form);
			json_decref(errors);
			return resp_error(r, rc, "adding the action item");
		}
		size_t i;
		json_t *x;
		json_array_foreach(j.res.errors, i, x)
			json_object_set_new(errors, field_key(r, json_string_value(json_object_get(x, "field"))),
					    json_string(msg_of(x)));
		if (!json_object_size(errors))
			json_object_set_new(errors, "title", json_string(why_of(r, rc, &j.res)));
		op_free(&j.res);
	}
	struct rv_view v = {.action_form = form, .action_errors = errors};
	int rc = render(r, 422, &v);
	json_decref(form);
	json_decref(errors);
	return rc;
}

const struct route web_review_routes[] = {
	{"GET", "/incidents/{key}/review", PERM_READ, BODY_NONE, 0, h_get, NULL,
	 "The incident's post-incident review (?revision=N)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review", PERM_MANAGE, BODY_FORM, 4096, h_start, NULL,
	 "Start the review or its next revision (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review/edit", PERM_MANAGE, BODY_FORM, 1 << 20, h_edit, NULL,
	 "Save the draft's sections (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review/submit", PERM_MANAGE, BODY_FORM, 4096, h_submit, NULL,
	 "Submit the draft for sign-off (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review/signoff", PERM_MANAGE, BODY_FORM, 8192, h_signoff, NULL,
	 "Sign off the revision in review (form: comment)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review/publish", PERM_MANAGE, BODY_FORM, 4096, h_publish, NULL,
	 "Publish the revision in review (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/review/actions", PERM_MANAGE, BODY_FORM, 16384, h_action, NULL,
	 "Add an action item from the review (form: title, owner, due_date)", "web", NULL,
	 ROUTE_HTML},
};
ROUTES_COUNT(web_review);
