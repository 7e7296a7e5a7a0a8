/*
 * The incident pages: the log (GET /incidents), the new-incident form, the
 * incident page with its forms (transitions, timeline, tasks, indicators),
 * the edit form and the indicator look-up.
 *
 * Handlers call the incident store directly (reads on store_reader(),
 * writes in store_tx jobs, as src/api/incidents.c does). Every POST either
 * redirects (303) to the incident page with a flash message, or renders the
 * page again with the errors next to the fields and the input kept (422;
 * 412 when the incident changed since the form was loaded).
 */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "core/category.h"
#include "core/indicator.h"
#include "core/lifecycle.h"
#include "http/routes.h"
#include "store/incident_store.h"
#include "store/store.h"
#include "templates.h"
#include "util/timeutil.h"
#include "web/escape.h"
#include "web/pages.h"
#include "web/pages_parts.h"
#include "web/web.h"

#define LIST_LIMIT 50
#define TIMELINE_PAGE 200
#define DESC_MAX_HTML (256 * 1024)

static const char *const severities[] = {"critical", "high", "medium", "low", NULL};
static const char *const statuses[] = {"new", "triage", "containment", "eradication", "recovery",
				       "resolved", "closed", "rejected", NULL};
static const char *const phases[] = {"new", "triage", "containment", "eradication", "recovery",
				     "resolved", "closed", NULL};
/* the log's default order is by detection: the date and time it shows */
static const char *const sorts[] = {"detected_at", "created_at", "resolved_at", "updated_at", NULL};
static const char *const sort_labels[] = {"Date detected", "Date reported", "Date resolved",
					  "Last updated", NULL};
static const char *const sort_captions[] = {"date detected", "date reported", "date resolved",
					    "last update", NULL};

static int show_incident(struct req *r, const char *ref, json_t *state, int status);
static const char *inc_path(struct req *r, const char *key, const char *suffix);
static json_t *record_view(struct req *r, const struct tz *z, json_t *rec);

/* ------------------------------------------------------------ helpers */

static const char *inc_path(struct req *r, const char *key, const char *suffix)
{
	struct strbuf sb;
	sb_init(&sb, 4096);
	sb_puts(&sb, "/incidents/");
	escape_url_path(&sb, key, strlen(key));
	sb_puts(&sb, suffix ? suffix : "");
	const char *p = arena_strdup(&r->arena, sb_status(&sb) == 0 ? sb_str(&sb) : "/incidents");
	sb_free(&sb);
	return p;
}

static void add_labels(struct req *r, json_t *o, const char *field, const char *kind)
{
	const char *v = json_string_value(json_object_get(o, field));
	char name[64];
	snprintf(name, sizeof(name), "%s_label", field);
	json_object_set_new(o, name, json_string(pages_label(r, kind, v)));
}

static void add_time(const struct tz *z, json_t *o, const char *field)
{
	char name[64];
	snprintf(name, sizeof(name), "%s_t", field);
	json_object_set_new(o, name, pages_time_json(z, json_object_get(o, field)));
}

static void set_options(struct req *r, json_t *m)
{
	json_object_set_new(m, "severities", pages_options(r, NULL, severities));
	json_object_set_new(m, "statuses", pages_options(r, NULL, statuses));
	json_object_set_new(m, "categories", pages_options(r, NULL, incident_categories));
}

/* The user's zone name for headings ("Europe/Berlin", "UTC"). */
static void set_zone(struct req *r, json_t *m)
{
	json_object_set_new(m, "zone", json_string(tz_name(pages_zone(r))));
}

static int parse_id(const char *s, int64_t *out)
{
	if (!s || !*s || strlen(s) > 18)
		return SIRT_EINVAL;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return SIRT_EINVAL;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

/* Markdown (cmark, safe mode: raw HTML and unsafe links dropped) as HTML. */
static json_t *markdown(const char *s)
{
	if (!s || !*s)
		return json_null();
	char *html = cmark_markdown_to_html(s, strlen(s), CMARK_OPT_DEFAULT | CMARK_OPT_NOBREAKS);
	json_t *v = html && strlen(html) < DESC_MAX_HTML ? json_string(html) : NULL;
	free(html);
	return v ? v : json_null();
}

/* ------------------------------------------------------------ the log */

struct list_params {
	const char *name;
	bool end_of_day;
	int64_t *target;
};

static int h_list(struct req *r)
{
	const struct tz *z = pages_zone(r);
	json_t *m = web_base_model(r, "incidents", "Incidents");
	pages_flash_take(r, m);
	set_options(r, m);
	set_zone(r, m);
	json_t *sort_opts = json_array();
	for (int i = 0; sorts[i]; i++)
		json_array_append_new(sort_opts, json_pack("{s:s, s:s}", "value", sorts[i], "label",
							   sort_labels[i]));
	json_object_set_new(m, "sorts", sort_opts);

	struct incident_filter f = {.limit = LIST_LIMIT};
	json_t *filters = json_object(), *export = json_object();
	static const char *const names[] = {"q", "status", "severity", "category", "assignee",
					    "tag", "personal_data", "detected_from", "detected_to",
					    "created_from", "created_to", "resolved_from",
					    "resolved_to", "sort", "order", NULL};
	for (int i = 0; names[i]; i++) {
		const char *v = req_query(r, names[i]);
		json_object_set_new(filters, names[i], json_string(v && json_string(v) ? v : ""));
	}
	const char *err = NULL;
#define Q(n) (json_string_length(json_object_get(filters, n)) ? json_string_value(json_object_get(filters, n)) : NULL)
	f.q = Q("q");
	f.status = Q("status");
	f.severity = Q("severity");
	f.category = Q("category");
	f.tag = Q("tag");
	f.assignee = Q("assignee");
	f.sort = Q("sort");
	f.cursor = req_query(r, "cursor");
	if (f.cursor && !*f.cursor)
		f.cursor = NULL;
	const char *order = Q("order"), *pd = Q("personal_data");
	if (f.status && !enum_contains(statuses, f.status))
		err = "Choose a status from the list.";
	else if (f.severity && !enum_contains(severities, f.severity))
		err = "Choose a severity from the list.";
	else if (f.category && !enum_contains(incident_categories, f.category))
		err = "Choose a category from the list.";
	else if (f.sort && !enum_contains(sorts, f.sort))
		err = "Choose a sort order from the list.";
	else if (order && strcmp(order, "asc") && strcmp(order, "desc"))
		err = "Order is newest or oldest first.";
	else if (pd && strcmp(pd, "true") && strcmp(pd, "false"))
		err = "Personal data is yes, no or any.";
	f.ascending = order && !strcmp(order, "asc");
	f.personal_data = !pd ? PD_ANY : !strcmp(pd, "true") ? PD_YES : PD_NO;
	struct list_params dates[] = {
		{"detected_from", false, &f.detected_from}, {"detected_to", true, &f.detected_to},
		{"created_from", false, &f.created_from},   {"created_to", true, &f.created_to},
		{"resolved_from", false, &f.resolved_from}, {"resolved_to", true, &f.resolved_to},
	};
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		const char *v = Q(dates[i].name);
		if (!v)
			continue;
		if (pages_parse_day(z, v, dates[i].end_of_day, dates[i].target) < 0) {
			err = err ? err : "Dates are written like 2026-03-04.";
			continue;
		}
		char iso[ISO8601_LEN];
		time_format_iso8601(*dates[i].target, iso);
		json_object_set_new(export, dates[i].name, json_string(iso));
	}
	/* the store compares e-mails and tags in lower case */
	char *lower[2] = {f.assignee ? arena_strdup(&r->arena, f.assignee) : NULL,
			  f.tag ? arena_strdup(&r->arena, f.tag) : NULL};
	for (int i = 0; i < 2; i++)
		for (char *p = lower[i]; p && *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	f.assignee = lower[0];
	f.tag = lower[1];
#undef Q
	/* a search lists in the order incidents were reported: the store walks
	 * the matches in that order and stops at a page (incident_search.c),
	 * where any other order must collect every match first */
	if (!f.sort)
		f.sort = f.q && *f.q ? "created_at" : sorts[0];
	char why[200];
	if (!err && incident_filter_check(&f, why, sizeof(why)) < 0)
		err = arena_strdup(&r->arena, why);
	/* the query again, for the pager and the export links (non-empty only:
	 * the API refuses an empty enumeration) */
	json_t *qs = json_array(), *eqs = json_array();
	bool advanced = false;
	const char *k;
	json_t *fv;
	json_object_foreach(filters, k, fv) {
		if (!json_string_length(fv))
			continue;
		json_array_append_new(qs, json_pack("{s:s, s:O}", "name", k, "value", fv));
		if (strcmp(k, "q") && strcmp(k, "status") && strcmp(k, "severity") &&
		    strcmp(k, "category"))
			advanced = true;
		if (!strcmp(k, "sort") || !strcmp(k, "order"))
			continue;
		json_t *ev = json_object_get(export, k);
		json_array_append_new(eqs, json_pack("{s:s, s:O}", "name", k, "value", ev ? ev : fv));
	}
	json_object_set_new(m, "qs", qs);
	json_object_set_new(m, "export_qs", eqs);
	json_object_set_new(m, "advanced", json_boolean(advanced));
	json_object_set_new(m, "filters", filters);
	json_decref(export);
	const char *sl = sort_captions[0];
	for (int i = 0; sorts[i]; i++)
		if (f.sort && !strcmp(sorts[i], f.sort))
			sl = sort_captions[i];

	json_object_set_new(m, "sort_label", json_string(sl));
	json_object_set_new(m, "ascending", json_boolean(f.ascending));
	if (f.cursor)
		json_object_set_new(m, "paged", json_true());
	if (err) {
		json_object_set_new(m, "error", json_string(err));
		json_object_set_new(m, "items", json_array());
		return web_render(r, 400, tmpl_incidents, m);
	}
	struct db *db = api_db(r);
	if (!db) {
		json_decref(m);
		return 0;
	}
	json_t *items;
	char *next = NULL;
	int rc = incident_list(db, r->who.org_id, &f, &items, &next);
	if (rc < 0) {
		json_decref(m);
		return api_store_error(r, db, rc, "listing incidents");
	}
	json_t *rows = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_t *when = json_object_get(it, "detected_at");
		if (!json_is_string(when))
			when = json_object_get(it, "created_at");
		const char *res = json_string_value(json_object_get(it, "resolution"));
		json_t *row = json_pack(
			"{s:O, s:O, s:s, s:O, s:s, s:O, s:s, s:s, s:o, s:O}", "key",
			json_object_get(it, "key"), "title", json_object_get(it, "title"), "excerpt",
			pages_excerpt(r, json_string_value(json_object_get(it, "description")), 160),
			"severity", json_object_get(it, "severity"), "severity_label",
			pages_label(r, NULL, json_string_value(json_object_get(it, "severity"))),
			"status", json_object_get(it, "status"), "status_label",
			pages_label(r, NULL, json_string_value(json_object_get(it, "status"))),
			"resolution_label", pages_label(r, NULL, res), "when", pages_time_json(z, when),
			"personal_data", json_object_get(it, "personal_data"));
		const char *sum = json_string_value(json_object_get(it, "resolution_summary"));
		if (sum)
			json_object_set_new(row, "resolution_summary",
					    json_string(pages_excerpt(r, sum, 120)));
		json_array_append_new(rows, row);
	}
	json_decref(items);
	json_object_set_new(m, "items", rows);
	if (next)
		json_object_set_new(m, "next_cursor", json_string(next));
	free(next);
	return web_render(r, 200, tmpl_incidents, m);
}

/* ------------------------------------------------------------ new incident */

struct create_job {
	struct incident_new in;
	struct audit_ctx ac;
	json_t *out;
};

static int create_tx(struct db *db, void *arg)
{
	struct create_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_create(db, &j->ac, &j->in, &j->out);
}

static json_t *new_model(struct req *r)
{
	json_t *m = web_base_model(r, "incidents", "New incident");
	set_options(r, m);
	set_zone(r, m);
	json_object_set_new(m, "tlps", pages_options(r, "tlp", tlp_levels));
	return m;
}

static int h_new_form(struct req *r)
{
	json_t *m = new_model(r);
	pages_flash_take(r, m);
	char now[24];
	pages_local_input(pages_zone(r), time_now(), now);
	json_object_set_new(m, "form", json_pack("{s:s, s:s}", "detected_at", now, "tlp", "amber"));
	return web_render(r, 200, tmpl_incident_new, m);
}

/* The form as typed, to fill it in again. */
static json_t *form_echo(struct req *r, const char *const *names)
{
	json_t *o = json_object();
	for (int i = 0; names[i]; i++) {
		const char *v = req_form(r, names[i]);
		json_t *s = v ? json_string(v) : NULL;
		if (s)
			json_object_set_new(o, names[i], s);
	}
	return o;
}

static const char *const new_fields[] = {"title", "severity", "category", "detected_at",
					 "occurred_at", "description", "personal_data", "tlp",
					 "tags", "commander", "affected_systems", NULL};

static int h_new_post(struct req *r)
{
	const struct tz *z = pages_zone(r);
	json_t *errors = json_object();
	struct create_job j = {.ac = req_audit_ctx(r)};
	j.in.org_id = r->who.org_id;
	j.in.created_by = r->who.email;
	j.in.title = pages_field(r, "title");
	j.in.severity = pages_field(r, "severity");
	j.in.category = pages_field(r, "category");
	j.in.description = pages_field(r, "description");
	j.in.tlp = pages_field(r, "tlp");
	j.in.commander = pages_field(r, "commander");
	j.in.personal_data = pages_field(r, "personal_data") != NULL;
	json_t *tags = pages_list(pages_field(r, "tags"));
	json_t *systems = pages_list(pages_field(r, "affected_systems"));
	j.in.tags = json_array_size(tags) ? tags : NULL;
	j.in.affected_systems = json_array_size(systems) ? systems : NULL;
	if (!j.in.title)
		json_object_set_new(errors, "title", json_string("Give the incident a title."));
	if (!j.in.severity)
		json_object_set_new(errors, "severity", json_string("Choose a severity."));
	static const char *const times[] = {"detected_at", "occurred_at"};
	int64_t *targets[] = {&j.in.detected_at, &j.in.occurred_at};
	for (int i = 0; i < 2; i++) {
		const char *v = pages_field(r, times[i]);
		if (v && pages_parse_local(z, v, targets[i]) < 0)
			json_object_set_new(errors, times[i],
					    json_string("Enter a date and time like 2026-03-04 14:30."));
	}
	int rc = 0;
	if (json_object_size(errors) == 0) {
		rc = store_tx(r->app->store, create_tx, &j);
		if (rc == SIRT_EINVAL && json_is_array(j.out)) {
			json_t *e = pages_errors(j.out);
			json_object_update(errors, e);
			json_decref(e);
		} else if (rc < 0) {
			json_decref(errors);
			json_decref(tags);
			json_decref(systems);
			json_decref(j.out);
			return resp_error(r, rc, "creating the incident");
		}
	}
	json_decref(tags);
	json_decref(systems);
	if (json_object_size(errors) == 0 && rc == 0) {
		json_decref(errors);
		const char *key = json_string_value(json_object_get(j.out, "key"));
		pages_flash_set(r, "ok", arena_printf(&r->arena, "%s opened.", key));
		const char *loc = inc_path(r, key, "");
		json_decref(j.out);
		return resp_redirect(r, loc);
	}
	json_decref(j.out);
	json_t *m = new_model(r);
	json_object_set_new(m, "form", form_echo(r, new_fields));
	/* an error on a field the form does not show goes above it */
	const char *k;
	json_t *v;
	json_object_foreach(errors, k, v) {
		if (!enum_contains(new_fields, k) && !json_object_get(m, "error"))
			json_object_set_new(m, "error", json_pack("s+++", k, ": ", json_string_value(v), ""));
	}
	json_object_set_new(m, "errors", errors);
	return web_render(r, 422, tmpl_incident_new, m);
}

/* ------------------------------------------------------------ incident page */

static json_t *record_view(struct req *r, const struct tz *z, json_t *rec)
{
	json_t *v = json_deep_copy(rec);
	static const char *const times[] = {"occurred_at", "detected_at", "aware_at",
					    "acknowledged_at", "contained_at", "resolved_at",
					    "closed_at", "created_at", "updated_at", NULL};
	for (int i = 0; times[i]; i++)
		add_time(z, v, times[i]);
	static const char *const enums[] = {"severity", "status", "category", "attack_vector",
					    "veris_action", "resolution", "root_cause_category",
					    "impact_functional", "impact_information",
					    "impact_recoverability", "reject_reason", "source", NULL};
	for (int i = 0; enums[i]; i++)
		add_labels(r, v, enums[i], NULL);
	add_labels(r, v, "tlp", "tlp");
	json_object_set_new(v, "description_html",
			    markdown(json_string_value(json_object_get(rec, "description"))));
	json_object_set_new(v, "is_open",
			    json_boolean(lifecycle_status_is_open(
				    json_string_value(json_object_get(rec, "status")))));
	return v;
}

/* The statuses this incident may move to, with the form each needs. */
static json_t *transitions_view(struct req *r, json_t *rec, json_t *state)
{
	const char *cur = json_string_value(json_object_get(rec, "status"));
	json_t *a = json_array();
	json_t *st = json_object_get(state, "transition");
	const char *err_to = json_string_value(json_object_get(st, "to"));
	bool primary = false; /* the first step forward is the suggested one */
	for (int i = 0; statuses[i]; i++) {
		const char *to = statuses[i];
		if (!lifecycle_can_transition(cur, to))
			continue;
		const char *kind = "plain", *label;
		const char *tl = pages_label(r, NULL, to);
		if (!strcmp(to, "rejected")) {
			kind = "reject";
			label = "Reject";
		} else if (!strcmp(to, "closed")) {
			kind = "close";
			label = "Close";
		} else if (lifecycle_is_reopen(cur, to)) {
			kind = "reason";
			label = arena_printf(&r->arena, "Reopen in %s", tl);
		} else if (lifecycle_is_step_back(cur, to)) {
			kind = "reason";
			label = arena_printf(&r->arena, "Back to %s", tl);
		} else if (!strcmp(to, "resolved")) {
			label = "Mark resolved";
		} else {
			label = arena_printf(&r->arena, "Move to %s", tl);
		}
		json_t *t = json_pack("{s:s, s:s, s:s, s:s}", "to", to, "kind", kind, "label", label,
				      "status_label", tl);
		json_object_set_new(t, "primary", json_boolean(!primary && !strcmp(kind, "plain")));
		primary = primary || !strcmp(kind, "plain");
		if (err_to && !strcmp(err_to, to)) {
			json_object_set_new(t, "open", json_true());
			json_object_set(t, "errors", json_object_get(st, "errors"));
			json_object_set(t, "form", json_object_get(st, "form"));
			if (json_object_get(st, "error"))
				json_object_set(t, "error", json_object_get(st, "error"));
		} else if (!strcmp(kind, "close")) {
			/* closing needs the resolution and root cause: start from the record */
			json_object_set_new(
				t, "form",
				json_pack("{s:O, s:O, s:O}", "resolution",
					  json_object_get(rec, "resolution"), "root_cause_category",
					  json_object_get(rec, "root_cause_category"),
					  "resolution_summary", json_object_get(rec, "resolution_summary")));
		}
		json_array_append_new(a, t);
	}
	return a;
}

static json_t *phases_view(struct req *r, const char *cur)
{
	json_t *a = json_array();
	int ci = -1;
	for (int i = 0; phases[i]; i++)
		if (!strcmp(phases[i], cur))
			ci = i;
	for (int i = 0; phases[i]; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:b}", "value", phases[i], "label",
						   pages_label(r, NULL, phases[i]), "done",
						   ci >= 0 && i < ci, "current", i == ci));
	return a;
}

static int show_incident(struct req *r, const char *ref, json_t *state, int status)
{
	const struct tz *z = pages_zone(r);
	struct db *db = api_db(r);
	if (!db) {
		json_decref(state);
		return 0;
	}
	json_t *rec = NULL, *timeline = NULL, *tasks = NULL, *indicators = NULL;
	int rc = incident_get(db, r->who.org_id, ref, &rec);
	if (rc == SIRT_ENOTFOUND) {
		json_decref(state);
		return resp_problem(r, 404, "No such incident",
				    "There is no incident with this key in your organisation.", NULL);
	}
	if (rc < 0) {
		json_decref(state);
		return api_store_error(r, db, rc, "reading the incident");
	}
	const char *key = json_string_value(json_object_get(rec, "key"));
	int64_t after = 0, next_after = 0;
	const char *qa = req_query(r, "after");
	if (qa && parse_id(qa, &after) < 0)
		after = 0;
	rc = incident_timeline_list(db, r->who.org_id, key, after, TIMELINE_PAGE, &timeline,
				    &next_after);
	if (rc == 0)
		rc = incident_task_list(db, r->who.org_id, key, &tasks);
	if (rc == 0)
		rc = incident_indicator_list(db, r->who.org_id, key, &indicators);
	if (rc < 0) {
		json_decref(rec);
		json_decref(timeline);
		json_decref(tasks);
		json_decref(state);
		return api_store_error(r, db, rc, "reading the incident");
	}
	const char *title = json_string_value(json_object_get(rec, "title"));
	json_t *m = web_base_model(r, "incidents", arena_printf(&r->arena, "%s %s", key, title));
	pages_flash_take(r, m);
	set_zone(r, m);
	if (!state)
		state = json_object();
	if (json_object_get(state, "flash"))
		json_object_set(m, "flash", json_object_get(state, "flash"));
	json_t *inc = record_view(r, z, rec);
	json_object_set_new(m, "inc", inc);
	json_object_set_new(m, "phases",
			    phases_view(r, json_string_value(json_object_get(rec, "status"))));
	json_t *trs = transitions_view(r, rec, state);
	json_t *st_tr = json_object_get(state, "transition");
	bool shown = false;
	size_t ti;
	json_t *te;
	json_array_foreach(trs, ti, te)
		shown = shown || json_is_true(json_object_get(te, "open"));
	if (st_tr && !shown) {
		/* the status moved on, or the step is not allowed: say why on top */
		const char *why = json_string_value(json_object_get(st_tr, "error"));
		const char *kk;
		json_t *ev;
		json_object_foreach(json_object_get(st_tr, "errors"), kk, ev)
			if (!why)
				why = json_string_value(ev);
		json_object_set_new(m, "flash",
				    json_pack("{s:s, s:s+}", "kind", "error", "text",
					      "The status was not changed: ", why ? why : "not allowed"));
	}
	json_object_set_new(m, "transitions", trs);
	json_object_set_new(m, "resolutions", pages_options(r, NULL, incident_resolutions));
	json_object_set_new(m, "root_causes", pages_options(r, NULL, root_cause_categories));
	json_object_set_new(m, "reject_reasons", pages_options(r, NULL, reject_reasons));
	json_object_set_new(m, "timeline_kinds", pages_options(r, NULL, timeline_kinds));
	json_object_set_new(m, "task_statuses", pages_options(r, NULL, task_statuses));
	json_object_set_new(m, "indicator_types", pages_options(r, NULL, indicator_types));

	size_t i;
	json_t *e;
	json_array_foreach(timeline, i, e) {
		add_time(z, e, "occurred_at");
		add_time(z, e, "recorded_at");
		add_labels(r, e, "kind", NULL);
	}
	json_object_set_new(m, "timeline", timeline);
	if (next_after)
		json_object_set_new(m, "timeline_next", json_integer(next_after));
	if (after)
		json_object_set_new(m, "timeline_paged", json_true());
	int open_tasks = 0;
	json_t *st_task = json_object_get(state, "task");
	json_array_foreach(tasks, i, e) {
		add_time(z, e, "due_at");
		add_labels(r, e, "status", NULL);
		add_labels(r, e, "source", NULL);
		const char *s = json_string_value(json_object_get(e, "status"));
		if (!task_status_is_finished(s))
			open_tasks++;
		if (st_task && json_integer_value(json_object_get(st_task, "id")) ==
				       json_integer_value(json_object_get(e, "id")))
			json_object_set(e, "error", json_object_get(st_task, "error"));
	}
	json_object_set_new(m, "tasks", tasks);
	json_object_set_new(m, "open_tasks", json_integer(open_tasks));
	json_array_foreach(indicators, i, e) {
		add_time(z, e, "first_seen");
		add_time(z, e, "last_seen");
		add_labels(r, e, "type", NULL);
		add_labels(r, e, "tlp", "tlp");
	}
	json_object_set_new(m, "indicators", indicators);
	static const char *const parts[] = {"timeline_form", "task_form", "indicator_form", NULL};
	for (int k = 0; parts[k]; k++)
		if (json_object_get(state, parts[k]))
			json_object_set(m, parts[k], json_object_get(state, parts[k]));
	if (json_object_get(state, "stale"))
		json_object_set_new(m, "stale", json_true());
	/* evidence, deadlines, communications, review (pages_evidence.c) */
	pages_incident_parts(r, db, z, rec, state, m);
	json_decref(state);
	json_decref(rec);
	return web_render(r, status, tmpl_incident, m);
}

int pages_incident_show(struct req *r, const char *ref, json_t *state, int status)
{
	return show_incident(r, ref, state, status);
}

static int h_show(struct req *r)
{
	return show_incident(r, req_param(r, "key"), NULL, 200);
}

/* After a failed POST: the page again, with `part` holding {form, errors}. */
static int show_with(struct req *r, const char *part, json_t *form, json_t *errors, int status)
{
	json_t *state = json_object();
	json_t *p = json_object();
	json_object_set_new(p, "form", form ? form : json_object());
	json_object_set_new(p, "errors", errors ? errors : json_object());
	json_object_set_new(state, part, p);
	return show_incident(r, req_param(r, "key"), state, status);
}

static int show_stale(struct req *r)
{
	json_t *state = json_pack(
		"{s:b, s:{s:s, s:s}}", "stale", true, "flash", "kind", "error", "text",
		"Someone else changed this incident since you opened it; here is the current"
		" version. Nothing was changed: check it and try again.");
	return show_incident(r, req_param(r, "key"), state, 412);
}

static int done(struct req *r, const char *key, const char *anchor, const char *text)
{
	pages_flash_set(r, "ok", text);
	return resp_redirect(r, inc_path(r, key, anchor));
}

/* ---- transitions ---- */

struct transition_job {
	int64_t org_id;
	const char *ref;
	int64_t version;
	struct incident_transition_req t;
	struct audit_ctx ac;
	json_t *out;
};

static int transition_tx(struct db *db, void *arg)
{
	struct transition_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_transition(db, &j->ac, j->org_id, j->ref, j->version, &j->t, &j->out);
}

static int h_transition(struct req *r)
{
	struct transition_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
				   .ac = req_audit_ctx(r)};
	const char *ver = pages_field(r, "version");
	if (ver && parse_id(ver, &j.version) < 0)
		j.version = 0;
	j.t.to = pages_field(r, "to");
	if (!j.t.to || !enum_contains(statuses, j.t.to))
		return resp_problem(r, 400, "Unknown status", "Choose one of the buttons on the page.",
				    NULL);
	j.t.reason = pages_field(r, "reason");
	j.t.reject_reason = pages_field(r, "reject_reason");
	j.t.duplicate_of = pages_field(r, "duplicate_of");
	j.t.resolution = pages_field(r, "resolution");
	j.t.resolution_summary = pages_field(r, "resolution_summary");
	j.t.root_cause_category = pages_field(r, "root_cause_category");
	int rc = store_tx(r->app->store, transition_tx, &j);
	if (rc == 0) {
		const char *key = json_string_value(json_object_get(j.out, "key"));
		const char *text = arena_printf(&r->arena, "%s is now %s.", key,
						pages_label(r, NULL, j.t.to));
		key = arena_strdup(&r->arena, key);
		json_decref(j.out);
		return done(r, key, "#lifecycle", text);
	}
	json_t *out = j.out;
	if (rc == SIRT_ENOTFOUND) {
		json_decref(out);
		return resp_problem(r, 404, "No such incident",
				    "There is no incident with this key in your organisation.", NULL);
	}
	if (rc == SIRT_EPRECOND) {
		json_decref(out);
		return show_stale(r);
	}
	if ((rc == SIRT_EINVAL || rc == SIRT_ECONFLICT) && json_is_array(out)) {
		json_t *state = json_object();
		json_t *errs = pages_errors(out);
		json_t *t = json_pack("{s:s, s:o, s:o}", "to", j.t.to, "errors", errs, "form",
				      form_echo(r, (const char *const[]){"reason", "reject_reason",
									 "duplicate_of", "resolution",
									 "resolution_summary",
									 "root_cause_category", NULL}));
		/* errors on fields the small form does not have are shown above it */
		if (json_object_get(errs, "to"))
			json_object_set(t, "error", json_object_get(errs, "to"));
		else if (json_object_get(errs, "status"))
			json_object_set(t, "error", json_object_get(errs, "status"));
		json_object_set_new(state, "transition", t);
		json_decref(out);
		return show_incident(r, req_param(r, "key"), state, rc == SIRT_ECONFLICT ? 409 : 422);
	}
	json_decref(out);
	return resp_error(r, rc, "changing the status");
}

/* ---- timeline ---- */

struct timeline_job {
	int64_t org_id;
	const char *ref;
	struct timeline_new t;
	struct audit_ctx ac;
	json_t *out;
};

static int timeline_tx(struct db *db, void *arg)
{
	struct timeline_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_timeline_add(db, &j->ac, j->org_id, j->ref, &j->t, &j->out);
}

static const char *const timeline_fields[] = {"kind", "text", "occurred_at", NULL};

static int h_timeline(struct req *r)
{
	struct timeline_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
				 .ac = req_audit_ctx(r)};
	j.t.kind = pages_field(r, "kind");
	j.t.text = pages_field(r, "text");
	const char *occ = pages_field(r, "occurred_at");
	json_t *errors = json_object();
	if (!j.t.kind)
		j.t.kind = "note";
	if (!j.t.text)
		json_object_set_new(errors, "text", json_string("Write what happened."));
	if (occ && pages_parse_local(pages_zone(r), occ, &j.t.occurred_at) < 0)
		json_object_set_new(errors, "occurred_at",
				    json_string("Enter a date and time like 2026-03-04 14:30."));
	if (json_object_size(errors))
		return show_with(r, "timeline_form", form_echo(r, timeline_fields), errors, 422);
	int rc = store_tx(r->app->store, timeline_tx, &j);
	if (rc == 0) {
		json_decref(j.out);
		json_decref(errors);
		struct incident_ref ir;
		struct db *db = api_db(r);
		const char *key = db && incident_lookup(db, r->who.org_id, j.ref, &ir) == 0
					  ? arena_strdup(&r->arena, ir.key) : j.ref;
		return done(r, key, "#timeline", "Timeline entry added.");
	}
	if (rc == SIRT_EINVAL && json_is_array(j.out)) {
		json_decref(errors);
		errors = pages_errors(j.out);
		json_decref(j.out);
		return show_with(r, "timeline_form", form_echo(r, timeline_fields), errors, 422);
	}
	json_decref(j.out);
	json_decref(errors);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such incident", NULL, NULL);
	return resp_error(r, rc, "adding the timeline entry");
}

/* ---- tasks ---- */

struct task_job {
	int64_t org_id;
	const char *ref;
	int64_t task_id;
	struct task_new t;
	json_t *patch;
	struct audit_ctx ac;
	json_t *out;
};

static int task_add_tx(struct db *db, void *arg)
{
	struct task_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_task_add(db, &j->ac, j->org_id, j->ref, &j->t, &j->out);
}

static int task_update_tx(struct db *db, void *arg)
{
	struct task_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_task_update(db, &j->ac, j->org_id, j->ref, j->task_id, j->patch, &j->out);
}

static const char *const task_fields[] = {"title", "assignee", "due_at", NULL};

static const char *key_of(struct req *r, const char *ref)
{
	struct incident_ref ir;
	struct db *db = api_db(r);
	return db && incident_lookup(db, r->who.org_id, ref, &ir) == 0
		       ? arena_strdup(&r->arena, ir.key) : ref;
}

static int h_task_add(struct req *r)
{
	struct task_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
			     .ac = req_audit_ctx(r)};
	j.t.title = pages_field(r, "title");
	j.t.assignee = pages_field(r, "assignee");
	const char *due = pages_field(r, "due_at");
	json_t *errors = json_object();
	if (!j.t.title)
		json_object_set_new(errors, "title", json_string("Say what needs doing."));
	if (due && pages_parse_local(pages_zone(r), due, &j.t.due_at) < 0)
		json_object_set_new(errors, "due_at",
				    json_string("Enter a date and time like 2026-03-04 14:30."));
	if (json_object_size(errors))
		return show_with(r, "task_form", form_echo(r, task_fields), errors, 422);
	json_decref(errors);
	int rc = store_tx(r->app->store, task_add_tx, &j);
	if (rc == 0) {
		json_decref(j.out);
		return done(r, key_of(r, j.ref), "#tasks", "Task added.");
	}
	if (rc == SIRT_EINVAL && json_is_array(j.out)) {
		errors = pages_errors(j.out);
		json_decref(j.out);
		return show_with(r, "task_form", form_echo(r, task_fields), errors, 422);
	}
	json_decref(j.out);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such incident", NULL, NULL);
	return resp_error(r, rc, "adding the task");
}

static int h_task_update(struct req *r)
{
	struct task_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
			     .ac = req_audit_ctx(r)};
	if (parse_id(req_param(r, "id"), &j.task_id) < 0)
		return resp_problem(r, 404, "No such task", NULL, NULL);
	const char *status = pages_field(r, "status");
	if (!status || !enum_contains(task_statuses, status))
		return resp_problem(r, 400, "Unknown task status", "Choose a status from the list.",
				    NULL);
	j.patch = json_pack("{s:s}", "status", status);
	int rc = store_tx(r->app->store, task_update_tx, &j);
	json_decref(j.patch);
	if (rc == 0) {
		const char *title = arena_strdup(&r->arena,
						 json_string_value(json_object_get(j.out, "title")));
		json_decref(j.out);
		return done(r, key_of(r, j.ref), "#tasks",
			    arena_printf(&r->arena, "Task \"%s\" is now %s.", title,
					 pages_label(r, NULL, status)));
	}
	if (rc == SIRT_EINVAL && json_is_array(j.out)) {
		json_t *errs = pages_errors(j.out);
		json_decref(j.out);
		json_t *state = json_pack("{s:{s:I, s:O}}", "task", "id", (json_int_t)j.task_id,
					  "error", json_object_get(errs, "status"));
		json_decref(errs);
		return show_incident(r, j.ref, state, 422);
	}
	json_decref(j.out);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such task", "There is no such task on this incident.",
				    NULL);
	return resp_error(r, rc, "updating the task");
}

/* ---- indicators ---- */

struct indicator_job {
	int64_t org_id;
	const char *ref;
	int64_t id;
	struct indicator_new in;
	struct audit_ctx ac;
	json_t *out;
	bool created;
};

static int indicator_add_tx(struct db *db, void *arg)
{
	struct indicator_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_indicator_add(db, &j->ac, j->org_id, j->ref, &j->in, &j->out, &j->created);
}

static int indicator_delete_tx(struct db *db, void *arg)
{
	struct indicator_job *j = arg;
	return incident_indicator_delete(db, &j->ac, j->org_id, j->ref, j->id);
}

static const char *const indicator_fields[] = {"type", "value", "description", NULL};

static int h_indicator_add(struct req *r)
{
	struct indicator_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
				  .ac = req_audit_ctx(r)};
	j.in.type = pages_field(r, "type");
	j.in.value = pages_field(r, "value");
	j.in.description = pages_field(r, "description");
	json_t *errors = json_object();
	if (!j.in.type)
		json_object_set_new(errors, "type", json_string("Choose the type of indicator."));
	if (!j.in.value)
		json_object_set_new(errors, "value", json_string("Enter the indicator."));
	if (json_object_size(errors))
		return show_with(r, "indicator_form", form_echo(r, indicator_fields), errors, 422);
	json_decref(errors);
	int rc = store_tx(r->app->store, indicator_add_tx, &j);
	if (rc == 0) {
		const char *v = arena_strdup(&r->arena,
					     json_string_value(json_object_get(j.out, "value")));
		json_decref(j.out);
		return done(r, key_of(r, j.ref), "#indicators",
			    j.created ? arena_printf(&r->arena, "Indicator %s added.", v)
				      : arena_printf(&r->arena,
						     "Indicator %s was already recorded; its last"
						     " sighting is updated.", v));
	}
	if (rc == SIRT_EINVAL && json_is_array(j.out)) {
		errors = pages_errors(j.out);
		json_decref(j.out);
		return show_with(r, "indicator_form", form_echo(r, indicator_fields), errors, 422);
	}
	json_decref(j.out);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such incident", NULL, NULL);
	return resp_error(r, rc, "adding the indicator");
}

static int h_indicator_delete(struct req *r)
{
	struct indicator_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
				  .ac = req_audit_ctx(r)};
	if (parse_id(req_param(r, "id"), &j.id) < 0)
		return resp_problem(r, 404, "No such indicator", NULL, NULL);
	int rc = store_tx(r->app->store, indicator_delete_tx, &j);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such indicator",
				    "There is no such indicator on this incident.", NULL);
	if (rc < 0)
		return resp_error(r, rc, "removing the indicator");
	return done(r, key_of(r, j.ref), "#indicators", "Indicator removed.");
}

static int h_indicator_lookup(struct req *r)
{
	const char *value = req_query(r, "value"), *type = req_query(r, "type");
	if (type && !*type)
		type = NULL;
	json_t *m = web_base_model(r, "incidents", "Indicator look-up");
	json_object_set_new(m, "indicator_types", pages_options(r, NULL, indicator_types));
	json_object_set_new(m, "query", json_pack("{s:s, s:s}", "value",
						  value && json_string(value) ? value : "", "type",
						  type && json_string(type) ? type : ""));
	if (!value || !*value)
		return web_render(r, 200, tmpl_indicator_lookup, m);
	if (type && !indicator_type_valid(type)) {
		json_object_set_new(m, "error", json_string("Choose a type from the list."));
		return web_render(r, 400, tmpl_indicator_lookup, m);
	}
	struct db *db = api_db(r);
	if (!db) {
		json_decref(m);
		return 0;
	}
	json_t *items;
	int rc = indicator_lookup(db, r->who.org_id, value, type, 100, &items);
	if (rc == SIRT_EINVAL) {
		json_object_set_new(m, "error",
				    json_string("This is not a valid indicator of that type."));
		return web_render(r, 400, tmpl_indicator_lookup, m);
	}
	if (rc < 0) {
		json_decref(m);
		return api_store_error(r, db, rc, "looking up the indicator");
	}
	const struct tz *z = pages_zone(r);
	size_t i;
	json_t *e;
	json_array_foreach(items, i, e) {
		json_t *inc = json_object_get(e, "incident"), *ind = json_object_get(e, "indicator");
		add_labels(r, inc, "severity", NULL);
		add_labels(r, inc, "status", NULL);
		add_labels(r, ind, "type", NULL);
		add_time(z, ind, "first_seen");
		add_time(z, ind, "last_seen");
	}
	json_object_set_new(m, "items", items);
	json_object_set_new(m, "searched", json_true());
	return web_render(r, 200, tmpl_indicator_lookup, m);
}

/* ------------------------------------------------------------ edit */

static const char *const edit_text[] = {
	"title", "description", "severity", "category", "attack_vector", "veris_action",
	"resolution", "resolution_summary", "root_cause_category", "reporter", "commander",
	"impact_functional", "impact_information", "impact_recoverability", "tlp", "plan_version",
	NULL};
static const char *const edit_lists[] = {"assignees", "affected_systems", "affected_customers",
					 "data_types", "tags", "related", NULL};
static const char *const edit_times[] = {"occurred_at", "detected_at", "aware_at", NULL};

static json_t *edit_model(struct req *r, json_t *rec)
{
	const char *key = json_string_value(json_object_get(rec, "key"));
	json_t *m = web_base_model(r, "incidents", arena_printf(&r->arena, "Edit %s", key));
	set_options(r, m);
	set_zone(r, m);
	json_object_set_new(m, "tlps", pages_options(r, "tlp", tlp_levels));
	json_object_set_new(m, "attack_vectors", pages_options(r, NULL, attack_vectors));
	json_object_set_new(m, "veris_actions", pages_options(r, NULL, veris_actions));
	json_object_set_new(m, "resolutions", pages_options(r, NULL, incident_resolutions));
	json_object_set_new(m, "root_causes", pages_options(r, NULL, root_cause_categories));
	json_object_set_new(m, "impact_functional_levels",
			    pages_options(r, NULL, impact_functional_levels));
	json_object_set_new(m, "impact_information_levels",
			    pages_options(r, NULL, impact_information_levels));
	json_object_set_new(m, "impact_recoverability_levels",
			    pages_options(r, NULL, impact_recoverability_levels));
	json_object_set_new(m, "inc", json_pack("{s:O, s:O, s:O, s:s, s:s}", "key",
						json_object_get(rec, "key"), "title",
						json_object_get(rec, "title"), "version",
						json_object_get(rec, "version"), "status",
						json_string_value(json_object_get(rec, "status")),
						"status_label",
						pages_label(r, NULL, json_string_value(json_object_get(rec, "status")))));
	return m;
}

/* The record as form values. */
static json_t *record_form(struct req *r, json_t *rec)
{
	const struct tz *z = pages_zone(r);
	json_t *f = json_object();
	for (int i = 0; edit_text[i]; i++) {
		json_t *v = json_object_get(rec, edit_text[i]);
		json_object_set_new(f, edit_text[i], json_string(json_is_string(v) ? json_string_value(v) : ""));
	}
	for (int i = 0; edit_lists[i]; i++) {
		struct strbuf sb;
		sb_init(&sb, 1 << 20);
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(rec, edit_lists[i]), k, v)
			sb_printf(&sb, "%s%s", k ? "\n" : "", json_string_value(v));
		json_t *s = sb_status(&sb) == 0 ? json_string(sb_str(&sb)) : NULL;
		json_object_set_new(f, edit_lists[i], s ? s : json_string(""));
		sb_free(&sb);
	}
	for (int i = 0; edit_times[i]; i++) {
		int64_t t = 0;
		const char *s = json_string_value(json_object_get(rec, edit_times[i]));
		char buf[24];
		if (!s || time_parse_iso8601(s, &t) < 0)
			t = 0;
		pages_local_input(z, t, buf);
		json_object_set_new(f, edit_times[i], json_string(buf));
	}
	json_object_set_new(f, "personal_data",
			    json_boolean(json_is_true(json_object_get(rec, "personal_data"))));
	json_object_set_new(f, "version", json_integer(json_integer_value(json_object_get(rec, "version"))));
	return f;
}

static int h_edit_form(struct req *r)
{
	struct db *db = api_db(r);
	if (!db)
		return 0;
	json_t *rec;
	int rc = incident_get(db, r->who.org_id, req_param(r, "key"), &rec);
	if (rc == SIRT_ENOTFOUND)
		return resp_problem(r, 404, "No such incident",
				    "There is no incident with this key in your organisation.", NULL);
	if (rc < 0)
		return api_store_error(r, db, rc, "reading the incident");
	json_t *m = edit_model(r, rec);
	pages_flash_take(r, m);
	json_object_set_new(m, "form", record_form(r, rec));
	json_decref(rec);
	return web_render(r, 200, tmpl_incident_edit, m);
}

struct patch_job {
	int64_t org_id;
	const char *ref;
	int64_t version;
	json_t *patch;
	struct audit_ctx ac;
	json_t *out;
};

static int patch_tx(struct db *db, void *arg)
{
	struct patch_job *j = arg;
	json_decref(j->out);
	j->out = NULL;
	return incident_update(db, &j->ac, j->org_id, j->ref, j->version, j->patch, &j->out);
}

static int h_edit_post(struct req *r)
{
	const struct tz *z = pages_zone(r);
	struct patch_job j = {.org_id = r->who.org_id, .ref = req_param(r, "key"),
			      .ac = req_audit_ctx(r)};
	const char *ver = pages_field(r, "version");
	if (!ver || parse_id(ver, &j.version) < 0 || j.version == 0)
		return resp_problem(r, 400, "Missing version",
				    "The form lacks the incident version; load the page again.", NULL);
	json_t *errors = json_object();
	json_t *patch = json_object();
	for (int i = 0; edit_text[i]; i++) {
		const char *v = pages_field(r, edit_text[i]);
		bool required = !strcmp(edit_text[i], "title") || !strcmp(edit_text[i], "severity") ||
				!strcmp(edit_text[i], "tlp");
		if (!v && required) {
			if (!strcmp(edit_text[i], "title"))
				json_object_set_new(errors, "title",
						    json_string("Give the incident a title."));
			continue;
		}
		/* a blank text is "", a blank choice or e-mail is "not set" */
		bool text = !strcmp(edit_text[i], "description");
		json_object_set_new(patch, edit_text[i],
				    v ? json_string(v) : text ? json_string("") : json_null());
	}
	for (int i = 0; edit_lists[i]; i++)
		json_object_set_new(patch, edit_lists[i],
				    pages_list(pages_field(r, edit_lists[i])));
	for (int i = 0; edit_times[i]; i++) {
		const char *v = pages_field(r, edit_times[i]);
		int64_t t;
		if (!v) {
			json_object_set_new(patch, edit_times[i], json_null());
		} else if (pages_parse_local(z, v, &t) < 0) {
			json_object_set_new(errors, edit_times[i],
					    json_string("Enter a date and time like 2026-03-04 14:30."));
		} else {
			char iso[ISO8601_LEN];
			time_format_iso8601(t, iso);
			json_object_set_new(patch, edit_times[i], json_string(iso));
		}
	}
	json_object_set_new(patch, "personal_data", json_boolean(pages_field(r, "personal_data")));
	int rc = SIRT_EINVAL;
	if (json_object_size(errors) == 0) {
		j.patch = patch;
		rc = store_tx(r->app->store, patch_tx, &j);
	}
	json_decref(patch);
	if (rc == 0) {
		json_decref(errors);
		const char *key = arena_strdup(&r->arena, json_string_value(json_object_get(j.out, "key")));
		json_decref(j.out);
		return done(r, key, "", "Changes saved.");
	}
	if (rc == SIRT_ENOTFOUND || rc == SIRT_EPRECOND || rc == SIRT_EINVAL) {
		struct db *db = api_db(r);
		json_t *rec = NULL;
		if (!db) {
			json_decref(errors);
			json_decref(j.out);
			return 0;
		}
		int grc = incident_get(db, r->who.org_id, j.ref, &rec);
		if (grc < 0) {
			json_decref(errors);
			json_decref(j.out);
			if (grc == SIRT_ENOTFOUND)
				return resp_problem(r, 404, "No such incident", NULL, NULL);
			return api_store_error(r, db, grc, "reading the incident");
		}
		json_t *m = edit_model(r, rec);
		if (rc == SIRT_EPRECOND) {
			/* the current version, so nothing the other person wrote is lost */
			json_object_set_new(m, "form", record_form(r, rec));
			json_object_set_new(
				m, "error",
				json_string("Someone else changed this incident while you were"
					    " editing it; here is the current version. Your changes"
					    " were not saved: make them again on this version."));
			json_decref(errors);
			json_decref(j.out);
			json_decref(rec);
			return web_render(r, 412, tmpl_incident_edit, m);
		}
		if (json_is_array(j.out)) {
			json_t *e = pages_errors(j.out);
			json_object_update(errors, e);
			json_decref(e);
		}
		json_decref(j.out);
		json_decref(rec);
		static const char *const all[] = {
			"title", "description", "severity", "category", "attack_vector",
			"veris_action", "resolution", "resolution_summary", "root_cause_category",
			"reporter", "commander", "impact_functional", "impact_information",
			"impact_recoverability", "tlp", "plan_version", "assignees",
			"affected_systems", "affected_customers", "data_types", "tags", "related",
			"occurred_at", "detected_at", "aware_at", "personal_data", "version", NULL};
		json_object_set_new(m, "form", form_echo(r, all));
		json_object_set_new(m, "error", json_string("The incident was not saved: correct the"
							    " fields marked below."));
		const char *k;
		json_t *v;
		json_object_foreach(errors, k, v) {
			if (!enum_contains(all, k))
				json_object_set_new(m, "error", json_pack("s+++", k, ": ",
									  json_string_value(v), ""));
		}
		json_object_set_new(m, "errors", errors);
		return web_render(r, 422, tmpl_incident_edit, m);
	}
	json_decref(errors);
	json_decref(j.out);
	return resp_error(r, rc, "saving the incident");
}

#define FORM BODY_FORM, PAGES_FORM_MAX
const struct route pages_incidents_routes[] = {
	{"GET", "/incidents", PERM_READ, BODY_NONE, 0, h_list, NULL,
	 "Incident log page (filters, search, sort, paging, export)", "web", NULL, ROUTE_HTML},
	{"GET", "/incidents/new", PERM_RESPOND, BODY_NONE, 0, h_new_form, NULL,
	 "New-incident form", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/new", PERM_RESPOND, FORM, h_new_post, NULL,
	 "Open an incident (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/incidents/{key}", PERM_READ, BODY_NONE, 0, h_show, NULL,
	 "Incident page", "web", NULL, ROUTE_HTML},
	{"GET", "/incidents/{key}/edit", PERM_RESPOND, BODY_NONE, 0, h_edit_form, NULL,
	 "Edit form of an incident's record", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/edit", PERM_RESPOND, FORM, h_edit_post, NULL,
	 "Save an incident's record (form; honours its version)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/transition", PERM_RESPOND, FORM, h_transition, NULL,
	 "Move an incident through its lifecycle (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/timeline", PERM_RESPOND, FORM, h_timeline, NULL,
	 "Add a timeline entry (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/tasks", PERM_RESPOND, FORM, h_task_add, NULL,
	 "Add a task (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/tasks/{id}", PERM_RESPOND, FORM, h_task_update, NULL,
	 "Change a task's status (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/indicators", PERM_RESPOND, FORM, h_indicator_add, NULL,
	 "Add an indicator (form)", "web", NULL, ROUTE_HTML},
	{"POST", "/incidents/{key}/indicators/{id}/delete", PERM_RESPOND, FORM, h_indicator_delete,
	 NULL, "Remove an indicator (form)", "web", NULL, ROUTE_HTML},
	{"GET", "/indicators", PERM_READ, BODY_NONE, 0, h_indicator_lookup, NULL,
	 "Indicator look-up page: every incident that has it", "web", NULL, ROUTE_HTML},
};
ROUTES_COUNT(pages_incidents);
